/**
 * Axis permutations of row-major Float32Arrays, in plain JavaScript, so the
 * converter changes torch layout into tfjs layout without a backend and one
 * tensor at a time: a 2-D transpose in cache-sized tiles (Linear `[out, in]`
 * -> Dense kernel `[in, out]`) and any permutation for the rest (Conv
 * `[O, I, kh, kw]` -> `[kh, kw, I, O]`).
 */

import { gather, getContiguousStride, getNumel } from '../checkpoint/tensor-data.js';

const TILE = 64;

/** `[rows, cols]` -> `[cols, rows]`. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  if (data.length !== rows * cols) throw new Error(`permute: ${data.length} values are not [${rows}, ${cols}]`);
  const out = new Float32Array(data.length);
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const from = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = data[from + c];
      }
    }
  }
  return out;
}

/** Output axis i is input axis `perm[i]`, as numpy's `transpose(perm)`. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  if (data.length !== getNumel(shape)) throw new Error(`permute: ${data.length} values are not [${shape.join(', ')}]`);
  if (perm.length !== shape.length || [...perm].sort((a, b) => a - b).some((axis, i) => axis !== i)) {
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of ${shape.length} axes`);
  }
  if (shape.length === 2 && perm[0] === 1) return transpose2d(data, shape[0], shape[1]);
  // The permuted array is a strided view of the input: output axis i steps as input axis perm[i] does.
  const inStride = getContiguousStride(shape);
  return gather(
    data,
    perm.map((axis) => shape[axis]),
    perm.map((axis) => inStride[axis]),
  );
}
