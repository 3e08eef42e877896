// Tests the clamp scan of src/reader/item-values.ts (getMaxAbsBits, normalizeRow) against a plain
// per-value reference over random rows with NaN, ±Inf, ±0, subnormals and values near the clamp.
import { describe, expect, it } from 'vitest';
import { getClampBits, getMaxAbsBits, normalizeRow } from '../../src/reader/item-values.js';
import { makeUniform } from '../../src/random.js';

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -3e-39, 100, -100, 100.00001, -1e30, 3.5];

function randomRow(u: () => number, n: number, pSpecial: number): Float32Array {
  return Float32Array.from({ length: n }, () =>
    u() < pSpecial ? SPECIAL[Math.floor(u() * SPECIAL.length)] : (u() - 0.5) * 300,
  );
}

describe('clamp scan', () => {
  it('getMaxAbsBits equals the largest |x| bits, at any offset and length', () => {
    const u = makeUniform(3);
    for (let trial = 0; trial < 300; trial++) {
      const row = randomRow(u, 1 + Math.floor(u() * 40), trial % 3 === 0 ? 0 : 0.2);
      const bits = new Uint32Array(row.buffer);
      const start = Math.floor(u() * row.length);
      const end = start + Math.floor(u() * (row.length - start + 1));
      let want = 0;
      for (let i = start; i < end; i++) want = Math.max(want, bits[i] & 0x7fffffff);
      expect(getMaxAbsBits(bits, start, end)).toBe(want);
    }
  });

  it('normalizeRow (clamp only) equals a per-value clamp and leaves NaN and the other rows alone', () => {
    const u = makeUniform(4);
    for (let trial = 0; trial < 300; trial++) {
      const row = randomRow(u, 1 + Math.floor(u() * 40), 0.3);
      const clamp = [100, 1e5, Infinity, 3.5][trial % 4];
      const offset = Math.floor(u() * row.length);
      const n = Math.floor(u() * (row.length - offset + 1));
      const c = Math.fround(clamp);
      const want = [...row].map((x, i) => (i < offset || i >= offset + n ? x : x > c ? c : x < -c ? -c : x));
      normalizeRow(row, offset, n, clamp, null, 1);
      expect([...row]).toEqual(want);
    }
    expect(getClampBits(-2)).toBe(getClampBits(2));
  });
});
