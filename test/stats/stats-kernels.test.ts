// Tests src/stats/stats-kernels.ts through src/stats/stats-memory.ts: the WebAssembly pass-1 and centred
// kernels (per-dimension and per-token sums, max x²) against plain float64 loops, over random widths (odd and even),
// token counts around the
// four-token groups, and unaligned, overlapping token offsets; a token's sums do not depend on the
// tokens around it; half-precision chunks decode into the memory the kernels read.
import { describe, expect, it } from 'vitest';
import { encodeValues } from '../../src/shards/dtype.js';
import { StatsMemory } from '../../src/stats/stats-memory.js';
import { makeUniform } from '../../src/random.js';

const relClose = (got: number, want: number) => Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want));

describe('stats kernels', () => {
  const u = makeUniform(3);

  it('pass1 and centred equal float64 loops for D 1..9 and 0..11 tokens at random offsets', () => {
    for (let trial = 0; trial < 200; trial++) {
      const D = 1 + Math.floor(u() * 9);
      const nTok = Math.floor(u() * 12);
      const nValues = 64;
      const mem = new StatsMemory(D, 16, nValues * 4, 'float32');
      const vals = mem.decode(mem.reads[trial % 2].getTarget(4 * Math.floor(u() * 8), nValues * 4), trial % 2);
      for (let i = 0; i < nValues; i++) vals[i] = (u() - 0.3) * 10 ** Math.floor(u() * 6 - 2);
      const offsets = Array.from({ length: nTok }, () => Math.floor(u() * (nValues - D + 1)));
      mem.offsets.set(offsets);
      const mean = Array.from({ length: D }, () => u() * 4 - 2);
      mem.mean_D.set(mean);
      mem.sumX_D.fill(1); // the kernels add to what is there
      mem.sumEE_D.fill(2);
      const maxSq = mem.pass1(vals, nTok);
      let wantMax = 0;
      for (let d = 0; d < D; d++) {
        const xs = offsets.map((o) => vals[o + d]);
        expect(relClose(mem.sumX_D[d], 1 + xs.reduce((a, b) => a + b, 0)), `sumX D=${D} n=${nTok}`).toBe(true);
      }
      offsets.forEach((o, k) => {
        const xs = Array.from(vals.subarray(o, o + D));
        wantMax = Math.max(wantMax, ...xs.map((x) => x * x));
        expect(
          relClose(
            mem.sumSq[k],
            xs.reduce((a, x) => a + x * x, 0),
          ),
          `sumSq token ${k}`,
        ).toBe(true);
      });
      expect(maxSq).toBe(wantMax);
      mem.centred(vals, nTok);
      for (let d = 0; d < D; d++) {
        const ees = offsets.map((o) => (vals[o + d] - mean[d]) ** 2);
        expect(relClose(mem.sumEE_D[d], 2 + ees.reduce((a, b) => a + b, 0)), `sumEE D=${D} n=${nTok}`).toBe(true);
      }
      offsets.forEach((o, k) => {
        const want = Array.from(vals.subarray(o, o + D)).reduce((a, x, d) => a + (x - mean[d]) ** 2, 0);
        expect(relClose(mem.sumSq[k], want), `centred token ${k}`).toBe(true);
      });
    }
  });

  it("a token's sums are the same bits in a group of four and alone", () => {
    const D = 7;
    const mem = new StatsMemory(D, 8, 4096, 'float32');
    const vals = mem.decode(mem.reads[0].getTarget(0, 4096), 0);
    for (let i = 0; i < 1024; i++) vals[i] = (u() - 0.5) * 1e3;
    const offsets = [5, 100, 33, 870, 411];
    mem.offsets.set(offsets);
    mem.pass1(vals, 5);
    const inGroup = [...mem.sumSq.subarray(0, 5)];
    mem.centred(vals, 5);
    const centredInGroup = [...mem.sumSq.subarray(0, 5)];
    offsets.forEach((o, k) => {
      mem.offsets[0] = o;
      mem.pass1(vals, 1);
      expect(mem.sumSq[0]).toBe(inGroup[k]);
      mem.centred(vals, 1);
      expect(mem.sumSq[0]).toBe(centredInGroup[k]);
    });
  });

  it('decodes bfloat16 and float16 chunks into the memory the kernels read', () => {
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const mem = new StatsMemory(2, 4, 16, dtype);
      const values = new Float32Array([1, -2, 0.5, 3, 8, -0.25, 4, 2]);
      const target = mem.reads[1].getTarget(0, 16);
      target.set(encodeValues(values, dtype));
      const vals = mem.decode(target, 1);
      expect([...vals]).toEqual([...values]);
      mem.offsets.set([0, 6]);
      expect(mem.pass1(vals, 2)).toBe(16); // tokens [1, -2] and [4, 2]
      expect([...mem.sumSq.subarray(0, 2)]).toEqual([5, 20]);
    }
  });

  it('refuses chunks whose memory would pass the 4 GiB a WebAssembly memory can address', () => {
    expect(() => new StatsMemory(768, 1000, 1.5 * 2 ** 30, 'float16')).toThrow(
      /^stats: chunks of 1610612736 bytes need 9\.0 GiB of WebAssembly memory, more than the 4\.0 GiB it can address; lower --chunk-mb$/,
    );
  });

  it('refuses values outside its memory and more tokens than it holds', () => {
    const mem = new StatsMemory(4, 2, 64, 'float32');
    expect(() => mem.pass1(new Float32Array(8), 1)).toThrow('stats: chunk values must lie in the pass memory');
    const vals = mem.decode(mem.reads[0].getTarget(0, 64), 0);
    expect(() => mem.centred(vals, 3)).toThrow('stats: 3 tokens exceed the 2 a kernel call holds');
  });
});
