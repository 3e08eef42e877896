// interpolateBicubic against torch's F.interpolate(mode="bicubic", align_corners=False), with and without
// antialias, given a size or a scale factor (scripts/make-parity-fixtures.py, `--only interpolate`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { interpolateBicubic, resizePositionGrid } from '../../src/convert/interpolate.js';
import { PARITY_DIR } from './parity-helpers.js';

interface Case {
  in: [number, number];
  out: [number, number];
  scale_factor: [number, number] | null;
  antialias: boolean;
  grid_DHW: number[];
  expected_DHW: number[];
}
const cases = JSON.parse(readFileSync(`${PARITY_DIR}interpolate.json`, 'utf8')) as Case[];

describe('interpolateBicubic', () => {
  it.each(
    cases.map(
      (c) =>
        [
          `${c.in.join('x')} -> ${c.out.join('x')}`,
          c.scale_factor ? 'scale factor' : 'size',
          c.antialias ? 'antialias' : 'no antialias',
          c,
        ] as const,
    ),
  )('%s by %s, %s', (_a, _b, _c, c) => {
    const depth = c.grid_DHW.length / (c.in[0] * c.in[1]);
    const out = interpolateBicubic(Float32Array.from(c.grid_DHW), depth, c.in[0], c.in[1], {
      outH: c.out[0],
      outW: c.out[1],
      antialias: c.antialias,
      ...(c.scale_factor ? { scaleFactor: c.scale_factor } : {}),
    });
    expect(out.length).toBe(c.expected_DHW.length);
    let maxAbs = 0;
    for (let i = 0; i < out.length; i++) maxAbs = Math.max(maxAbs, Math.abs(out[i] - c.expected_DHW[i]));
    // torch accumulates in float32 in its own order; values are N(0, 1).
    expect(maxAbs).toBeLessThan(5e-6);
  });

  it('the 0.1 offset moves the samples: a scale factor is not the same as the size', () => {
    const c = cases.find((x) => x.scale_factor && x.in[0] === 9)!;
    const bySize = interpolateBicubic(Float32Array.from(c.grid_DHW), 2, 9, 9, { outH: 4, outW: 4, antialias: false });
    let maxAbs = 0;
    for (let i = 0; i < bySize.length; i++) maxAbs = Math.max(maxAbs, Math.abs(bySize[i] - c.expected_DHW[i]));
    expect(maxAbs).toBeGreaterThan(1e-2);
  });
});

describe('resizePositionGrid', () => {
  const side = 5;
  const width = 3;
  const positions_ND = Float32Array.from({ length: (1 + side * side) * width }, (_, i) => Math.sin(i));

  it('keeps the prefix row and resizes each channel of the grid as interpolateBicubic does', () => {
    const out = resizePositionGrid(positions_ND, width, side, 3, { antialias: true });
    expect(out.length).toBe((1 + 9) * width);
    expect([...out.subarray(0, width)]).toEqual([...positions_ND.subarray(0, width)]);
    for (let d = 0; d < width; d++) {
      const plane = Float32Array.from({ length: side * side }, (_, p) => positions_ND[(1 + p) * width + d]);
      const expected = interpolateBicubic(plane, 1, side, side, { outH: 3, outW: 3, antialias: true });
      for (let p = 0; p < 9; p++) expect(out[(1 + p) * width + d]).toBe(expected[p]);
    }
  });

  it('refuses positions that are not one prefix and a side x side grid', () => {
    expect(() => resizePositionGrid(positions_ND.subarray(width), width, side, 3, { antialias: false })).toThrow(
      'interpolate: expected 26 positions of width 3 (one prefix and a 5x5 grid), found 75 values',
    );
  });
});
