// Tests src/images/crop-resample.ts (and its WebAssembly kernels) against the plain reference
// (resample.ts's resizeLikePillow + cropRgb, itself proven on Pillow's output) on random images, sizes, boxes,
// filters and pass orders, and directly against Pillow's own output (test/fixtures/resize, made by
// scripts/make-resize-fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CropBox, Resampler } from '../../src/images/crop-resample.js';
import { normalizeInto, PreprocessSpec } from '../../src/images/preprocess.js';
import { cropRgb, resizeLikePillow, ResampleFilter, RgbImage } from '../../src/images/resample.js';

interface Manifest {
  sources: Record<string, { file: string; width: number; height: number }>;
  resizes: Array<{ source: string; filter: ResampleFilter; width: number; height: number; file: string }>;
  pipelines: Array<{
    name: string;
    source: string;
    filter: ResampleFilter;
    resized: [number, number];
    crop_offset?: [number, number];
    width: number;
    height: number;
    file: string;
  }>;
}
const fixtureUrl = (file: string) => new URL(`../fixtures/resize/${file}`, import.meta.url);
const manifest = JSON.parse(readFileSync(fixtureUrl('manifest.json'), 'utf8')) as Manifest;

function loadSource(name: string): RgbImage {
  const { file, width, height } = manifest.sources[name];
  return { width, height, data: new Uint8Array(readFileSync(fixtureUrl(file))) };
}

/** A deterministic generator (LCG) so a failure names a reproducible case. */
function makeRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

/** Noise with runs of 0 and 255, so clipping at both ends is exercised. */
function makeImage(rand: ReturnType<typeof makeRandom>, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rand.next() < 0.2 ? (rand.next() < 0.5 ? 0 : 255) : rand.int(0, 255);
  return { width, height, data };
}

/** Which passes Pillow runs, in order (resample.ts's rule). */
function passOrder(src: RgbImage, width: number, height: number): string {
  const h = width !== src.width;
  const v = height !== src.height;
  const shrinkH = src.height - height;
  if (h && v) return shrinkH > 0 && shrinkH > 2 * (src.width - width) ? 'vertical first' : 'horizontal first';
  return h ? 'horizontal only' : v ? 'vertical only' : 'none';
}

function reference(src: RgbImage, width: number, height: number, filter: ResampleFilter, box: CropBox): RgbImage {
  return cropRgb(resizeLikePillow(src, width, height, filter), box.left, box.top, box.width, box.height);
}

const NORM = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] } as const;

describe('Resampler against the reference resize + crop', () => {
  it('gives the same bytes and normalised floats on 600 random cases (up and down, both filters, every pass order)', () => {
    const rand = makeRandom(7);
    const resampler = new Resampler();
    const seen = new Map<string, number>();
    for (let t = 0; t < 600; t++) {
      const src = makeImage(rand, rand.int(1, 90), rand.int(1, 90));
      // Sizes from a quarter to three times the source, and sometimes an axis unchanged.
      const size = (n: number) => (rand.next() < 0.15 ? n : rand.int(Math.max(1, n >> 2), 3 * n));
      const [width, height] = [size(src.width), size(src.height)];
      const filter: ResampleFilter = rand.next() < 0.5 ? 'bicubic' : 'bilinear';
      const bw = rand.int(1, width);
      const bh = rand.int(1, height);
      const box = { left: rand.int(0, width - bw), top: rand.int(0, height - bh), width: bw, height: bh };
      const label = `case ${t}: ${src.width}x${src.height} -> ${width}x${height} ${filter} box ${JSON.stringify(box)}`;
      const order = passOrder(src, width, height);
      seen.set(order, (seen.get(order) ?? 0) + 1);

      const expected = reference(src, width, height, filter, box);
      const ours = resampler.resizeCrop(src, width, height, filter, box);
      expect([ours.width, ours.height], label).toEqual([bw, bh]);
      expect(Buffer.from(ours.data).equals(Buffer.from(expected.data)), label).toBe(true);

      const expectedFloats = new Float32Array(bw * bh * 3);
      normalizeInto(expected, NORM as unknown as PreprocessSpec, expectedFloats, 0);
      const floats = new Float32Array(bw * bh * 3 + 5).fill(-7);
      resampler.resizeCropNormalizeInto(src, width, height, filter, box, NORM, floats, 2);
      expect(Buffer.from(floats.buffer, 8, bw * bh * 12).equals(Buffer.from(expectedFloats.buffer)), label).toBe(true);
      expect([...floats.subarray(0, 2), ...floats.subarray(2 + bw * bh * 3)], label).toEqual([-7, -7, -7, -7, -7]);
    }
    for (const order of ['vertical first', 'horizontal first', 'horizontal only', 'vertical only', 'none'])
      expect(seen.get(order), order).toBeGreaterThan(5);
  });

  it('matches on photo-sized images: 451x300 and 300x451 to Resize(224) + CenterCrop(224), Resize(256) + crop, squash', () => {
    const rand = makeRandom(3);
    const resampler = new Resampler();
    for (const [w, h] of [
      [451, 300],
      [300, 451],
      [500, 375],
    ]) {
      const src = makeImage(rand, w, h);
      const short = Math.min(w, h);
      for (const [side, crop, filter] of [
        [224, 224, 'bicubic'],
        [256, 224, 'bilinear'],
        [378, null, 'bicubic'],
      ] as const) {
        const [width, height] =
          crop === null
            ? [side, side]
            : w <= h
              ? [side, Math.trunc((side * h) / short)]
              : [Math.trunc((side * w) / short), side];
        const cw = crop ?? side;
        const box = { left: Math.round((width - cw) / 2), top: Math.round((height - cw) / 2), width: cw, height: cw };
        const expected = reference(src, width, height, filter, box);
        expect(
          Buffer.from(resampler.resizeCrop(src, width, height, filter, box).data).equals(Buffer.from(expected.data)),
          `${w}x${h} ${side} ${filter}`,
        ).toBe(true);
      }
    }
  });

  it('gives an image larger than the kept memory a memory of its own, and keeps working after it', () => {
    const rand = makeRandom(11);
    const resampler = new Resampler(1 << 18);
    const big = makeImage(rand, 400, 300); // ~360 KB of source alone
    const small = makeImage(rand, 40, 30);
    for (const [src, width, height] of [
      [small, 23, 17],
      [big, 97, 61],
      [small, 57, 41],
    ] as const) {
      const box = { left: 1, top: 2, width: width - 3, height: height - 4 };
      expect(
        Buffer.from(resampler.resizeCrop(src, width, height, 'bicubic', box).data).equals(
          Buffer.from(reference(src, width, height, 'bicubic', box).data),
        ),
      ).toBe(true);
    }
    expect(resampler.keptBytes).toBeLessThanOrEqual(1 << 18);
  });

  it('leaves the source untouched', () => {
    const src = loadSource('cat');
    const before = Buffer.from(src.data);
    new Resampler().resizeCrop(src, 37, 29, 'bicubic', { left: 3, top: 4, width: 20, height: 20 });
    expect(Buffer.from(src.data).equals(before)).toBe(true);
  });

  it('refuses a non-positive size, a box outside the resized image, and pixels that do not fit the size', () => {
    const src = loadSource('cat-small');
    const r = new Resampler();
    expect(() => r.resizeCrop(src, 0, 10, 'bicubic', { left: 0, top: 0, width: 1, height: 1 })).toThrow(
      'resample: target size 0x10 must be positive',
    );
    expect(() => r.resizeCrop(src, 20, 10, 'bicubic', { left: 5, top: 0, width: 16, height: 10 })).toThrow(
      'resample: crop 16x10+5+0 falls outside a 20x10 image',
    );
    expect(() =>
      r.resizeCrop({ ...src, height: src.height + 1 }, 20, 10, 'bicubic', { left: 0, top: 0, width: 20, height: 10 }),
    ).toThrow(/needs 4752 bytes, found 4608/);
  });
});

describe("Resampler against Pillow's output", () => {
  it.each(manifest.resizes.map((r) => [`${r.source} ${r.filter} ${r.width}x${r.height}`, r] as const))(
    '%s, whole and a box',
    (_label, r) => {
      const src = loadSource(r.source);
      const pillow: RgbImage = {
        width: r.width,
        height: r.height,
        data: new Uint8Array(readFileSync(fixtureUrl(r.file))),
      };
      const resampler = new Resampler();
      const whole = resampler.resizeCrop(src, r.width, r.height, r.filter, {
        left: 0,
        top: 0,
        width: r.width,
        height: r.height,
      });
      expect(Buffer.from(whole.data).equals(Buffer.from(pillow.data))).toBe(true);
      const box = { left: r.width >> 2, top: r.height >> 3, width: r.width >> 1, height: r.height - (r.height >> 2) };
      const part = resampler.resizeCrop(src, r.width, r.height, r.filter, box);
      expect(
        Buffer.from(part.data).equals(Buffer.from(cropRgb(pillow, box.left, box.top, box.width, box.height).data)),
      ).toBe(true);
    },
  );

  it.each(manifest.pipelines.map((p) => [p.name, p] as const))('pipeline %s', (_name, p) => {
    const [left, top] = p.crop_offset ?? [0, 0];
    const out = new Resampler().resizeCrop(loadSource(p.source), p.resized[0], p.resized[1], p.filter, {
      left,
      top,
      width: p.width,
      height: p.height,
    });
    expect(Buffer.from(out.data).equals(readFileSync(fixtureUrl(p.file)))).toBe(true);
  });
});
