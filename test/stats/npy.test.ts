// Tests src/stats/npy.ts against files written by numpy.save (scripts/make-npy-fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeNpyFloat64, encodeNpyFloat64 } from '../../src/stats/npy.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/stats/${name}`, import.meta.url)));

describe('npy float64', () => {
  it('writes the same bytes as numpy.save, 2-D and 1-D', () => {
    const a = Float64Array.from([0, 1, 2, 3, 4, 5], (v) => (v * 1.5 - 2) / 3);
    expect(Buffer.from(encodeNpyFloat64(a, [2, 3])).equals(Buffer.from(fixture('f8-2x3.npy')))).toBe(true);
    const b = Float64Array.from([0, -0, 1e-300, Math.PI, -1e300]);
    expect(Buffer.from(encodeNpyFloat64(b, [5])).equals(Buffer.from(fixture('f8-5.npy')))).toBe(true);
  });

  it('reads numpy files back, and refuses other dtypes', () => {
    const { values, shape } = decodeNpyFloat64(fixture('f8-2x3.npy'), 'f8-2x3.npy');
    expect(shape).toEqual([2, 3]);
    expect(values[5]).toBe((5 * 1.5 - 2) / 3);
    const f4 = fixture('f8-5.npy').slice();
    f4.set(Buffer.from("'<f4'"), f4.indexOf(0x3c) - 1);
    expect(() => decodeNpyFloat64(f4, 'x.npy')).toThrow(/must hold C-order float64/);
    expect(() => decodeNpyFloat64(new Uint8Array(4), 'y.npy')).toThrow('npy: y.npy is not a .npy file');
  });
});
