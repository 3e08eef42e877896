/**
 * Loads a batch of dataset images as model input: decode (sharp, on libuv's
 * thread pool), Pillow-exact resize and crop and normalise (the
 * preprocessor: worker threads during extraction), into one `pixels_BHWC`
 * float32 buffer. Where the dataset hands out images' bytes and the
 * preprocessor decodes, the worker threads decode: this thread only reads
 * bytes and copies results into the batch.
 *
 * At most `nInFlight` images are in flight, and loading runs on across batch
 * boundaries: once every image of a batch has started, free lanes start the
 * images after it (up to `nInFlight` past its end, within the dataset), kept
 * for the next call that asks for them, so the lanes do not drain and refill
 * at every batch. A call for images elsewhere drops what was read ahead.
 * Memory stays bounded: results wait for at most one batch plus `nInFlight`
 * images.
 */
import type { ImageDataset } from '../data/dataset.js';
import { firstLine } from '../error-line.js';
import { DecodeError, ImagePreprocessor } from '../images/preprocess-pool.js';

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

const unreadable = (error: unknown): never => {
  throw new Error(`${firstLine(error)}; ${UNREADABLE_ADVICE}`);
};
const ignore = () => undefined;

/** One image's model input, started or only asked for (then `settle` hands it the started one). */
interface Slot {
  promise: Promise<Float32Array>;
  settle?: (started: Promise<Float32Array>) => void;
}

/** The images of one dataset through one preprocessor, in index order, `limit` at a time. */
class ReadAhead {
  private readonly slots = new Map<number, Slot>();
  /** The next image to start. */
  private cursor = 0;
  /** Where lanes stop starting images. */
  private end = 0;
  private nLanes = 0;

  constructor(
    readonly dataset: ImageDataset,
    readonly preprocessor: ImagePreprocessor,
    readonly limit: number,
  ) {}

  async load(start: number, size: number): Promise<Float32Array[]> {
    if (start !== this.cursor && !this.slots.has(start)) {
      this.slots.clear(); // not where loading was heading: start over here (images in flight finish unused)
      this.cursor = start;
    }
    this.end = Math.min(this.dataset.nImgs, start + size + this.limit);
    for (; this.nLanes < this.limit && this.cursor < this.end; this.nLanes++) void this.lane();
    try {
      const rows: Float32Array[] = [];
      for (let i = start; i < start + size; i++) rows.push(await this.getSlot(i).promise);
      return rows;
    } finally {
      for (let i = start; i < start + size; i++) this.slots.delete(i);
    }
  }

  /** Starts images in order until `end`; one lane is one image in flight. */
  private async lane(): Promise<void> {
    while (this.cursor < this.end) {
      const i = this.cursor++;
      const started = this.loadOne(i);
      started.catch(ignore); // an error surfaces where the image is asked for, if it ever is
      const slot = this.slots.get(i);
      if (slot?.settle) slot.settle(started);
      else this.slots.set(i, { promise: started });
      await started.catch(ignore);
    }
    this.nLanes--;
  }

  private getSlot(i: number): Slot {
    let slot = this.slots.get(i);
    if (!slot) {
      if (i < this.cursor) {
        slot = { promise: this.loadOne(i) }; // passed over by a restart: load it now
      } else {
        let settle!: Slot['settle'];
        const promise = new Promise<Float32Array>((resolve) => (settle = resolve));
        promise.catch(ignore);
        slot = { promise, settle };
      }
      this.slots.set(i, slot);
    }
    return slot;
  }

  private async loadOne(i: number): Promise<Float32Array> {
    const { dataset, preprocessor } = this;
    if (dataset.getEncodedImage && preprocessor.preprocessEncoded) {
      const encoded = await dataset.getEncodedImage(i).catch(unreadable);
      return preprocessor.preprocessEncoded(encoded).catch((error: unknown) => {
        throw error instanceof DecodeError ? unreadable(error) : error;
      });
    }
    return preprocessor.preprocess(await dataset.getImage(i).catch(unreadable));
  }
}

const readAheads = new WeakMap<ImagePreprocessor, ReadAhead>();

export async function loadBatch(
  dataset: ImageDataset,
  start: number,
  size: number,
  preprocessor: ImagePreprocessor,
  nInFlight: number,
): Promise<PixelBatch> {
  const limit = Math.max(1, nInFlight);
  let readAhead = readAheads.get(preprocessor);
  if (!readAhead || readAhead.dataset !== dataset || readAhead.limit !== limit) {
    readAhead = new ReadAhead(dataset, preprocessor, limit);
    readAheads.set(preprocessor, readAhead);
  }
  const rows = await readAhead.load(start, size);
  const pixels = new Float32Array(size * rows[0].length);
  rows.forEach((row, k) => pixels.set(row, k * row.length));
  return { start, size, pixels };
}
