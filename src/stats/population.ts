/**
 * A mergeable float64 summary of one population of D-vectors (the CLS tokens,
 * or the patch tokens, of one layer). Tokens arrive in chunks: a chunk's mean
 * and sum of squared deviations are computed exactly in two passes over the
 * chunk in memory, then merged into the running totals with Chan, Golub &
 * LeVeque's pairwise update (mean += δ·nB/n, M2 += M2B + δ²·nA·nB/n), so the
 * result does not depend on chunk sizes or on how work is split over jobs
 * beyond float64 rounding. Tokens with a NaN or Inf value are counted and left
 * out of every other statistic.
 *
 * Pass 1 gives n, mean, M2, Σ‖x‖, max |x|, NaN/Inf counts and the ‖x‖
 * histogram; pass 2 (given the final mean) gives Σ‖x − μ‖ and its histogram,
 * which need μ first and so cannot come from the same pass.
 */

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

/** Scratch space reused across chunks (one per thread). */
export interface Scratch {
  sum_D: Float64Array;
  sumSq_D: Float64Array;
  shift_D: Float64Array;
  finite: Int32Array;
}

export function makeScratch(dVit: number, maxTokens: number): Scratch {
  return { sum_D: new Float64Array(dVit), sumSq_D: new Float64Array(dVit), shift_D: new Float64Array(dVit), finite: new Int32Array(maxTokens) };
}

/**
 * Pass 1, one read of each value: sums of y = x - K and y² per dimension, with the shift K the running
 * mean (or the chunk's first token at the start), so the chunk's M2 = Σy² - (Σy)²/m suffers no
 * cancellation. A chunk holding any NaN/Inf is redone by `addTokensExact`, which leaves such tokens out.
 */
export function addTokens(pop: Population, vals: Float32Array, offsets: Int32Array, nTok: number, scratch: Scratch, normOut: Float64Array): void {
  const D = pop.dVit;
  if (nTok === 0) return;
  const { sum_D: sy, sumSq_D: syy, shift_D: K } = scratch;
  if (pop.n > 0) K.set(pop.mean_D);
  else for (let d = 0; d < D; d++) K[d] = vals[offsets[0] + d];
  if (!(K.every(Number.isFinite))) return addTokensExact(pop, vals, offsets, nTok, scratch, normOut);
  sy.fill(0);
  syy.fill(0);
  // |x| max as the max of x² (exact in float64 for float32 x, so sqrt gives |x| back exactly).
  let maxSq = 0;
  let sumNorm = 0;
  let k = 0;
  // Four tokens at a time share each load and store of K[d], sy[d] and syy[d]; each token's Σx² still runs over d in order.
  for (; k + 4 <= nTok; k += 4) {
    const o0 = offsets[k];
    const o1 = offsets[k + 1];
    const o2 = offsets[k + 2];
    const o3 = offsets[k + 3];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let d = 0; d < D; d++) {
      const kd = K[d];
      const v0 = vals[o0 + d];
      const v1 = vals[o1 + d];
      const v2 = vals[o2 + d];
      const v3 = vals[o3 + d];
      const q0 = v0 * v0;
      const q1 = v1 * v1;
      const q2 = v2 * v2;
      const q3 = v3 * v3;
      s0 += q0;
      s1 += q1;
      s2 += q2;
      s3 += q3;
      // Separate, rarely taken branches: a ternary tree or Math.max here costs two to three times more.
      if (q0 > maxSq) maxSq = q0;
      if (q1 > maxSq) maxSq = q1;
      if (q2 > maxSq) maxSq = q2;
      if (q3 > maxSq) maxSq = q3;
      const y0 = v0 - kd;
      const y1 = v1 - kd;
      const y2 = v2 - kd;
      const y3 = v3 - kd;
      sy[d] += y0 + y1 + (y2 + y3);
      syy[d] += y0 * y0 + y1 * y1 + (y2 * y2 + y3 * y3);
    }
    // Squares of float32 values cannot overflow float64, so s is finite exactly when every value is.
    const all = s0 + s1 + s2 + s3;
    if (all !== all || all === Infinity) return addTokensExact(pop, vals, offsets, nTok, scratch, normOut);
    const n0 = Math.sqrt(s0);
    const n1 = Math.sqrt(s1);
    const n2 = Math.sqrt(s2);
    const n3 = Math.sqrt(s3);
    normOut[k] = n0;
    normOut[k + 1] = n1;
    normOut[k + 2] = n2;
    normOut[k + 3] = n3;
    sumNorm += n0 + n1 + n2 + n3;
  }
  for (; k < nTok; k++) {
    const o = offsets[k];
    let s = 0;
    for (let d = 0; d < D; d++) {
      const v = vals[o + d];
      const q = v * v;
      s += q;
      if (q > maxSq) maxSq = q;
      const y = v - K[d];
      sy[d] += y;
      syy[d] += y * y;
    }
    if (s !== s || s === Infinity) return addTokensExact(pop, vals, offsets, nTok, scratch, normOut);
    const norm = Math.sqrt(s);
    normOut[k] = norm;
    sumNorm += norm;
  }
  for (let k = 0; k < nTok; k++) pop.normHist[getHistBin(normOut[k])]++;
  pop.sumNorm += sumNorm;
  pop.maxAbs = Math.max(pop.maxAbs, Math.sqrt(maxSq));
  const mean = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    mean[d] = K[d] + sy[d] / nTok;
    syy[d] = Math.max(0, syy[d] - (sy[d] * sy[d]) / nTok);
  }
  mergeMoments(pop, nTok, mean, syy);
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
export function addTokensExact(pop: Population, vals: Float32Array, offsets: Int32Array, nTok: number, scratch: Scratch, normOut: Float64Array): void {
  const D = pop.dVit;
  const sum = scratch.sum_D;
  const finite = scratch.finite;
  const bits = new Uint32Array(vals.buffer, vals.byteOffset, vals.length);
  sum.fill(0);
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

/** Pass 2: Σ‖x − μ‖ and its histogram, with `mean_D` the population's final mean. */
export function addCentredNorms(pop: Population, vals: Float32Array, offsets: Int32Array, nTok: number, mean_D: Float64Array): void {
  const D = pop.dVit;
  const add = (s: number) => {
    if (s !== s || s === Infinity) return; // non-finite token, counted in pass 1
    const norm = Math.sqrt(s);
    pop.sumCentredNorm += norm;
    pop.centredHist[getHistBin(norm)]++;
  };
  let k = 0;
  // Four tokens at a time share each load of mean_D[d]; each token's sum still runs over d in order (same result).
  for (; k + 4 <= nTok; k += 4) {
    const o0 = offsets[k];
    const o1 = offsets[k + 1];
    const o2 = offsets[k + 2];
    const o3 = offsets[k + 3];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let d = 0; d < D; d++) {
      const m = mean_D[d];
      const e0 = vals[o0 + d] - m;
      const e1 = vals[o1 + d] - m;
      const e2 = vals[o2 + d] - m;
      const e3 = vals[o3 + d] - m;
      s0 += e0 * e0;
      s1 += e1 * e1;
      s2 += e2 * e2;
      s3 += e3 * e3;
    }
    add(s0);
    add(s1);
    add(s2);
    add(s3);
  }
  for (; k < nTok; k++) {
    const o = offsets[k];
    let s = 0;
    for (let d = 0; d < D; d++) {
      const dev = vals[o + d] - mean_D[d];
      s += dev * dev;
    }
    add(s);
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
