// Tests src/images/preprocess.ts against torchvision's arithmetic on Pillow images and numpy float32
// (scripts/make-resize-fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  centerCrop,
  getCropBox,
  getInputSize,
  getResizedSize,
  normalizeInto,
  preprocessInto,
  PreprocessSpec,
  resizeAndCrop,
  roundHalfEven,
} from '../../src/images/preprocess.js';
import type { ResampleFilter, RgbImage } from '../../src/images/resample.js';

interface Manifest {
  sources: Record<string, { file: string; width: number; height: number }>;
  pipelines: Array<{
    name: string;
    source: string;
    resize: 'shortest' | 'squash';
    resize_size: number;
    filter: ResampleFilter;
    crop_size: number | null;
    resized: [number, number];
    crop_offset?: [number, number];
    width: number;
    height: number;
    file: string;
  }>;
  round: Array<[number, number]>;
  normalize: Array<{
    name: string;
    mean: [number, number, number];
    std: [number, number, number];
    width: number;
    height: number;
    pixels_HWC: number[];
    values_HWC: number[];
  }>;
}

const fixtureUrl = (file: string) => new URL(`../fixtures/resize/${file}`, import.meta.url);
const manifest = JSON.parse(readFileSync(fixtureUrl('manifest.json'), 'utf8')) as Manifest;

function loadSource(name: string): RgbImage {
  const { file, width, height } = manifest.sources[name];
  return { width, height, data: new Uint8Array(readFileSync(fixtureUrl(file))) };
}

const ANY_NORM = { mean: [0, 0, 0], std: [1, 1, 1] } as const;

describe('resizeAndCrop against torchvision-on-PIL arithmetic', () => {
  it('includes the CLIP Resize(224) + CenterCrop(224) pipeline', () => {
    const clip = manifest.pipelines.find((p) => p.name === 'clip-224')!;
    expect(clip.resized).toEqual([224, 281]);
    expect(clip.crop_offset).toEqual([0, 28]);
  });

  it.each(manifest.pipelines.map((p) => [p.name, p] as const))('%s', (_name, p) => {
    const spec: PreprocessSpec = {
      resize: p.resize,
      resizeSize: p.resize_size,
      filter: p.filter,
      cropSize: p.crop_size,
      ...ANY_NORM,
    };
    const src = loadSource(p.source);
    expect(getResizedSize(src.width, src.height, spec)).toEqual(p.resized);
    expect(getInputSize(spec)).toBe(p.width);
    const out = resizeAndCrop(src, spec);
    expect([out.width, out.height]).toEqual([p.width, p.height]);
    const expected = readFileSync(fixtureUrl(p.file));
    let differing = 0;
    for (let i = 0; i < expected.length; i++) if (out.data[i] !== expected[i]) differing++;
    expect(differing).toBe(0);
    expect(Buffer.from(out.data).equals(expected)).toBe(true);
  });
});

describe('getResizedSize', () => {
  const spec = (size: number): PreprocessSpec => ({
    resize: 'shortest',
    resizeSize: size,
    filter: 'bicubic',
    cropSize: size,
    ...ANY_NORM,
  });

  it('truncates the long side like int(size * long / short)', () => {
    // python3: int(224 * 451 / 300) == 336 (round would give 337); int(224 * 427 / 320) == 298
    expect(getResizedSize(451, 300, spec(224))).toEqual([336, 224]);
    expect(getResizedSize(320, 427, spec(224))).toEqual([224, 298]);
  });

  it('treats a square image as width <= height', () => {
    expect(getResizedSize(384, 384, spec(224))).toEqual([224, 224]);
  });

  it('squash ignores the aspect ratio', () => {
    expect(getResizedSize(451, 300, { ...spec(378), resize: 'squash', cropSize: null })).toEqual([378, 378]);
  });
});

describe('roundHalfEven', () => {
  it.each(manifest.round)('round(%s) == %s in Python', (x, expected) => {
    expect(roundHalfEven(x) === expected).toBe(true);
  });
});

describe('centerCrop', () => {
  // A 5x4 image whose pixel (x, y) is [10y + x, 0, 0].
  const data = new Uint8Array(5 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) data[(y * 5 + x) * 3] = 10 * y + x;
  const image: RgbImage = { width: 5, height: 4, data };

  it('rounds offsets half to even: (5 - 2) / 2 = 1.5 -> 2, (4 - 2) / 2 = 1', () => {
    const out = centerCrop(image, 2);
    expect(Array.from(out.data.filter((_, i) => i % 3 === 0))).toEqual([12, 13, 22, 23]);
  });

  it('rounds (5 - 4) / 2 = 0.5 -> 0 and (4 - 4) / 2 = 0', () => {
    const out = centerCrop(image, 4);
    expect(Array.from(out.data.filter((_, i) => i % 3 === 0))).toEqual([
      0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33,
    ]);
  });

  it('refuses an image smaller than the crop', () => {
    expect(() => centerCrop(image, 5)).toThrow('preprocess: a 5x4 image is smaller than the 5 px crop');
  });
});

describe('normalizeInto against numpy float32', () => {
  it.each(manifest.normalize.map((n) => [n.name, n] as const))('%s', (_name, n) => {
    const spec: PreprocessSpec = {
      resize: 'squash',
      resizeSize: n.width,
      filter: 'bicubic',
      cropSize: null,
      mean: n.mean,
      std: n.std,
    };
    const image: RgbImage = { width: n.width, height: n.height, data: Uint8Array.from(n.pixels_HWC) };
    const offset = 4;
    const out = new Float32Array(offset + n.values_HWC.length + 2).fill(-99);
    normalizeInto(image, spec, out, offset);
    expect(Array.from(out.subarray(offset, offset + n.values_HWC.length))).toEqual(n.values_HWC);
    // Nothing outside [offset, offset + H*W*3) is touched.
    expect(Array.from(out.subarray(0, offset))).toEqual([-99, -99, -99, -99]);
    expect(Array.from(out.subarray(offset + n.values_HWC.length))).toEqual([-99, -99]);
  });
});

describe('preprocessInto (resize, crop and normalise in one call)', () => {
  const norm = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

  it.each(manifest.pipelines.map((p) => [p.name, p] as const))("%s: Pillow's pixels, normalised", (_name, p) => {
    const spec: PreprocessSpec = {
      resize: p.resize,
      resizeSize: p.resize_size,
      filter: p.filter,
      cropSize: p.crop_size,
      ...norm,
    };
    const pillow: RgbImage = {
      width: p.width,
      height: p.height,
      data: new Uint8Array(readFileSync(fixtureUrl(p.file))),
    };
    const n = p.width * p.height * 3;
    const expected = new Float32Array(n);
    normalizeInto(pillow, spec, expected, 0);
    const out = new Float32Array(n + 3).fill(-99);
    preprocessInto(loadSource(p.source), spec, out, 1);
    expect(Buffer.from(out.buffer, 4, 4 * n).equals(Buffer.from(expected.buffer))).toBe(true);
    expect([out[0], out[n + 1], out[n + 2]]).toEqual([-99, -99, -99]);
  });

  it('refuses an image smaller than the crop, as centerCrop does', () => {
    const spec: PreprocessSpec = { resize: 'squash', resizeSize: 10, filter: 'bicubic', cropSize: 12, ...norm };
    expect(() => preprocessInto(loadSource('cat-small'), spec, new Float32Array(12 * 12 * 3), 0)).toThrow(
      'preprocess: a 10x10 image is smaller than the 12 px crop',
    );
  });
});

describe('getCropBox', () => {
  it("is CenterCrop's box, or the whole image without a crop", () => {
    expect(getCropBox(336, 224, 224)).toEqual({ left: 56, top: 0, width: 224, height: 224 });
    expect(getCropBox(5, 4, 2)).toEqual({ left: 2, top: 1, width: 2, height: 2 }); // 1.5 rounds to 2
    expect(getCropBox(378, 378, null)).toEqual({ left: 0, top: 0, width: 378, height: 378 });
  });
});
