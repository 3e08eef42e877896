/**
 * Loads a batch of dataset images as model input: decode (sharp, on libuv's
 * thread pool), Pillow-exact resize and crop and normalise (the
 * preprocessor: worker threads during extraction), into one `pixels_BHWC`
 * float32 buffer. At most `nInFlight` images are in flight.
 */
import { forEachBounded } from '../bounded-parallel.js';
import type { ImageDataset } from '../data/dataset.js';
import { firstLine } from '../error-line.js';
import type { ImagePreprocessor } from '../images/preprocess-pool.js';

export interface PixelBatch {
  /** First dataset index of the batch. */
  start: number;
  /** B: images in the batch. */
  size: number;
  /** `pixels_BHWC`, length B * S * S * 3 for input side S. */
  pixels: Float32Array;
}

/** What to do about an image that cannot be read: saev stops on it too, and image indices are part of the format. */
export const UNREADABLE_ADVICE =
  'the shards finished so far are kept: make this image readable and rerun the same command (removing it renumbers the images after it, so the shards would go to a new directory)';

export async function loadBatch(
  dataset: ImageDataset,
  start: number,
  size: number,
  preprocessor: ImagePreprocessor,
  nInFlight: number,
): Promise<PixelBatch> {
  const rows: Float32Array[] = new Array(size);
  await forEachBounded(size, nInFlight, async (k) => {
    const image = await dataset.getImage(start + k).catch((error: unknown) => {
      throw new Error(`${firstLine(error)}; ${UNREADABLE_ADVICE}`);
    });
    rows[k] = await preprocessor.preprocess(image);
  });
  const pixels = new Float32Array(size * rows[0].length);
  rows.forEach((row, k) => pixels.set(row, k * row.length));
  return { start, size, pixels };
}
