// Tests src/stats/stats-pass.ts and population.ts against a plain two-pass float64 computation, and checks that
// splitting the shards over jobs and chunking differently give the same result.
import { describe, expect, it } from 'vitest';
import { openShardDir } from '../../src/reader/shard-dir.js';
import { getHistBin, summarizePopulation } from '../../src/stats/population.js';
import { addPass2, LayerStats, mergeStats, runStatsPass } from '../../src/stats/stats-pass.js';
import { splitShards } from '../../src/stats/run-stats.js';
import { makeNormal } from '../../src/random.js';
import { makeShardDir, MadeShards } from '../reader/helpers.js';

/** Two plain passes in float64 over the token vectors of one population. */
function reference(tokens: number[][]) {
  const D = tokens[0].length;
  const finite = tokens.filter((x) => x.every(Number.isFinite));
  const n = finite.length;
  const mean = Array.from({ length: D }, (_, d) => finite.reduce((s, x) => s + x[d], 0) / n);
  const norm = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
  const centred = finite.map((x) => norm(x.map((v, d) => v - mean[d])));
  const sq = finite.reduce((s, x) => s + x.reduce((t, v, d) => t + (v - mean[d]) ** 2, 0), 0);
  return {
    n,
    mean,
    meanNorm: finite.reduce((s, x) => s + norm(x), 0) / n,
    centredMeanNorm: centred.reduce((a, b) => a + b, 0) / n,
    normScalar: centred.reduce((a, b) => a + b, 0) / n / Math.sqrt(D),
    rmsNormScalar: Math.sqrt(sq / n) / Math.sqrt(D),
    maxAbs: Math.max(...finite.flat().map(Math.abs)),
    nNaN: tokens.flat().filter(Number.isNaN).length,
    nInf: tokens.flat().filter((v) => v === Infinity || v === -Infinity).length,
    centredHist: centred.map(getHistBin),
  };
}

function tokensOf(m: MadeShards, slot: number, which: 'cls' | 'patches'): number[][] {
  const { n_imgs: N, layers, d_vit: D, cls_token } = m.metadata;
  const L = layers.length;
  const out = [];
  for (let n = 0; n < N; n++) {
    const ts = which === 'cls' ? [0] : Array.from({ length: m.metadata.n_patches_per_img }, (_, p) => p + (cls_token ? 1 : 0));
    for (const t of ts) out.push([...m.values_NLTD.subarray(((n * L + slot) * m.T + t) * D, ((n * L + slot) * m.T + t + 1) * D)]);
  }
  return out;
}

async function fullStats(dir: string, ranges: Array<[number, number]>, chunkBytes: number): Promise<LayerStats[]> {
  const sd = await openShardDir(dir);
  const run = async (pass: 1 | 2, prior?: LayerStats[]) => {
    const parts = [];
    for (const [shard0, shard1] of ranges) parts.push(await runStatsPass(sd, { shard0, shard1, pass, prior, chunkBytes }));
    for (const p of parts.slice(1)) mergeStats(parts[0], p);
    return parts[0];
  };
  const stats = await run(1);
  addPass2(stats, await run(2, stats));
  return stats;
}

// Activations with a large common offset (1e4) and small spread: naive sum-of-squares variance would lose digits.
const normal = makeNormal(7);
const offsetAt = (n: number, l: number, t: number, d: number) => Math.fround(1e4 * (d + 1) + normal() * (l + 1) + (t === 0 ? 50 : 0));

describe('stats pass', () => {
  const m = makeShardDir({ nImgs: 23, layers: [3, -1], nPatchesPerImg: 4, clsToken: true, dVit: 3, nPatchesPerShard: 2 * 5 * 4, valueAt: offsetAt });

  it('equals a two-pass float64 computation for every layer and both populations', async () => {
    const stats = await fullStats(m.dir, [[0, 6]], 1 << 20);
    for (const [slot, ls] of stats.entries()) {
      for (const which of ['cls', 'patches'] as const) {
        const ref = reference(tokensOf(m, slot, which));
        const pop = ls[which]!;
        const got = summarizePopulation(pop);
        expect(got.n).toBe(ref.n);
        pop.mean_D.forEach((v, d) => expect(v).toBeCloseTo(ref.mean[d], 9));
        for (const k of ['meanNorm', 'centredMeanNorm', 'normScalar', 'rmsNormScalar'] as const) expect(got[k] / ref[k]).toBeCloseTo(1, 11);
        expect(got.maxAbs).toBe(ref.maxAbs);
        const hist = new Array(pop.centredHist.length).fill(0);
        ref.centredHist.forEach((b) => hist[b]++);
        expect([...pop.centredHist]).toEqual(hist);
      }
    }
  });

  it('gives the same result split over 1, 2 or 6 jobs and with other chunk sizes', async () => {
    const one = await fullStats(m.dir, splitShards(6, 1), 1 << 20);
    for (const [ranges, chunk] of [[splitShards(6, 2), 1], [splitShards(6, 6), 100], [[[0, 1], [1, 5], [5, 6]], 1 << 20]] as const) {
      const other = await fullStats(m.dir, ranges as Array<[number, number]>, chunk);
      other.forEach((ls, l) => {
        for (const which of ['cls', 'patches'] as const) {
          const a = summarizePopulation(one[l][which]!);
          const b = summarizePopulation(ls[which]!);
          for (const k of Object.keys(a) as Array<keyof typeof a>) expect(b[k] === a[k] || Math.abs(b[k] / a[k] - 1) < 1e-12, `${k}`).toBe(true);
          ls[which]!.m2_D.forEach((v, d) => expect(Math.abs(v / one[l][which]!.m2_D[d] - 1)).toBeLessThan(1e-10));
          expect([...ls[which]!.normHist]).toEqual([...one[l][which]!.normHist]);
        }
        expect([...ls.posCount_T]).toEqual([...one[l].posCount_T]);
      });
    }
  });

  it('counts NaN and Inf and leaves those tokens out of everything else', async () => {
    const bad = makeShardDir({
      nImgs: 3, layers: [0], nPatchesPerImg: 2, clsToken: false, dVit: 2, nPatchesPerShard: 4,
      valueAt: (n, _l, t, d) => (n === 1 && t === 0 ? [NaN, Infinity][d] : n === 2 && t === 1 && d === 1 ? -Infinity : n + t + d),
    });
    const [ls] = await fullStats(bad.dir, [[0, 2]], 1 << 20);
    const s = summarizePopulation(ls.patches);
    expect(s).toMatchObject({ n: 4, nNaN: 1, nInf: 2, nNonFiniteTokens: 2, maxAbs: 3 });
    expect([...ls.patches.mean_D]).toEqual([(0 + 1 + 2 + 2) / 4, (1 + 2 + 3 + 3) / 4]);
    const ref = reference(tokensOf(bad, 0, 'patches'));
    for (const k of ['meanNorm', 'centredMeanNorm', 'rmsNormScalar'] as const) expect(s[k] / ref[k]).toBeCloseTo(1, 12);
    expect([...ls.patches.m2_D]).toEqual([(1.25 ** 2 + 0.25 ** 2 + 0.75 ** 2 * 2), (1.25 ** 2 + 0.25 ** 2 + 0.75 ** 2 * 2)]);
  });

  it('reads half-precision shards: bfloat16 and float16 stats equal float32 stats of the same (exact) values', async () => {
    const base = { nImgs: 7, layers: [-1], nPatchesPerImg: 3, clsToken: true, dVit: 4, nPatchesPerShard: 8, seed: 11 };
    const [f32, f16, bf16] = await Promise.all(
      (['float32', 'float16', 'bfloat16'] as const).map((dtype) => fullStats(makeShardDir({ ...base, dtype }).dir, [[0, 4]], 1 << 20)),
    );
    for (const other of [f16, bf16]) expect(summarizePopulation(other[0].patches)).toEqual(summarizePopulation(f32[0].patches));
  });

  it('splits shards into contiguous near-equal ranges', () => {
    expect(splitShards(5, 2)).toEqual([[0, 2], [2, 5]]);
    expect(splitShards(2, 8)).toEqual([[0, 1], [1, 2]]);
  });
});
