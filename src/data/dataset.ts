/**
 * What the extraction pipeline needs from a dataset: a count, saev's repr of
 * the dataset config (for `metadata.json`), and decoded RGB images by index.
 * Row i of the shards is dataset index i.
 */
import type { RgbImage } from '../images/resample.js';

export interface ImageDataset {
  /** Python repr of saev's dataset config, e.g. `ImageFolderDataset(root='./data/split')`. */
  readonly repr: string;
  /** Number of images. */
  readonly nImgs: number;
  /** One line for logs, e.g. `1,234 images in 10 classes under ./data`. */
  readonly summary: string;
  /** Image i as 8-bit RGB; errors name the file and the index. */
  getImage(i: number): Promise<RgbImage>;
}
