/**
 * The values of one reader item, taken from decoded shard values: which bytes
 * of a shard an item needs, and how its D values are formed (a copy of one
 * token of one layer, or a float64 mean over patch tokens and/or layers,
 * rounded once to float32). CLS-aware: patch p is token p + 1 only when the
 * shards store a CLS token.
 */
import type { ItemSource, Mode } from './modes.js';

/** L, T, D and the CLS offset of a shard directory. */
export interface SlabGeometry {
  nLayers: number;
  nTokensPerImg: number;
  dVit: number;
  clsToken: boolean;
}

/** Value range `[start, end)` of item `src` inside its image slab `[L, T, D]`. */
export function getItemRange(src: ItemSource, mode: Mode, g: SlabGeometry): { start: number; end: number } {
  const { nTokensPerImg: T, dVit: D } = g;
  const cls = g.clsToken ? 1 : 0;
  if (src.layerI < 0) return { start: 0, end: g.nLayers * T * D };
  const layerBase = src.layerI * T * D;
  if (mode.patches === 'meanpool') return { start: layerBase + cls * D, end: layerBase + T * D };
  const token = mode.patches === 'cls' ? 0 : cls + src.patchI;
  return { start: layerBase + token * D, end: layerBase + (token + 1) * D };
}

/**
 * Writes item `src`'s D values to `out[outOffset..]`. `imgBase` is the index
 * in `vals` of the (possibly unread) start of the item's image slab; only the
 * values in `getItemRange` are touched.
 */
export function writeItemValues(
  vals: Float32Array,
  imgBase: number,
  src: ItemSource,
  mode: Mode,
  g: SlabGeometry,
  out: Float32Array,
  outOffset: number,
  sum_D: Float64Array,
): void {
  const { nTokensPerImg: T, dVit: D } = g;
  const cls = g.clsToken ? 1 : 0;
  const layers = src.layerI >= 0 ? [src.layerI] : Array.from({ length: g.nLayers }, (_, l) => l);
  let t0: number;
  let t1: number;
  if (mode.patches === 'cls') [t0, t1] = [0, 1];
  else if (mode.patches === 'patches') [t0, t1] = [cls + src.patchI, cls + src.patchI + 1];
  else [t0, t1] = [cls, T];
  if (layers.length === 1 && t1 - t0 === 1) {
    const from = imgBase + (layers[0] * T + t0) * D;
    out.set(vals.subarray(from, from + D), outOffset);
    return;
  }
  sum_D.fill(0);
  for (const l of layers) {
    for (let t = t0; t < t1; t++) {
      const from = imgBase + (l * T + t) * D;
      for (let d = 0; d < D; d++) sum_D[d] += vals[from + d];
    }
  }
  const count = layers.length * (t1 - t0);
  for (let d = 0; d < D; d++) out[outOffset + d] = sum_D[d] / count;
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The float32 bits of |clamp| (rounded to float32), comparable with `getMaxAbsBits`. */
export function getClampBits(clamp: number): number {
  scratch[0] = Math.fround(clamp);
  return scratchBits[0] & 0x7fffffff;
}

/**
 * The largest `bits[i] & 0x7fffffff` over [start, end): |x| compared as integer bits, which is
 * monotone for non-negative floats, with NaN above every finite value and Inf. Four independent
 * maxima keep the loop free of a dependency chain (about 1.4x faster than one).
 */
export function getMaxAbsBits(bits: Uint32Array, start: number, end: number): number {
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const x0 = bits[i] & 0x7fffffff;
    const x1 = bits[i + 1] & 0x7fffffff;
    const x2 = bits[i + 2] & 0x7fffffff;
    const x3 = bits[i + 3] & 0x7fffffff;
    if (x0 > m0) m0 = x0;
    if (x1 > m1) m1 = x1;
    if (x2 > m2) m2 = x2;
    if (x3 > m3) m3 = x3;
  }
  for (; i < end; i++) {
    const x = bits[i] & 0x7fffffff;
    if (x > m0) m0 = x;
  }
  return Math.max(m0, m1, m2, m3);
}

/** saev 0.1.0's `transform`: `(clamp(x, -c, c) - mean) / scalar`, each step rounded to float32 as torch does. */
export function normalizeRow(
  out: Float32Array,
  offset: number,
  dVit: number,
  clamp: number,
  mean_D: Float32Array | null,
  scalar: number,
): void {
  const c = Math.fround(clamp);
  const s = Math.fround(scalar);
  if (!mean_D && s === 1) {
    // Clamp only (the common case): one fast scan for |x| above the clamp (NaN bits land there too, and
    // stay NaN), and a float pass only when one is found.
    const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
    if (getMaxAbsBits(bits, offset, offset + dVit) <= getClampBits(c)) return;
    for (let i = offset, end = offset + dVit; i < end; i++) {
      const x = out[i];
      if (x > c) out[i] = c;
      else if (x < -c) out[i] = -c;
    }
    return;
  }
  for (let d = 0; d < dVit; d++) {
    let x = out[offset + d];
    x = x > c ? c : x < -c ? -c : x;
    if (mean_D) x = Math.fround(x - mean_D[d]);
    out[offset + d] = s === 1 ? x : x / s;
  }
}
