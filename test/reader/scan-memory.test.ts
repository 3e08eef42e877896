// Tests src/reader/scan-memory.ts: the WebAssembly SIMD clamp scans (in place, and through a window for
// fresh memory) give the same maximum |x| bits as the JavaScript getMaxAbsBits over random ranges (every
// alignment and tail length) holding NaN, Inf and negative values, on memory filled through the returned
// buffer.
import { describe, expect, it } from 'vitest';
import { getMaxAbsBits } from '../../src/reader/item-values.js';
import { allocFreshScanMemory, allocSimdScanMemory, hasSimdScan } from '../../src/reader/scan-memory.js';
import { makeUniform } from '../../src/random.js';

describe('scan memory', () => {
  it('Node has WebAssembly SIMD, so reuseBatches scans in SIMD', () => {
    expect(hasSimdScan).toBe(true);
  });

  for (const [name, alloc] of [
    ['simd', allocSimdScanMemory],
    ['fresh', allocFreshScanMemory],
  ] as const) {
    it(`${name}: maxAbsBits equals getMaxAbsBits on random ranges with NaN, Inf and large values`, () => {
      const u = makeUniform(7);
      const n = 5000;
      const memory = alloc(n * 4);
      expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(n * 4);
      const values = new Float32Array(memory.buffer, 0, n);
      const reference = new Uint32Array(n);
      const special = [NaN, Infinity, -Infinity, -3e38, 1e-45, -0];
      for (let trial = 0; trial < 500; trial++) {
        for (let i = 0; i < n; i++) values[i] = (u() - 0.5) * 200;
        const start = Math.floor(u() * 64);
        const end = start + Math.floor(u() * 300);
        if (trial % 2 === 0 && end > start)
          values[start + Math.floor(u() * (end - start))] = special[trial % special.length];
        reference.set(new Uint32Array(values.buffer, 0, n));
        expect(memory.maxAbsBits(start, end), `[${start}, ${end})`).toBe(getMaxAbsBits(reference, start, end));
      }
    });
  }

  it('fresh: scans ranges longer than its 64 KiB window, and a short range sees none of an earlier one', () => {
    const n = 100_003;
    const memory = allocFreshScanMemory(n * 4);
    const values = new Float32Array(memory.buffer, 0, n).fill(0.5);
    const bits = new Uint32Array(memory.buffer, 0, n);
    values[2 * 16384 + 5] = -1e6; // third window
    values[n - 1] = 2; // last, partial window
    expect(memory.maxAbsBits(0, n)).toBe(getMaxAbsBits(bits, 0, n));
    expect(memory.maxAbsBits(40_000, n)).toBe(getMaxAbsBits(bits, 40_000, n));
    values[2] = 9e6;
    expect(memory.maxAbsBits(0, 8)).toBe(getMaxAbsBits(bits, 0, 8)); // leaves 9e6 in the window at value 2
    expect(memory.maxAbsBits(100, 102)).toBe(getMaxAbsBits(bits, 100, 102)); // 2 values, padded with zeros over it
  });

  it('an empty range scans as 0 and the simd memory starts zero-filled', () => {
    const memory = allocSimdScanMemory(100);
    expect(memory.maxAbsBits(3, 3)).toBe(0);
    expect(memory.maxAbsBits(0, 25)).toBe(0);
  });
});
