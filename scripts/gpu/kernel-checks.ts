/**
 * The project's WebGPU kernels at the sizes a real extraction uses (ViT-B at batch 128, wider models),
 * against float64 values computed on the host for a sample of the outputs. The tests in test/webgpu/ cover
 * every code path at small sizes; these add the sizes, tile counts and limits of a real GPU.
 */
import { tf } from '../../src/backend.js';
import { attend } from '../../src/ops/attention.js';
import { gelu } from '../../src/ops/gelu.js';
import { layerNorm } from '../../src/ops/layer-norm.js';
import { setMatMulTileOverride } from '../../src/webgpu/kernels.js';
import { type Check, getRelRms, randomValues, samplePositions } from './sampling.js';

async function checkMatMul(m: number, k: number, n: number, tile: string | null): Promise<Check> {
  setMatMulTileOverride(tile);
  const a = randomValues(m * k, m + k),
    b = randomValues(k * n, k + n, 1 / Math.sqrt(k)),
    bias = randomValues(n, n);
  const out = tf.tidy(() =>
    tf.fused.matMul({ a: tf.tensor2d(a, [m, k]), b: tf.tensor2d(b, [k, n]), bias: tf.tensor1d(bias) }),
  );
  const got = (await out.data()) as Float32Array;
  out.dispose();
  setMatMulTileOverride(null);
  const positions = samplePositions(m * n, 4096, m * n);
  const want = Float64Array.from(positions, (p) => {
    const [i, j] = [Math.floor(p / n), p % n];
    let sum = bias[j];
    for (let q = 0; q < k; q++) sum += a[i * k + q] * b[q * n + j];
    return sum;
  });
  // float32 sums of k products drift ~sqrt(k) units in the last place: 1e-5 covers k = 4096 with margin.
  return {
    what: `matmul ${m}x${k} @ ${k}x${n} + bias (tile ${tile ?? 'by shape'})`,
    relRms: getRelRms(
      Float64Array.from(positions, (p) => got[p]),
      want,
    ),
    tolerance: 1e-5,
  };
}

async function checkAttention(batch: number, nTokens: number, width: number, nHeads: number): Promise<Check> {
  const qkv = randomValues(batch * nTokens * 3 * width, nTokens * width, 0.5);
  const out = tf.tidy(() => attend(tf.tensor2d(qkv, [batch * nTokens, 3 * width]), nTokens, nHeads));
  const got = (await out.data()) as Float32Array;
  out.dispose();
  const e = width / nHeads;
  const at = (image: number, token: number, column: number) => qkv[(image * nTokens + token) * 3 * width + column];
  const gotRows: number[] = [];
  const wantRows: number[] = [];
  for (const p of samplePositions(batch * nTokens * nHeads, 64, nTokens)) {
    const [image, rest] = [Math.floor(p / (nTokens * nHeads)), p % (nTokens * nHeads)];
    const [i, h] = [Math.floor(rest / nHeads), rest % nHeads];
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
      wantRows.push(sum / total);
      gotRows.push(got[(image * nTokens + i) * width + h * e + c]);
    }
  }
  // float32 sums over N keys (up to 1370) and E products: a few units in the last place, ~1e-6.
  return {
    what: `attention B=${batch} N=${nTokens} D=${width} heads=${nHeads}`,
    relRms: getRelRms(gotRows, wantRows),
    tolerance: 1e-5,
  };
}

async function checkLayerNorm(nRows: number, width: number): Promise<Check> {
  const x = randomValues(nRows * width, width, 4).map((v, i) => v + (i % 7));
  const gamma = randomValues(width, 1).map((v) => 1 + 0.2 * v),
    beta = randomValues(width, 2, 0.3);
  const out = tf.tidy(() => layerNorm(tf.tensor2d(x, [nRows, width]), tf.tensor1d(gamma), tf.tensor1d(beta), 1e-6));
  const got = (await out.data()) as Float32Array;
  out.dispose();
  const gotRows: number[] = [];
  const wantRows: number[] = [];
  for (const r of samplePositions(nRows, 256, width)) {
    const row = x.subarray(r * width, (r + 1) * width);
    const mean = row.reduce((s, v) => s + v, 0) / width;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / width;
    for (let d = 0; d < width; d++) {
      wantRows.push(((row[d] - mean) / Math.sqrt(variance + 1e-6)) * gamma[d] + beta[d]);
      gotRows.push(got[r * width + d]);
    }
  }
  return { what: `LayerNorm ${nRows}x${width}`, relRms: getRelRms(gotRows, wantRows), tolerance: 1e-6 };
}

async function checkGelu(n: number): Promise<Check> {
  const x = randomValues(n, n, 2);
  const out = tf.tidy(() => gelu(tf.tensor1d(x), 'quick'));
  const got = (await out.data()) as Float32Array;
  out.dispose();
  const positions = samplePositions(n, 8192, 3);
  const want = Float64Array.from(positions, (p) => x[p] / (1 + Math.exp(-1.702 * x[p])));
  return {
    what: `GELU (quick) over ${n} values`,
    relRms: getRelRms(
      Float64Array.from(positions, (p) => got[p]),
      want,
    ),
    tolerance: 1e-6,
  };
}

/**
 * Real sizes: ViT-B/16 at batch 128 (M = 25216 rows), a head width of 72 (SO400M), 1370 tokens (518 px).
 * Checks whose largest tensor exceeds the adapter's storage binding limit are left out and named in `log`.
 */
export async function runKernelChecks(maxBindingBytes: number, log: (line: string) => void): Promise<Check[]> {
  const planned: Array<[number, () => Promise<Check>]> = [
    [25216 * 2304, () => checkMatMul(25216, 768, 2304, null)],
    [25216 * 3072, () => checkMatMul(25216, 3072, 768, null)],
    [6304 * 4304, () => checkMatMul(6304, 1152, 4304, null)],
    [1000 * 3072, () => checkMatMul(1000, 768, 3072, '64x64')],
    [1000 * 3072, () => checkMatMul(1000, 768, 3072, '64x128')],
    [1000 * 3072, () => checkMatMul(1000, 768, 3072, '128x128k8')],
    [8 * 197 * 3 * 768, () => checkAttention(8, 197, 768, 12)],
    [2 * 729 * 3 * 1152, () => checkAttention(2, 729, 1152, 16)],
    [1370 * 3 * 1024, () => checkAttention(1, 1370, 1024, 16)],
    [25216 * 768, () => checkLayerNorm(25216, 768)],
    [1 << 24, () => checkGelu(1 << 24)],
  ];
  const checks: Check[] = [];
  for (const [largestValues, run] of planned) {
    if (4 * largestValues > maxBindingBytes)
      log(
        `kernel check of ${largestValues} values left out: over this adapter's ${maxBindingBytes}-byte binding limit`,
      );
    else checks.push(await run());
  }
  return checks;
}
