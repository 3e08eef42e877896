/**
 * Loads a batch of dataset images as model input: decode (sharp, on libuv's
 * thread pool), Pillow-exact resize and crop, normalise, into one
 * `pixels_BHWC` float32 buffer. At most `nWorkers` images are in flight.
 */
import type { ImageDataset } from '../data/dataset.js';
import { getInputSize, normalizeInto, PreprocessSpec, resizeAndCrop } from '../images/preprocess.js';

export interface PixelBatch {
  /** First dataset index of the batch. */
  start: number;
  /** B: images in the batch. */
  size: number;
  /** `pixels_BHWC`, length B * S * S * 3 for input side S. */
  pixels: Float32Array;
}

export async function loadBatch(
  dataset: ImageDataset,
  start: number,
  size: number,
  spec: PreprocessSpec,
  nWorkers: number,
): Promise<PixelBatch> {
  const side = getInputSize(spec);
  const perImg = side * side * 3;
  const pixels = new Float32Array(size * perImg);
  let next = 0;
  const worker = async () => {
    while (next < size) {
      const k = next++;
      const image = resizeAndCrop(await dataset.getImage(start + k), spec);
      normalizeInto(image, spec, pixels, k * perImg);
    }
  };
  await Promise.all(Array.from({ length: Math.min(nWorkers, size) }, worker));
  return { start, size, pixels };
}
