/** Float64 references, written from the definitions, for the webgpu kernel tests. */
import { getRelRms } from '../../scripts/gpu/sampling.js';

/** `a_MK @ b_KN + bias_N`, row-major. */
export function matMulReference(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  bias?: Float32Array,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias ? bias[j] : 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      out[i * n + j] = sum;
    }
  }
  return out;
}

/** Softmax attention from `qkv_MC` (C = 3D; q, k, v, heads contiguous) to `mixed_MD`. */
export function attentionReference(
  qkv: Float32Array,
  batch: number,
  nTokens: number,
  width: number,
  nHeads: number,
): Float64Array {
  const e = width / nHeads;
  const out = new Float64Array(batch * nTokens * width);
  const at = (image: number, token: number, column: number) => qkv[(image * nTokens + token) * 3 * width + column];
  for (let image = 0; image < batch; image++) {
    for (let h = 0; h < nHeads; h++) {
      for (let i = 0; i < nTokens; i++) {
        const scores = Array.from({ length: nTokens }, (_, j) => {
          let s = 0;
          for (let c = 0; c < e; c++) s += at(image, i, h * e + c) * at(image, j, width + h * e + c);
          return s / Math.sqrt(e);
        });
        const max = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - max));
        const total = weights.reduce((x, y) => x + y, 0);
        for (let c = 0; c < e; c++) {
          let sum = 0;
          for (let j = 0; j < nTokens; j++) sum += weights[j] * at(image, j, 2 * width + h * e + c);
          out[(image * nTokens + i) * width + h * e + c] = sum / total;
        }
      }
    }
  }
  return out;
}

export function layerNormReference(
  x: Float32Array,
  width: number,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    const row = x.subarray(r * width, (r + 1) * width);
    const mean = row.reduce((s, v) => s + v, 0) / width;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / width;
    for (let d = 0; d < width; d++)
      out[r * width + d] = ((row[d] - mean) / Math.sqrt(variance + eps)) * gamma[d] + beta[d];
  }
  return out;
}

/** sqrt(mean((got - want)^2)) / sqrt(mean(want^2)), for outputs of the same length. */
export function compare(got: ArrayLike<number>, want: ArrayLike<number>): { relRms: number } {
  if (got.length !== want.length) throw new Error(`compare: ${got.length} values, expected ${want.length}`);
  return { relRms: getRelRms(got, want) };
}
