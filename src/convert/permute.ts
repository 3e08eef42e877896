/**
 * Axis permutations of row-major Float32Arrays, in plain JavaScript, so the
 * converter changes torch layout into tfjs layout without a backend and one
 * tensor at a time: a 2-D transpose in cache-sized tiles (Linear `[out, in]`
 * -> Dense kernel `[in, out]`) and any permutation for the rest (Conv
 * `[O, I, kh, kw]` -> `[kh, kw, I, O]`).
 */

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
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`permute: ${data.length} values are not [${shape.join(', ')}]`);
  if (perm.length !== shape.length || [...perm].sort((a, b) => a - b).some((axis, i) => axis !== i)) {
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of ${shape.length} axes`);
  }
  if (shape.length === 2 && perm[0] === 1) return transpose2d(data, shape[0], shape[1]);
  const inStride = new Array<number>(shape.length);
  for (let d = shape.length - 1, step = 1; d >= 0; d--) {
    inStride[d] = step;
    step *= shape[d];
  }
  const outShape = perm.map((axis) => shape[axis]);
  const stride = perm.map((axis) => inStride[axis]); // input step per output axis
  const out = new Float32Array(n);
  const index = new Array<number>(shape.length).fill(0);
  let source = 0;
  for (let i = 0; i < n; i++) {
    out[i] = data[source];
    for (let d = outShape.length - 1; d >= 0; d--) {
      index[d]++;
      source += stride[d];
      if (index[d] < outShape[d]) break;
      source -= index[d] * stride[d];
      index[d] = 0;
    }
  }
  return out;
}
