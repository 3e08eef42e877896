// PreprocessPool runs the Pillow-exact pipeline in worker threads: its output must equal, per image
// and in call order, Pillow's resized+cropped pixels (test/fixtures/resize, made by
// scripts/make-resize-fixtures.py) normalised as on the main thread.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRgb } from '../../src/images/decode.js';
import { normalizeInto, preprocessInto, PreprocessSpec } from '../../src/images/preprocess.js';
import { DecodeError, PreprocessPool } from '../../src/images/preprocess-pool.js';
import type { RgbImage } from '../../src/images/resample.js';

interface Pipeline {
  name: string;
  source: string;
  resize: 'shortest' | 'squash';
  resize_size: number;
  filter: PreprocessSpec['filter'];
  crop_size: number | null;
  width: number;
  height: number;
  file: string;
}
const fixtureUrl = (file: string) => new URL(`../fixtures/resize/${file}`, import.meta.url);
const manifest = JSON.parse(readFileSync(fixtureUrl('manifest.json'), 'utf8')) as {
  sources: Record<string, { file: string; width: number; height: number }>;
  pipelines: Pipeline[];
};
const clip = manifest.pipelines.find((p) => p.name === 'clip-224')!;
const spec: PreprocessSpec = {
  resize: clip.resize,
  resizeSize: clip.resize_size,
  filter: clip.filter,
  cropSize: clip.crop_size,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};

function loadSource(name: string): RgbImage {
  const { file, width, height } = manifest.sources[name];
  return { width, height, data: new Uint8Array(readFileSync(fixtureUrl(file))) };
}

/** What the model must get: Pillow's pipeline output, normalised. */
function expectedPixels(): Float32Array {
  const pillow: RgbImage = {
    width: clip.width,
    height: clip.height,
    data: new Uint8Array(readFileSync(fixtureUrl(clip.file))),
  };
  const out = new Float32Array(clip.width * clip.height * 3);
  normalizeInto(pillow, spec, out, 0);
  return out;
}

let pool: PreprocessPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('PreprocessPool', () => {
  it("gives Pillow's pixels for every image, in call order, across threads", async () => {
    pool = new PreprocessPool(spec, 2);
    const source = loadSource(clip.source);
    // resize is a no-op: all (1 - mean) / std
    const tiny: RgbImage = { width: 224, height: 224, data: new Uint8Array(224 * 224 * 3).fill(255) };
    const jobs = [source, tiny, source, tiny, source].map((image) => pool!.preprocess(image));
    const results = await Promise.all(jobs);
    const expected = expectedPixels();
    for (const k of [0, 2, 4]) expect(Buffer.from(results[k].buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    for (const k of [1, 3]) {
      expect(results[k].length).toBe(224 * 224 * 3);
      expect(Array.from(results[k].subarray(0, 3))).toEqual(
        spec.mean.map((m, c) => Math.fround(Math.fround(1 - Math.fround(m)) / Math.fround(spec.std[c]))),
      );
    }
  });

  it("rejects a bad image with the worker's reason and keeps serving the next ones", async () => {
    pool = new PreprocessPool(spec, 1);
    const broken = { width: 10, height: 10, data: undefined } as unknown as RgbImage;
    await expect(pool.preprocess(broken)).rejects.toThrow(/undefined/);
    const ok = await pool.preprocess(loadSource(clip.source));
    expect(Buffer.from(ok.buffer).equals(Buffer.from(expectedPixels().buffer))).toBe(true);
  });

  it('names the preprocessing error (an image smaller than the crop)', async () => {
    pool = new PreprocessPool({ ...spec, resize: 'squash', resizeSize: 100 }, 1); // squashed to 100 px, a 224 px crop cannot fit
    await expect(pool.preprocess(loadSource(clip.source))).rejects.toThrow(
      'preprocess: a 100x100 image is smaller than the 224 px crop',
    );
  });

  it('refuses work after close, and a non-positive thread count', async () => {
    pool = new PreprocessPool(spec, 1);
    await pool.close();
    await expect(pool.preprocess(loadSource(clip.source))).rejects.toThrow('preprocess: the pool was closed');
    expect(() => new PreprocessPool(spec, 0)).toThrow('nThreads must be a positive integer');
  });
});

describe('PreprocessPool from encoded images (decoded on the worker threads)', () => {
  const photo = (name: string) =>
    new Uint8Array(readFileSync(new URL(`../../src/demo/images/${name}`, import.meta.url)));
  const onThisThread = async (bytes: Uint8Array) => {
    const out = new Float32Array(224 * 224 * 3);
    preprocessInto(await decodeRgb(bytes, 'x'), spec, out, 0);
    return out;
  };

  it('gives what decodeRgb + preprocessInto give here, for many images at once across threads, leaving the bytes alone', async () => {
    pool = new PreprocessPool(spec, 2);
    const names = [
      'animal/cat.jpg',
      'people/cameraman.jpg',
      'people/astronaut.png',
      'space/rocket.jpg',
      'food/espresso.jpg',
    ];
    const files = names.map(photo);
    // A view into a larger buffer, as a parquet page hands out an image's bytes.
    const page = new Uint8Array(files[0].length + 10);
    page.set(files[0], 5);
    const view = page.subarray(5, 5 + files[0].length);
    const inputs = [view, ...files, ...files];
    const results = await Promise.all(inputs.map((bytes, k) => pool!.preprocessEncoded({ bytes, name: `image ${k}` })));
    for (const [k, bytes] of inputs.entries()) {
      expect(Buffer.from(results[k].buffer).equals(Buffer.from((await onThisThread(bytes)).buffer)), `image ${k}`).toBe(
        true,
      );
    }
    expect(Buffer.from(view).equals(Buffer.from(files[0]))).toBe(true);
  });

  it('rejects bytes that do not decode with a DecodeError worded as decodeRgb words it, and keeps serving', async () => {
    pool = new PreprocessPool(spec, 1);
    const error = await pool
      .preprocessEncoded({ bytes: Uint8Array.of(1, 2, 3), name: 'train/x.jpg (index 7)' })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as Error).message).toMatch(/^image: cannot decode train\/x\.jpg \(index 7\) \(/);
    const ok = await pool.preprocessEncoded({ bytes: photo('animal/cat.jpg'), name: 'cat' });
    expect(Buffer.from(ok.buffer).equals(Buffer.from((await onThisThread(photo('animal/cat.jpg'))).buffer))).toBe(true);
  });

  it('names a preprocessing failure as such, not as a decode failure', async () => {
    pool = new PreprocessPool({ ...spec, resize: 'squash', resizeSize: 100 }, 1);
    const error = await pool.preprocessEncoded({ bytes: photo('animal/cat.jpg'), name: 'cat' }).catch((e: Error) => e);
    expect(error).not.toBeInstanceOf(DecodeError);
    expect((error as Error).message).toBe('preprocess: a 100x100 image is smaller than the 224 px crop');
  });
});
