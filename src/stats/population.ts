/**
 * A mergeable float64 summary of one population of D-vectors (the CLS tokens,
 * or the patch tokens, of one layer). Tokens arrive in chunks: a chunk's mean
 * and sum of squared deviations are computed in one read of its values about a
 * shift (the running mean, so without cancellation) by the WebAssembly kernels
 * of stats-kernels.ts, then merged into the running totals with Chan, Golub &
 * LeVeque's pairwise update (mean += δ·nB/n, M2 += M2B + δ²·nA·nB/n), so the
 * result does not depend on chunk sizes or on how work is split over jobs
 * beyond float64 rounding. Tokens with a NaN or Inf value are counted and left
 * out of every other statistic.
 *
 * Pass 1 gives n, mean, M2, Σ‖x‖, max |x|, NaN/Inf counts and the ‖x‖
 * histogram; pass 2 (given the final mean) gives Σ‖x − μ‖ and its histogram,
 * which need μ first and so cannot come from the same pass.
 */
import type { StatsMemory } from './stats-memory.js';

/** Norm histogram: log10-spaced bins over [1e-4, 1e6), plus an underflow (bin 0, zeros too) and overflow bin. */
export const HIST = Object.freeze({ log10Min: -4, log10Max: 6, nBins: 1000 });

export function getHistBin(norm: number): number {
  if (!(norm > 0)) return 0;
  const x = ((Math.log10(norm) - HIST.log10Min) / (HIST.log10Max - HIST.log10Min)) * HIST.nBins;
  if (x < 0) return 0;
  if (x >= HIST.nBins) return HIST.nBins + 1;
  return 1 + Math.floor(x);
}

export interface Population {
  dVit: number;
  /** Tokens with only finite values. */
  n: number;
  mean_D: Float64Array;
  m2_D: Float64Array;
  sumNorm: number;
  sumCentredNorm: number;
  maxAbs: number;
  nNaN: number;
  nInf: number;
  nNonFiniteTokens: number;
  normHist: Float64Array;
  centredHist: Float64Array;
}

export function makePopulation(dVit: number): Population {
  return {
    dVit,
    n: 0,
    mean_D: new Float64Array(dVit),
    m2_D: new Float64Array(dVit),
    sumNorm: 0,
    sumCentredNorm: 0,
    maxAbs: 0,
    nNaN: 0,
    nInf: 0,
    nNonFiniteTokens: 0,
    normHist: new Float64Array(HIST.nBins + 2),
    centredHist: new Float64Array(HIST.nBins + 2),
  };
}

/**
 * Pass 1 over the first `nTok` tokens of `mem.offsets` in `vals` (a chunk in `mem`), one read of each
 * value (the `pass1` kernel): sums of y = x - K and y² per dimension, with the shift K the running mean
 * (or the chunk's first token at the start), so the chunk's M2 = Σy² - (Σy)²/m suffers no cancellation.
 * `normOut[k]` receives each token's ‖x‖. A chunk holding any NaN/Inf is redone by `addTokensExact`,
 * which leaves such tokens out.
 */
export function addTokens(pop: Population, mem: StatsMemory, vals: Float32Array, nTok: number, normOut: Float64Array): void {
  const D = pop.dVit;
  if (nTok === 0) return;
  const { shift_D: K, sumY_D: sy, sumYY_D: syy, sumSq } = mem;
  if (pop.n > 0) K.set(pop.mean_D);
  else K.set(vals.subarray(mem.offsets[0], mem.offsets[0] + D));
  if (!K.every(Number.isFinite)) return addTokensExact(pop, vals, mem.offsets, nTok, normOut);
  sy.fill(0);
  syy.fill(0);
  const maxSq = mem.pass1(vals, nTok);
  let sumNorm = 0;
  for (let k = 0; k < nTok; k++) {
    // Squares of float32 values cannot overflow float64, so Σx² is finite exactly when every value is.
    const s = sumSq[k];
    if (s !== s || s === Infinity) return addTokensExact(pop, vals, mem.offsets, nTok, normOut);
    const norm = Math.sqrt(s);
    normOut[k] = norm;
    sumNorm += norm;
  }
  for (let k = 0; k < nTok; k++) pop.normHist[getHistBin(normOut[k])]++;
  pop.sumNorm += sumNorm;
  // x² is exact in float64 for float32 x, so its square root gives the largest |x| back exactly.
  pop.maxAbs = Math.max(pop.maxAbs, Math.sqrt(maxSq));
  const mean = new Float64Array(D);
  const m2 = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    mean[d] = K[d] + sy[d] / nTok;
    m2[d] = Math.max(0, syy[d] - (sy[d] * sy[d]) / nTok);
  }
  mergeMoments(pop, nTok, mean, m2);
}

const maxBitsScratch = new Uint32Array(1);
const maxFloatScratch = new Float32Array(maxBitsScratch.buffer);

/** Merges chunk moments (nB, meanB, m2B) into `a` (Chan et al.). */
function mergeMoments(a: Population, nB: number, meanB: Float64Array, m2B: Float64Array): void {
  if (nB === 0) return;
  const n = a.n + nB;
  const wB = nB / n;
  const wAB = (a.n * nB) / n;
  for (let d = 0; d < a.dVit; d++) {
    const delta = meanB[d] - a.mean_D[d];
    a.mean_D[d] += delta * wB;
    a.m2_D[d] += m2B[d] + delta * delta * wAB;
  }
  a.n = n;
}

/**
 * Pass 1 over `nTok` tokens at `vals[offsets[k] .. + D]`, in three sweeps (norms and finiteness, sums,
 * deviations from the chunk mean), leaving out tokens with a NaN or Inf. `normOut[k]` receives each
 * token's ‖x‖ (NaN for non-finite tokens) for per-position statistics.
 */
export function addTokensExact(pop: Population, vals: Float32Array, offsets: Int32Array, nTok: number, normOut: Float64Array): void {
  const D = pop.dVit;
  const sum = new Float64Array(D);
  const finite = new Int32Array(nTok);
  const bits = new Uint32Array(vals.buffer, vals.byteOffset, vals.length);
  let m = 0;
  let maxBits = 0; // |x| compared as integer bits: monotone for non-negative finite floats
  for (let k = 0; k < nTok; k++) {
    const o = offsets[k];
    let s = 0;
    for (let d = 0; d < D; d++) {
      const v = vals[o + d];
      s += v * v;
    }
    // Squares of float32 values cannot overflow float64, so s is finite exactly when every value is.
    if (s !== s || s === Infinity) {
      for (let d = 0; d < D; d++) {
        const v = vals[o + d];
        if (v !== v) pop.nNaN++;
        else if (v === Infinity || v === -Infinity) pop.nInf++;
      }
      pop.nNonFiniteTokens++;
      normOut[k] = NaN;
      continue;
    }
    for (let d = 0; d < D; d++) {
      sum[d] += vals[o + d];
      const a = bits[o + d] & 0x7fffffff;
      if (a > maxBits) maxBits = a;
    }
    const norm = Math.sqrt(s);
    normOut[k] = norm;
    pop.sumNorm += norm;
    pop.normHist[getHistBin(norm)]++;
    finite[m++] = o;
  }
  maxBitsScratch[0] = maxBits;
  const maxAbs = Math.max(pop.maxAbs, maxFloatScratch[0]);
  pop.maxAbs = maxAbs;
  if (m === 0) return;
  const mean = new Float64Array(D);
  for (let d = 0; d < D; d++) mean[d] = sum[d] / m;
  const m2 = sum; // reuse: the chunk's M2
  m2.fill(0);
  for (let k = 0; k < m; k++) {
    const o = finite[k];
    for (let d = 0; d < D; d++) {
      const dev = vals[o + d] - mean[d];
      m2[d] += dev * dev;
    }
  }
  mergeMoments(pop, m, mean, m2);
}

/** Pass 2 over the first `nTok` tokens of `mem.offsets` in `vals`: Σ‖x − μ‖ and its histogram, with `mean_D` the population's final mean. */
export function addCentredNorms(pop: Population, mem: StatsMemory, vals: Float32Array, nTok: number, mean_D: Float64Array): void {
  mem.mean_D.set(mean_D);
  mem.centred(vals, nTok);
  for (let k = 0; k < nTok; k++) {
    const s = mem.sumSq[k];
    if (s !== s || s === Infinity) continue; // non-finite token, counted in pass 1
    const norm = Math.sqrt(s);
    pop.sumCentredNorm += norm;
    pop.centredHist[getHistBin(norm)]++;
  }
}

/** Merges `b` into `a` (both passes' fields). */
export function mergePopulation(a: Population, b: Population): void {
  mergeMoments(a, b.n, b.mean_D, b.m2_D);
  a.sumNorm += b.sumNorm;
  a.sumCentredNorm += b.sumCentredNorm;
  a.maxAbs = Math.max(a.maxAbs, b.maxAbs);
  a.nNaN += b.nNaN;
  a.nInf += b.nInf;
  a.nNonFiniteTokens += b.nNonFiniteTokens;
  for (let i = 0; i < a.normHist.length; i++) {
    a.normHist[i] += b.normHist[i];
    a.centredHist[i] += b.centredHist[i];
  }
}

/** The published numbers of a population. */
export function summarizePopulation(pop: Population) {
  const D = pop.dVit;
  let m2 = 0;
  let meanAbs = 0;
  for (let d = 0; d < D; d++) {
    m2 += pop.m2_D[d];
    meanAbs += Math.abs(pop.mean_D[d]);
  }
  const centredMeanNorm = pop.n ? pop.sumCentredNorm / pop.n : NaN;
  const rmsCentredNorm = pop.n ? Math.sqrt(m2 / pop.n) : NaN;
  return {
    n: pop.n,
    /** mean ‖x‖ */
    meanNorm: pop.n ? pop.sumNorm / pop.n : NaN,
    /** mean ‖x − μ‖ */
    centredMeanNorm,
    /** The seed's scalar: mean ‖x − μ‖ / sqrt(D). */
    normScalar: centredMeanNorm / Math.sqrt(D),
    /** sqrt(mean ‖x − μ‖²) / sqrt(D): makes the mean squared norm D. */
    rmsNormScalar: rmsCentredNorm / Math.sqrt(D),
    rmsCentredNorm,
    /** mean over dimensions of |μ_d| */
    meanAbsMean: meanAbs / D,
    maxAbs: pop.maxAbs,
    nNaN: pop.nNaN,
    nInf: pop.nInf,
    nNonFiniteTokens: pop.nNonFiniteTokens,
  };
}

export type PopulationSummary = ReturnType<typeof summarizePopulation>;
