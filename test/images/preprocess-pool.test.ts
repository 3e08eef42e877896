// PreprocessPool runs the Pillow-exact pipeline in worker threads: its output must equal, per image
// and in call order, Pillow's resized+cropped pixels (test/fixtures/resize, made by
// scripts/make-resize-fixtures.py) normalised as on the main thread.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeInto, PreprocessSpec } from '../../src/images/preprocess.js';
import { PreprocessPool } from '../../src/images/preprocess-pool.js';
import type { RgbImage } from '../../src/images/resample.js';

interface Pipeline { name: string; source: string; resize: 'shortest' | 'squash'; resize_size: number; filter: PreprocessSpec['filter']; crop_size: number | null; width: number; height: number; file: string }
const fixtureUrl = (file: string) => new URL(`../fixtures/resize/${file}`, import.meta.url);
const manifest = JSON.parse(readFileSync(fixtureUrl('manifest.json'), 'utf8')) as { sources: Record<string, { file: string; width: number; height: number }>; pipelines: Pipeline[] };
const clip = manifest.pipelines.find((p) => p.name === 'clip-224')!;
const spec: PreprocessSpec = { resize: clip.resize, resizeSize: clip.resize_size, filter: clip.filter, cropSize: clip.crop_size, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

function loadSource(name: string): RgbImage {
  const { file, width, height } = manifest.sources[name];
  return { width, height, data: new Uint8Array(readFileSync(fixtureUrl(file))) };
}

/** What the model must get: Pillow's pipeline output, normalised. */
function expectedPixels(): Float32Array {
  const pillow: RgbImage = { width: clip.width, height: clip.height, data: new Uint8Array(readFileSync(fixtureUrl(clip.file))) };
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
    const tiny: RgbImage = { width: 224, height: 224, data: new Uint8Array(224 * 224 * 3).fill(255) }; // resize is a no-op: all (1 - mean) / std
    const jobs = [source, tiny, source, tiny, source].map((image) => pool!.preprocess(image));
    const results = await Promise.all(jobs);
    const expected = expectedPixels();
    for (const k of [0, 2, 4]) expect(Buffer.from(results[k].buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    for (const k of [1, 3]) {
      expect(results[k].length).toBe(224 * 224 * 3);
      expect(Array.from(results[k].subarray(0, 3))).toEqual(spec.mean.map((m, c) => Math.fround(Math.fround(1 - Math.fround(m)) / Math.fround(spec.std[c]))));
    }
  });

  it("rejects a bad image with the worker's reason and keeps serving the next ones", async () => {
    pool = new PreprocessPool(spec, 1);
    const broken = { width: 10, height: 10, data: undefined } as unknown as RgbImage;
    await expect(pool.preprocess(broken)).rejects.toThrow(/undefined/);
    const ok = await pool.preprocess(loadSource(clip.source));
    expect(Buffer.from(ok.buffer).equals(Buffer.from(expectedPixels().buffer))).toBe(true);
  });

  it("names the preprocessing error (an image smaller than the crop)", async () => {
    pool = new PreprocessPool({ ...spec, resize: 'squash', resizeSize: 100 }, 1); // squashed to 100 px, a 224 px crop cannot fit
    await expect(pool.preprocess(loadSource(clip.source))).rejects.toThrow('preprocess: a 100x100 image is smaller than the 224 px crop');
  });

  it('refuses work after close, and a non-positive thread count', async () => {
    pool = new PreprocessPool(spec, 1);
    await pool.close();
    await expect(pool.preprocess(loadSource(clip.source))).rejects.toThrow('preprocess: the pool was closed');
    expect(() => new PreprocessPool(spec, 0)).toThrow('nThreads must be a positive integer');
  });
});
