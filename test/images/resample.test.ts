// Tests src/images/resample.ts against Pillow's own Image.resize output (scripts/make-resize-fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cropRgb, resizeLikePillow, ResampleFilter, RgbImage } from '../../src/images/resample.js';

interface Manifest {
  sources: Record<string, { file: string; width: number; height: number }>;
  resizes: Array<{ source: string; filter: ResampleFilter; width: number; height: number; file: string; why: string }>;
}

const fixtureUrl = (file: string) => new URL(`../fixtures/resize/${file}`, import.meta.url);
const manifest = JSON.parse(readFileSync(fixtureUrl('manifest.json'), 'utf8')) as Manifest;

function loadSource(name: string): RgbImage {
  const { file, width, height } = manifest.sources[name];
  const data = new Uint8Array(readFileSync(fixtureUrl(file)));
  expect(data.length).toBe(width * height * 3);
  return { width, height, data };
}

/** Where two byte arrays differ, summarised so a failure says how far off it is. */
function diffSummary(actual: Uint8Array, expected: Uint8Array) {
  let differing = 0;
  let maxDiff = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (d > 0) {
      differing++;
      maxDiff = Math.max(maxDiff, d);
      if (first < 0) first = i;
    }
  }
  return { length: actual.length, differing, maxDiff, first };
}

describe('resizeLikePillow against Pillow', () => {
  it('has downscale, upscale and one-axis cases for both filters', () => {
    expect(manifest.resizes.length).toBeGreaterThanOrEqual(10);
    expect(new Set(manifest.resizes.map((r) => r.filter))).toEqual(new Set(['bicubic', 'bilinear']));
  });

  it.each(manifest.resizes.map((r) => [`${r.source} ${r.filter} ${r.width}x${r.height} (${r.why})`, r] as const))(
    '%s',
    (_label, r) => {
      const src = loadSource(r.source);
      const expected = new Uint8Array(readFileSync(fixtureUrl(r.file)));
      const out = resizeLikePillow(src, r.width, r.height, r.filter);
      expect([out.width, out.height]).toEqual([r.width, r.height]);
      expect(diffSummary(out.data, expected)).toEqual({ length: expected.length, differing: 0, maxDiff: 0, first: -1 });
      expect(Buffer.from(out.data).equals(Buffer.from(expected))).toBe(true);
    },
  );

  it('leaves the source untouched', () => {
    const src = loadSource('cat');
    const before = Buffer.from(src.data);
    resizeLikePillow(src, 37, 29, 'bicubic');
    expect(Buffer.from(src.data).equals(before)).toBe(true);
  });

  it('returns the same pixels when the size does not change', () => {
    const src = loadSource('cat-small');
    const out = resizeLikePillow(src, src.width, src.height, 'bicubic');
    expect(Buffer.from(out.data).equals(Buffer.from(src.data))).toBe(true);
  });

  it('keeps a flat image flat (weights sum to one, no drift)', () => {
    const flat: RgbImage = { width: 13, height: 7, data: new Uint8Array(13 * 7 * 3).fill(200) };
    for (const filter of ['bicubic', 'bilinear'] as const) {
      const out = resizeLikePillow(flat, 5, 11, filter);
      expect(out.data.every((v) => v === 200)).toBe(true);
    }
  });

  it('rejects a non-positive target size', () => {
    const src = loadSource('cat-small');
    expect(() => resizeLikePillow(src, 0, 10, 'bicubic')).toThrow('resample: target size 0x10 must be positive');
  });
});

describe('cropRgb', () => {
  // A 3x2 image whose pixel (x, y) is [10y + x, 100 + 10y + x, 200 + 10y + x].
  const image: RgbImage = {
    width: 3,
    height: 2,
    data: Uint8Array.from([0, 100, 200, 1, 101, 201, 2, 102, 202, 10, 110, 210, 11, 111, 211, 12, 112, 212]),
  };

  it('copies the box row by row', () => {
    expect(cropRgb(image, 1, 0, 2, 2)).toEqual({
      width: 2,
      height: 2,
      data: Uint8Array.from([1, 101, 201, 2, 102, 202, 11, 111, 211, 12, 112, 212]),
    });
    expect(cropRgb(image, 0, 1, 1, 1)).toEqual({ width: 1, height: 1, data: Uint8Array.from([10, 110, 210]) });
  });

  it('rejects a box outside the image', () => {
    expect(() => cropRgb(image, 2, 0, 2, 1)).toThrow('resample: crop 2x1+2+0 falls outside a 3x2 image');
    expect(() => cropRgb(image, 0, -1, 1, 1)).toThrow(/falls outside/);
  });
});
