// Tests src/stats/stats-pass.ts and population.ts against a plain two-pass float64 computation, and checks that
// splitting the shards over jobs and chunking differently give the same result.
import { describe, expect, it } from 'vitest';
import { openShardDir } from '../../src/shards/shard-dir.js';
import { summarizePopulation } from '../../src/stats/population.js';
import { addPass2, LayerStats, mergeStats, runStatsPass } from '../../src/stats/stats-pass.js';
import { splitShards } from '../../src/stats/run-stats.js';
import { makeNormal } from '../../src/random.js';
import { makeShardDir, MadeShards } from '../reader/helpers.js';

/**
 * The histogram bin of a norm as stats.json documents it: 1000 bins of 0.01 decade over [1e-4, 1e6), bin 0 below, bin
 * 1001 above.
 */
function histBin(norm: number): number {
  if (norm < 1e-4) return 0;
  if (norm >= 1e6) return 1001;
  return 1 + Math.floor((Math.log10(norm) + 4) * 100);
}

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
    meanAbsMean: mean.reduce((a, v) => a + Math.abs(v), 0) / D,
    centredHist: centred.map(histBin),
    normHist: finite.map((x) => histBin(norm(x))),
  };
}

function tokensOf(m: MadeShards, slot: number, which: 'cls' | 'patches'): number[][] {
  const { n_imgs: N, layers, d_vit: D, cls_token } = m.metadata;
  const L = layers.length;
  const out = [];
  for (let n = 0; n < N; n++) {
    const ts =
      which === 'cls' ? [0] : Array.from({ length: m.metadata.n_patches_per_img }, (_, p) => p + (cls_token ? 1 : 0));
    for (const t of ts)
      out.push([...m.values_NLTD.subarray(((n * L + slot) * m.T + t) * D, ((n * L + slot) * m.T + t + 1) * D)]);
  }
  return out;
}

async function fullStats(dir: string, ranges: Array<[number, number]>, chunkBytes: number): Promise<LayerStats[]> {
  const sd = await openShardDir(dir);
  const run = async (pass: 1 | 2, prior?: LayerStats[]) => {
    const parts = [];
    for (const [shard0, shard1] of ranges)
      parts.push(await runStatsPass(sd, { shard0, shard1, pass, prior, chunkBytes }));
    for (const p of parts.slice(1)) mergeStats(parts[0], p);
    return parts[0];
  };
  const stats = await run(1);
  addPass2(stats, await run(2, stats));
  return stats;
}

// Activations with a large common offset (±1e4, negative in odd dimensions) and small spread: naive
// sum-of-squares variance would lose digits.
const normal = makeNormal(7);
const offsetAt = (n: number, l: number, t: number, d: number) =>
  Math.fround(1e4 * (d + 1) * (d % 2 ? -1 : 1) + normal() * (l + 1) + (t === 0 ? 50 : 0));

describe('stats pass', () => {
  const m = makeShardDir({
    nImgs: 23,
    layers: [3, -1],
    nPatchesPerImg: 4,
    clsToken: true,
    dVit: 3,
    nPatchesPerShard: 2 * 5 * 4,
    valueAt: offsetAt,
  });

  it('equals a two-pass float64 computation for every layer and both populations', async () => {
    const stats = await fullStats(m.dir, [[0, 6]], 1 << 20);
    for (const [slot, ls] of stats.entries()) {
      for (const which of ['cls', 'patches'] as const) {
        const ref = reference(tokensOf(m, slot, which));
        const pop = ls[which]!;
        const got = summarizePopulation(pop);
        expect(got.n).toBe(ref.n);
        pop.mean_D.forEach((v, d) => expect(v).toBeCloseTo(ref.mean[d], 9));
        for (const k of ['meanNorm', 'centredMeanNorm', 'normScalar', 'rmsNormScalar'] as const)
          expect(got[k] / ref[k]).toBeCloseTo(1, 11);
        expect(got.maxAbs).toBe(ref.maxAbs);
        expect(got.meanAbsMean / ref.meanAbsMean).toBeCloseTo(1, 11);
        expect(new Set(ref.centredHist).size, 'centred norms span several bins').toBeGreaterThan(1);
        for (const h of ['centredHist', 'normHist'] as const) {
          const hist = new Array(pop[h].length).fill(0);
          ref[h].forEach((b) => hist[b]++);
          expect([...pop[h]], h).toEqual(hist);
        }
      }
      // Mean norm by stored token position: token 0 is CLS, tokens 1.. the patches.
      for (let t = 0; t < m.T; t++) {
        const norms = Array.from({ length: 23 }, (_, n) =>
          Math.hypot(...m.values_NLTD.subarray(((n * 2 + slot) * m.T + t) * 3, ((n * 2 + slot) * m.T + t + 1) * 3)),
        );
        expect(ls.posCount_T[t]).toBe(23);
        expect(ls.posSumNorm_T[t] / 23 / (norms.reduce((a, b) => a + b) / 23)).toBeCloseTo(1, 11);
      }
    }
  });

  it('gives the same result split over 1, 2 or 6 jobs and with other chunk sizes', async () => {
    const one = await fullStats(m.dir, splitShards(6, 1), 1 << 20);
    for (const [ranges, chunk] of [
      [splitShards(6, 2), 1],
      [splitShards(6, 6), 100],
      [
        [
          [0, 1],
          [1, 5],
          [5, 6],
        ],
        1 << 20,
      ],
    ] as const) {
      const other = await fullStats(m.dir, ranges as Array<[number, number]>, chunk);
      other.forEach((ls, l) => {
        for (const which of ['cls', 'patches'] as const) {
          const a = summarizePopulation(one[l][which]!);
          const b = summarizePopulation(ls[which]!);
          for (const k of Object.keys(a) as Array<keyof typeof a>)
            expect(b[k] === a[k] || Math.abs(b[k] / a[k] - 1) < 1e-12, `${k}`).toBe(true);
          ls[which]!.m2_D.forEach((v, d) => expect(Math.abs(v / one[l][which]!.m2_D[d] - 1)).toBeLessThan(1e-10));
          expect([...ls[which]!.normHist]).toEqual([...one[l][which]!.normHist]);
        }
        expect([...ls.posCount_T]).toEqual([...one[l].posCount_T]);
        ls.posSumNorm_T.forEach((v, t) => expect(Math.abs(v / one[l].posSumNorm_T[t] - 1)).toBeLessThan(1e-12));
      });
    }
  });

  it.each([
    ['in one job', [[0, 2]]],
    [
      'split over two jobs, one shard each',
      [
        [0, 1],
        [1, 2],
      ],
    ],
  ])('counts NaN and Inf and leaves those tokens out of everything else, %s', async (_, ranges) => {
    // 2 images per shard: image 1 (shard 0) has a NaN and an Inf token, image 2 (shard 1) one with a NaN and a -Inf.
    const bad = makeShardDir({
      nImgs: 3,
      layers: [0],
      nPatchesPerImg: 2,
      clsToken: false,
      dVit: 2,
      nPatchesPerShard: 4,
      valueAt: (n, _l, t, d) =>
        n === 1 && t === 0 ? [NaN, Infinity][d] : n === 2 && t === 1 ? [NaN, -Infinity][d] : n + t + d,
    });
    const [ls] = await fullStats(bad.dir, ranges as Array<[number, number]>, 1 << 20);
    const s = summarizePopulation(ls.patches);
    expect(s).toMatchObject({ n: 4, nNaN: 2, nInf: 2, nNonFiniteTokens: 2, maxAbs: 3 });
    expect([...ls.patches.mean_D]).toEqual([(0 + 1 + 2 + 2) / 4, (1 + 2 + 3 + 3) / 4]);
    const ref = reference(tokensOf(bad, 0, 'patches'));
    for (const k of ['meanNorm', 'centredMeanNorm', 'rmsNormScalar'] as const) expect(s[k] / ref[k]).toBeCloseTo(1, 12);
    expect([...ls.patches.m2_D]).toEqual([
      1.25 ** 2 + 0.25 ** 2 + 0.75 ** 2 * 2,
      1.25 ** 2 + 0.25 ** 2 + 0.75 ** 2 * 2,
    ]);
  });

  it('reads half-precision shards: bfloat16 and float16 stats equal float32 stats of the same (exact) values', async () => {
    const base = { nImgs: 7, layers: [-1], nPatchesPerImg: 3, clsToken: true, dVit: 4, nPatchesPerShard: 8, seed: 11 };
    const [f32, f16, bf16] = await Promise.all(
      (['float32', 'float16', 'bfloat16'] as const).map((dtype) =>
        fullStats(makeShardDir({ ...base, dtype }).dir, [[0, 4]], 1 << 20),
      ),
    );
    for (const other of [f16, bf16])
      expect(summarizePopulation(other[0].patches)).toEqual(summarizePopulation(f32[0].patches));
  });

  it('splits shards into contiguous near-equal ranges', () => {
    expect(splitShards(5, 2)).toEqual([
      [0, 2],
      [2, 5],
    ]);
    expect(splitShards(2, 8)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});
