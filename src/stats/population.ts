/**
 * A mergeable float64 summary of one population of D-vectors (the CLS tokens,
 * or the patch tokens, of one layer), in two passes over the tokens, each a
 * single read of every value by the WebAssembly kernels of stats-kernels.ts:
 *
 * - pass 1: n, the mean, Σ‖x‖, max |x|, NaN/Inf counts and the ‖x‖
 *   histogram. Chunk means merge into the running mean with Chan, Golub &
 *   LeVeque's update (mean += δ·nB/n), so the result does not depend on chunk
 *   sizes or on how work is split over jobs beyond float64 rounding.
 * - pass 2, given the final mean μ: M2 = Σ(x − μ)² per dimension (the exact
 *   two-pass variance, no cancellation), Σ‖x − μ‖ and its histogram.
 *
 * Tokens with a NaN or Inf value are counted and left out of every other
 * statistic.
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
  /** Σ(x − μ)² per dimension about the final mean (pass 2). */
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
 * Pass 1 over the first `nTok` tokens of `mem.offsets` in `vals` (a chunk in `mem`). `normOut[k]`
 * receives each token's ‖x‖, NaN for a token holding a NaN or Inf.
 */
export function addTokens(
  pop: Population,
  mem: StatsMemory,
  vals: Float32Array,
  nTok: number,
  normOut: Float64Array,
): void {
  if (nTok === 0) return;
  const { sumX_D, sumSq } = mem;
  sumX_D.fill(0);
  const maxSq = mem.pass1(vals, nTok);
  let nFinite = 0;
  for (let k = 0; k < nTok; k++) {
    // Squares of float32 values cannot overflow float64, so Σx² is finite exactly when every value is.
    const s = sumSq[k];
    if (!(s < Infinity)) {
      normOut[k] = NaN;
      continue;
    }
    const norm = Math.sqrt(s);
    normOut[k] = norm;
    pop.sumNorm += norm;
    pop.normHist[getHistBin(norm)]++;
    nFinite++;
  }
  if (nFinite < nTok) return addFiniteTokens(pop, vals, mem.offsets, nTok, normOut, nFinite);
  // x² is exact in float64 for float32 x, so its square root gives the largest |x| back exactly.
  pop.maxAbs = Math.max(pop.maxAbs, Math.sqrt(maxSq));
  for (let d = 0; d < pop.dVit; d++) sumX_D[d] /= nTok;
  mergeMean(pop, nTok, sumX_D);
}

const maxBitsScratch = new Uint32Array(1);
const maxFloatScratch = new Float32Array(maxBitsScratch.buffer);

/**
 * Pass 1 of a chunk holding NaN/Inf: counts them, and takes Σx and max |x| over the finite tokens (finite `norm_K`).
 */
function addFiniteTokens(
  pop: Population,
  vals: Float32Array,
  offsets: Int32Array,
  nTok: number,
  norm_K: Float64Array,
  nFinite: number,
): void {
  const D = pop.dVit;
  const sum = new Float64Array(D);
  const bits = new Uint32Array(vals.buffer, vals.byteOffset, vals.length);
  let maxBits = 0; // |x| compared as integer bits: monotone for non-negative finite floats
  for (let k = 0; k < nTok; k++) {
    const o = offsets[k];
    if (norm_K[k] !== norm_K[k]) {
      for (let d = 0; d < D; d++) {
        const v = vals[o + d];
        if (v !== v) pop.nNaN++;
        else if (v === Infinity || v === -Infinity) pop.nInf++;
      }
      pop.nNonFiniteTokens++;
      continue;
    }
    for (let d = 0; d < D; d++) {
      sum[d] += vals[o + d];
      const a = bits[o + d] & 0x7fffffff;
      if (a > maxBits) maxBits = a;
    }
  }
  maxBitsScratch[0] = maxBits;
  pop.maxAbs = Math.max(pop.maxAbs, maxFloatScratch[0]);
  for (let d = 0; d < D; d++) sum[d] /= nFinite;
  mergeMean(pop, nFinite, sum);
}

/** Merges the mean `meanB_D` of `nB` tokens into `a`'s (Chan et al.). */
function mergeMean(a: Population, nB: number, meanB_D: Float64Array): void {
  if (nB === 0) return;
  const n = a.n + nB;
  const wB = nB / n;
  for (let d = 0; d < a.dVit; d++) a.mean_D[d] += (meanB_D[d] - a.mean_D[d]) * wB;
  a.n = n;
}

/**
 * Pass 2 over the first `nTok` tokens of `mem.offsets` in `vals`, with `mean_D` the population's final
 * mean: Σ(x − μ)² per dimension, Σ‖x − μ‖ and its histogram, over the finite tokens.
 */
export function addCentredNorms(
  pop: Population,
  mem: StatsMemory,
  vals: Float32Array,
  nTok: number,
  mean_D: Float64Array,
): void {
  const { sumEE_D, sumSq } = mem;
  mem.mean_D.set(mean_D);
  sumEE_D.fill(0);
  mem.centred(vals, nTok);
  let nFinite = 0;
  for (let k = 0; k < nTok; k++) {
    const s = sumSq[k];
    if (!(s < Infinity)) continue; // a token with NaN/Inf, counted in pass 1
    const norm = Math.sqrt(s);
    pop.sumCentredNorm += norm;
    pop.centredHist[getHistBin(norm)]++;
    nFinite++;
  }
  if (nFinite === nTok) {
    for (let d = 0; d < pop.dVit; d++) pop.m2_D[d] += sumEE_D[d];
    return;
  }
  // sumEE_D took in the non-finite tokens too: sum again over the finite ones.
  for (let k = 0; k < nTok; k++) {
    if (!(sumSq[k] < Infinity)) continue;
    const o = mem.offsets[k];
    for (let d = 0; d < pop.dVit; d++) {
      const e = vals[o + d] - mean_D[d];
      pop.m2_D[d] += e * e;
    }
  }
}

/** Adds `b`'s pass-2 fields into `a`'s (both summed about the same final mean). */
export function addPass2Fields(a: Population, b: Population): void {
  a.sumCentredNorm += b.sumCentredNorm;
  for (let d = 0; d < a.dVit; d++) a.m2_D[d] += b.m2_D[d];
  for (let i = 0; i < a.centredHist.length; i++) a.centredHist[i] += b.centredHist[i];
}

/** Merges `b` into `a`: both from the same pass over disjoint tokens. */
export function mergePopulation(a: Population, b: Population): void {
  mergeMean(a, b.n, b.mean_D);
  a.sumNorm += b.sumNorm;
  a.maxAbs = Math.max(a.maxAbs, b.maxAbs);
  a.nNaN += b.nNaN;
  a.nInf += b.nInf;
  a.nNonFiniteTokens += b.nNonFiniteTokens;
  for (let i = 0; i < a.normHist.length; i++) a.normHist[i] += b.normHist[i];
  addPass2Fields(a, b);
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
    /** saev 0.1.0's normalising scalar: mean ‖x − μ‖ / sqrt(D). */
    normScalar: centredMeanNorm / Math.sqrt(D),
    /** sqrt(mean ‖x − μ‖²) / sqrt(D): makes the mean squared norm D. */
    rmsNormScalar: rmsCentredNorm / Math.sqrt(D),
    rmsCentredNorm,
    /** mean over dimensions of |μ_d| */
    meanAbsMean: pop.n ? meanAbs / D : NaN,
    maxAbs: pop.n ? pop.maxAbs : NaN,
    nNaN: pop.nNaN,
    nInf: pop.nInf,
    nNonFiniteTokens: pop.nNonFiniteTokens,
  };
}

export type PopulationSummary = ReturnType<typeof summarizePopulation>;
