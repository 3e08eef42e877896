// Tests src/extract/load-batch.ts with a dataset and a preprocessor that record what they are asked, in what order
// and how many at once: batches in index order, at most nInFlight images in flight, reading ahead across batch
// boundaries without reading anything twice, starting over for a batch elsewhere, and errors worded as before.
import { describe, expect, it } from 'vitest';
import type { ImageDataset } from '../../src/data/dataset.js';
import type { EncodedImage } from '../../src/images/decode.js';
import { loadBatch, UNREADABLE_ADVICE } from '../../src/extract/load-batch.js';
import { DecodeError, ImagePreprocessor } from '../../src/images/preprocess-pool.js';
import type { RgbImage } from '../../src/images/resample.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Image i is one byte, i; preprocessing gives [i, i + 0.5]; the preprocessor takes a varying time per image. */
function makeFakes(
  nImgs: number,
  options: { encoded?: boolean; unreadable?: number; undecodable?: number; failing?: number } = {},
) {
  const reads: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const dataset: ImageDataset = {
    repr: 'Fake()',
    nImgs,
    summary: '',
    async getImage(i) {
      reads.push(i);
      if (i === options.unreadable) throw new Error(`image: cannot decode f${i}.jpg (index ${i}) (broken)`);
      return { width: 1, height: 1, data: Uint8Array.of(i) };
    },
  };
  if (options.encoded !== false) {
    dataset.getEncodedImage = async (i) => {
      reads.push(i);
      if (i === options.unreadable) throw new Error(`image: cannot read f${i}.jpg (index ${i}): ENOENT`);
      return { bytes: Uint8Array.of(i), name: `f${i}.jpg (index ${i})` };
    };
  }
  const work = async (i: number) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await tick((i * 7) % 5);
    inFlight--;
    if (i === options.failing) throw new Error('preprocess: a 10x10 image is smaller than the 224 px crop');
    return Float32Array.of(i, i + 0.5);
  };
  const preprocessor: ImagePreprocessor = {
    preprocess: async (image: RgbImage) => work(image.data[0]),
    close: async () => {},
  };
  if (options.encoded !== false) {
    preprocessor.preprocessEncoded = async ({ bytes }: EncodedImage) => {
      if (bytes[0] === options.undecodable)
        throw new DecodeError(`image: cannot decode f${bytes[0]}.jpg (index ${bytes[0]}) (VipsJpeg: premature end)`);
      return work(bytes[0]);
    };
  }
  return { dataset, preprocessor, reads, getMaxInFlight: () => maxInFlight, getInFlight: () => inFlight };
}

const values = (batch: { pixels: Float32Array }) => Array.from(batch.pixels);
const expected = (start: number, size: number) =>
  Array.from({ length: size }, (_, k) => [start + k, start + k + 0.5]).flat();

describe('loadBatch', () => {
  it('gives each batch in index order and reads every image once, reading ahead at most nInFlight past the batch', async () => {
    const { dataset, preprocessor, reads, getMaxInFlight } = makeFakes(23);
    for (let start = 0; start < 23; start += 5) {
      const size = Math.min(5, 23 - start);
      const batch = await loadBatch(dataset, start, size, preprocessor, 3);
      expect([batch.start, batch.size]).toEqual([start, size]);
      expect(values(batch)).toEqual(expected(start, size));
      expect(Math.max(...reads)).toBeLessThan(Math.min(23, start + size + 3));
    }
    expect(reads).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(getMaxInFlight()).toBe(3);
  });

  it('has the next images under way when a batch returns', async () => {
    const { dataset, preprocessor, reads } = makeFakes(40);
    await loadBatch(dataset, 0, 8, preprocessor, 4);
    await tick(20);
    expect(reads).toEqual(Array.from({ length: 12 }, (_, i) => i)); // 8 for the batch, 4 ahead, then it waits
    await loadBatch(dataset, 8, 8, preprocessor, 4);
    expect(reads.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('starts over for a batch elsewhere, and again from the start', async () => {
    const { dataset, preprocessor } = makeFakes(40);
    expect(values(await loadBatch(dataset, 0, 4, preprocessor, 2))).toEqual(expected(0, 4));
    expect(values(await loadBatch(dataset, 30, 6, preprocessor, 2))).toEqual(expected(30, 6));
    expect(values(await loadBatch(dataset, 0, 3, preprocessor, 2))).toEqual(expected(0, 3));
    expect(values(await loadBatch(dataset, 3, 2, preprocessor, 2))).toEqual(expected(3, 2));
  });

  it('decodes through getImage and preprocess where the dataset has no bytes to give', async () => {
    const { dataset, preprocessor } = makeFakes(10, { encoded: false });
    expect(values(await loadBatch(dataset, 2, 5, preprocessor, 2))).toEqual(expected(2, 5));
  });

  it('adds the unreadable-image advice to read and decode failures, not to other preprocessing errors', async () => {
    const unreadable = makeFakes(10, { unreadable: 3 });
    await expect(loadBatch(unreadable.dataset, 0, 5, unreadable.preprocessor, 2)).rejects.toThrow(
      `image: cannot read f3.jpg (index 3): ENOENT; ${UNREADABLE_ADVICE}`,
    );
    const undecodable = makeFakes(10, { undecodable: 4 });
    await expect(loadBatch(undecodable.dataset, 0, 5, undecodable.preprocessor, 2)).rejects.toThrow(
      `image: cannot decode f4.jpg (index 4) (VipsJpeg: premature end); ${UNREADABLE_ADVICE}`,
    );
    const old = makeFakes(10, { encoded: false, unreadable: 1 });
    await expect(loadBatch(old.dataset, 0, 5, old.preprocessor, 2)).rejects.toThrow(
      `image: cannot decode f1.jpg (index 1) (broken); ${UNREADABLE_ADVICE}`,
    );
    const failing = makeFakes(10, { failing: 2 });
    await expect(loadBatch(failing.dataset, 0, 5, failing.preprocessor, 2)).rejects.toThrow(
      /^preprocess: a 10x10 image is smaller than the 224 px crop$/,
    );
  });

  it('keeps a failure among the images read ahead until a batch asks for it', async () => {
    const { dataset, preprocessor } = makeFakes(10, { undecodable: 5 });
    expect(values(await loadBatch(dataset, 0, 4, preprocessor, 3))).toEqual(expected(0, 4));
    await tick(20); // image 5 has failed by now, with nobody waiting for it
    await expect(loadBatch(dataset, 4, 3, preprocessor, 3)).rejects.toThrow(/^image: cannot decode f5\.jpg/);
  });
});
