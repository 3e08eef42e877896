// The WGSL kernels of src/webgpu/ against float64 references written from the definitions: every matmul
// tile shape (ragged M, N and K), batched and broadcast products, the attention kernel over several head
// widths and token counts (one token, more than one workgroup of queries, more than one tile of keys), the
// LayerNorm and GELU kernels; shapes the kernels do not take go to tfjs's generic kernels and stay right.
// Tolerance: relative RMS 1e-6 (float32 rounding of sums of at most a few hundred terms is ~1e-7).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { attend } from '../../src/ops/attention.js';
import { gelu, GeluApproximation } from '../../src/ops/gelu.js';
import { layerNorm } from '../../src/ops/layer-norm.js';
import { setMatMulTileOverride } from '../../src/webgpu/kernels.js';
import { MATMUL_TILES } from '../../src/webgpu/matmul-program.js';
import { randomValues } from '../../scripts/gpu/sampling.js';
import { attentionReference, compare, layerNormReference, matMulReference } from './references.js';
import { openWebGpuForTests } from './webgpu-backend.js';

const { info } = await openWebGpuForTests('webgpu kernels');
const TOLERANCE = 1e-6;

/** Kernel names one call ran (tf.profile), to tell the fused path from the generic one. */
async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  const profile = await tf.profile(() => tf.tidy(f));
  tf.dispose(profile.result as tf.Tensor);
  return profile.kernels.map((k) => k.name);
}

describe.runIf(info)('webgpu matmul', () => {
  afterEach(() => setMatMulTileOverride(null));

  for (const tile of Object.keys(MATMUL_TILES)) {
    it(`tile ${tile}: a_MK @ b_KN + bias for ragged sizes`, async () => {
      setMatMulTileOverride(tile);
      for (const [m, k, n] of [
        [1, 4, 4],
        [130, 36, 100],
        [197, 68, 264],
      ]) {
        const a = randomValues(m * k, m),
          b = randomValues(k * n, k, 0.2),
          bias = randomValues(n, n);
        const before = tf.memory().numTensors;
        const out = tf.tidy(() =>
          tf.fused.matMul({ a: tf.tensor2d(a, [m, k]), b: tf.tensor2d(b, [k, n]), bias: tf.tensor1d(bias) }),
        );
        expect(out.shape).toEqual([m, n]);
        const got = await out.data();
        out.dispose();
        expect(tf.memory().numTensors).toBe(before);
        expect(compare(got, matMulReference(a, b, m, k, n, bias)).relRms, `${m}x${k}x${n}`).toBeLessThan(TOLERANCE);
      }
    });
  }

  it('runs our kernel for Dense-shaped products and batches, broadcasting b', async () => {
    const [batch, m, k, n] = [3, 37, 20, 12];
    const a = randomValues(batch * m * k, 1),
      b = randomValues(batch * k * n, 2),
      shared = randomValues(k * n, 3);
    const names = await kernelsOf(() => tf.matMul(tf.tensor3d(a, [batch, m, k]), tf.tensor3d(b, [batch, k, n])));
    expect(names).toContain('BatchMatMul');
    const batched = tf.matMul(tf.tensor3d(a, [batch, m, k]), tf.tensor3d(b, [batch, k, n]));
    const broadcast = tf.matMul(tf.tensor3d(a, [batch, m, k]), tf.tensor2d(shared, [k, n]));
    const [gotBatched, gotBroadcast] = [await batched.data(), await broadcast.data()];
    for (let i = 0; i < batch; i++) {
      const ai = a.subarray(i * m * k, (i + 1) * m * k);
      expect(
        compare(
          gotBatched.subarray(i * m * n, (i + 1) * m * n),
          matMulReference(ai, b.subarray(i * k * n, (i + 1) * k * n), m, k, n),
        ).relRms,
      ).toBeLessThan(TOLERANCE);
      expect(
        compare(gotBroadcast.subarray(i * m * n, (i + 1) * m * n), matMulReference(ai, shared, m, k, n)).relRms,
      ).toBeLessThan(TOLERANCE);
    }
    tf.dispose([batched, broadcast]);
  });

  it('leaves what it does not take (transposed b, N not a multiple of 4) to tfjs, with the same values', async () => {
    const [m, k, n] = [9, 8, 6];
    const a = randomValues(m * k, 4),
      b = randomValues(k * n, 5);
    const bT = new Float32Array(n * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) bT[j * k + i] = b[i * n + j];
    const want = matMulReference(a, b, m, k, n);
    const direct = tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n]));
    const transposed = tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(bT, [n, k]), false, true);
    expect(compare(await direct.data(), want).relRms).toBeLessThan(TOLERANCE);
    expect(compare(await transposed.data(), want).relRms).toBeLessThan(TOLERANCE);
    tf.dispose([direct, transposed]);
  });
});

describe.runIf(info)('webgpu attention', () => {
  // [batch, tokens, width, heads]: head widths 8, 20 (5 vec4), 32 and 4; one token; 65 tokens span two query
  // workgroups and three key tiles.
  const CASES: Array<[number, number, number, number]> = [
    [2, 37, 32, 4],
    [1, 70, 60, 3],
    [3, 1, 16, 2],
    [1, 65, 64, 2],
    [2, 9, 8, 2],
  ];
  for (const [batch, nTokens, width, nHeads] of CASES) {
    it(`equals softmax(q k^T / sqrt(E)) v: B=${batch} N=${nTokens} D=${width} K=${nHeads}`, async () => {
      const qkv = randomValues(batch * nTokens * 3 * width, nTokens + width, 0.7);
      const before = tf.memory().numTensors;
      const make = () => attend(tf.tensor2d(qkv, [batch * nTokens, 3 * width]), nTokens, nHeads);
      expect(await kernelsOf(make)).toContain('SaevAttention');
      const out = tf.tidy(make);
      expect(out.shape).toEqual([batch * nTokens, width]);
      const { relRms } = compare(await out.data(), attentionReference(qkv, batch, nTokens, width, nHeads));
      out.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(relRms).toBeLessThan(TOLERANCE);
    });
  }

  it('composes generic ops for a head width that is not a multiple of 4, with the same values', async () => {
    const [batch, nTokens, width, nHeads] = [2, 5, 6, 2];
    const qkv = randomValues(batch * nTokens * 3 * width, 11);
    const make = () => attend(tf.tensor2d(qkv, [batch * nTokens, 3 * width]), nTokens, nHeads);
    const names = await kernelsOf(make);
    expect(names).not.toContain('SaevAttention');
    expect(names).toContain('Softmax');
    const out = tf.tidy(make);
    expect(compare(await out.data(), attentionReference(qkv, batch, nTokens, width, nHeads)).relRms).toBeLessThan(
      TOLERANCE,
    );
    out.dispose();
  });
});

describe.runIf(info)('webgpu LayerNorm', () => {
  for (const width of [12, 520]) {
    it(`normalises rows of width ${width} far from zero, with gamma and beta`, async () => {
      const nRows = 7;
      const x = randomValues(nRows * width, width, 3).map((v, i) => v + 50 * Math.floor(i / width) - 100);
      const gamma = randomValues(width, 1).map((v) => 1 + 0.3 * v),
        beta = randomValues(width, 2, 0.5);
      const make = () => layerNorm(tf.tensor2d(x, [nRows, width]), tf.tensor1d(gamma), tf.tensor1d(beta), 1e-6);
      expect(await kernelsOf(make)).toContain('SaevLayerNorm');
      const out = tf.tidy(make);
      // Rows centred near -100..200 with a spread of 3: float32 rounding of the mean alone is ~3e-6 of the result.
      expect(compare(await out.data(), layerNormReference(x, width, gamma, beta, 1e-6)).relRms).toBeLessThan(1e-5);
      out.dispose();
    });
  }

  it('normalises every row when there are more rows than one dispatch axis holds', async (ctx) => {
    // One workgroup a row: past the axis limit (65,535 on the GPUs and llvmpipe we know), tfjs spreads the
    // workgroups over x and y, and the kernel must find its row from both.
    const axisLimit = (tf.backend() as unknown as { device: GPUDevice }).device.limits.maxComputeWorkgroupsPerDimension;
    if (axisLimit > 200_000) ctx.skip();
    const [nRows, width] = [axisLimit + 1000, 8];
    const x = randomValues(nRows * width, 5, 3).map((v, i) => v + (Math.floor(i / width) % 97));
    const [gamma, beta] = [new Float32Array(width).fill(1), new Float32Array(width)];
    const make = () => layerNorm(tf.tensor2d(x, [nRows, width]), tf.tensor1d(gamma), tf.tensor1d(beta), 1e-6);
    expect(await kernelsOf(make)).toContain('SaevLayerNorm');
    const out = tf.tidy(make);
    const got = await out.data();
    out.dispose();
    const want = layerNormReference(x, width, gamma, beta, 1e-6);
    const beyond = axisLimit * width; // the rows only the second dispatch axis reaches
    expect(compare(got.subarray(beyond), want.subarray(beyond)).relRms).toBeLessThan(1e-5);
    expect(compare(got, want).relRms).toBeLessThan(1e-5);
  });
});

describe.runIf(info)('webgpu GELU', () => {
  interface Vector {
    x: number;
    none: number;
    tanh: number;
    quick: number;
  }
  const vectors = JSON.parse(
    readFileSync(new URL('../fixtures/gelu-vectors.json', import.meta.url), 'utf8'),
  ) as Vector[];
  // Python's float64 values (scripts/make-gelu-vectors.py), repeated to a multiple of 4 values.
  const padded = [...vectors, ...vectors, ...vectors, ...vectors];
  for (const approximate of ['none', 'tanh', 'quick'] as GeluApproximation[]) {
    it(`${approximate}: Python's float64 values within 1e-6`, async () => {
      const make = () => gelu(tf.tensor1d(padded.map((v) => v.x)), approximate);
      expect(await kernelsOf(make)).toContain('SaevGelu');
      const out = tf.tidy(make);
      const got = await out.data();
      out.dispose();
      padded.forEach((v, i) => expect(Math.abs(got[i] - v[approximate]), `x = ${v.x}`).toBeLessThan(1e-6));
    });
  }
});

describe.runIf(!info)('webgpu kernels', () => {
  it.runIf(process.env.SAEV_WEBGPU_REQUIRED === '1')('have a webgpu backend (SAEV_WEBGPU_REQUIRED=1)', () => {
    expect(info, 'no webgpu adapter; CI installs Mesa 25 (llvmpipe) for this').toBeTruthy();
  });
});

describe.runIf(info && info.adapter!.maxStorageBufferBindingSize <= 2 ** 28)('webgpu errors', () => {
  it('are reported once by takeBackendError, not lost: a product over the binding limit', async () => {
    const { takeBackendError } = await import('../../src/backend.js');
    expect(takeBackendError()).toBeNull();
    const n = 4096;
    const m = Math.ceil(info!.adapter!.maxStorageBufferBindingSize / 4 / n) + 8; // the output alone exceeds one binding
    const out = tf.tidy(() => tf.matMul(tf.zeros([m, n]), tf.zeros([n, n])));
    await out.data();
    out.dispose();
    expect(takeBackendError()).toMatch(/binding size/i);
    expect(takeBackendError()).toBeNull();
  });
});
