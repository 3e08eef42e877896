/**
 * What the extraction pipeline needs from a dataset: a count, saev's repr of
 * the dataset config (for `metadata.json`), and decoded RGB images by index.
 * Row i of the shards is dataset index i. Labelled datasets also give saev's
 * `target`/`label`; segmentation datasets their pixel-level label map.
 */
import type { EncodedImage } from '../images/decode.js';
import type { RgbImage } from '../images/resample.js';

/** saev's item fields besides the image: class index and class name. */
export interface DatasetLabel {
  /** Class index (`target`); -1 where the dataset has no label for the image. */
  target: number;
  /** Class name (`label`). */
  label: string;
}

/** A one-channel 8-bit map (PIL mode `L`), e.g. an ADE20K annotation: one class id per pixel. */
export interface LabelMap {
  width: number;
  height: number;
  /** `labels_HW`, row-major, length width * height. */
  data: Uint8Array;
}

export interface ImageDataset {
  /** Python repr of saev's dataset config, e.g. `ImageFolderDataset(root='./data/split')`. */
  readonly repr: string;
  /** Number of images. */
  readonly nImgs: number;
  /** One line for logs, e.g. `1,234 images in 10 classes under ./data`. */
  readonly summary: string;
  /** Image i as 8-bit RGB; errors name the file and the index. */
  getImage(i: number): Promise<RgbImage>;
  /**
   * Image i before decoding, where images are files: `getImage(i)` is `decodeRgb(bytes, name)` of it. Lets
   * extraction decode on worker threads, so decoded pixels never pass through the thread that runs the model.
   */
  getEncodedImage?(i: number): Promise<EncodedImage>;
  /** saev's `target` and `label` of image i, where the dataset has labels. */
  getLabel?(i: number): Promise<DatasetLabel>;
  /** Pixel-level segmentation of image i (same size as the image), for segmentation datasets. */
  getSegmentation?(i: number): Promise<LabelMap>;
}

/** Throws the one-line out-of-range error every reader uses. */
export function checkIndex(i: number, nImgs: number, where: string): void {
  if (!Number.isSafeInteger(i) || i < 0 || i >= nImgs)
    throw new Error(`data: index ${i} is outside the ${nImgs} images of ${where}`);
}
