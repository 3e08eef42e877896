import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { SelfAttention } from '../../src/layers/self-attention.js';
import { makeNormal } from '../../src/random.js';
import { countLeakedTensors } from './leaks.js';

beforeAll(async () => {
  await initBackend();
});

/** Plain float64 multi-head attention, written from the definition (PyTorch's in_proj layout). */
function referenceAttention(x: number[][][], qkvW: number[][], qkvB: number[], outW: number[][], outB: number[], nHeads: number): number[][][] {
  const d = outB.length;
  const e = d / nHeads;
  const linear = (row: number[], w: number[][], b: number[]) => b.map((bias, j) => row.reduce((s, v, i) => s + v * w[i][j], bias));
  return x.map((tokens) => {
    const qkv = tokens.map((t) => linear(t, qkvW, qkvB));
    const mixed = tokens.map(() => new Array<number>(d).fill(0));
    for (let h = 0; h < nHeads; h++) {
      const q = qkv.map((r) => r.slice(h * e, (h + 1) * e));
      const k = qkv.map((r) => r.slice(d + h * e, d + (h + 1) * e));
      const v = qkv.map((r) => r.slice(2 * d + h * e, 2 * d + (h + 1) * e));
      q.forEach((qi, i) => {
        const scores = k.map((kj) => kj.reduce((s, kv, c) => s + kv * qi[c], 0) / Math.sqrt(e));
        const max = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - max));
        const total = weights.reduce((a, b) => a + b, 0);
        for (let c = 0; c < e; c++) mixed[i][h * e + c] = weights.reduce((s, w, j) => s + (w / total) * v[j][c], 0);
      });
    }
    return mixed.map((r) => linear(r, outW, outB));
  });
}

const matrix = (rows: number, cols: number, next: () => number) => Array.from({ length: rows }, () => Array.from({ length: cols }, next));

describe('SelfAttention', () => {
  it('equals a float64 reference with PyTorch weight layout', async () => {
    const normal = makeNormal(7);
    const [b, n, d, k] = [2, 5, 8, 2];
    const x = Array.from({ length: b }, () => matrix(n, d, normal));
    const qkvW = matrix(d, 3 * d, () => 0.3 * normal());
    const qkvB = Array.from({ length: 3 * d }, () => 0.1 * normal());
    const outW = matrix(d, d, () => 0.3 * normal());
    const outB = Array.from({ length: d }, () => 0.1 * normal());
    const layer = new SelfAttention({ nHeads: k });
    const input = tf.tensor3d(x);
    layer.build(input.shape);
    const weights = [tf.tensor2d(qkvW), tf.tensor1d(qkvB), tf.tensor2d(outW), tf.tensor1d(outB)];
    layer.setWeights(weights);
    const out = layer.apply(input) as tf.Tensor3D;
    const got = await out.array();
    const want = referenceAttention(x, qkvW, qkvB, outW, outB, k);
    for (let i = 0; i < b; i++) for (let t = 0; t < n; t++) for (let c = 0; c < d; c++) expect(got[i][t][c]).toBeCloseTo(want[i][t][c], 4);
    tf.dispose([input, out, ...weights]);
  });

  it('keeps the symbolic shape and round-trips its config', () => {
    const layer = new SelfAttention({ nHeads: 4, name: 'attn' });
    const out = layer.apply(tf.input({ shape: [7, 16] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 7, 16]);
    expect(layer.weights.map((w) => w.shape)).toEqual([[16, 48], [48], [16, 16], [16]]);
    const copy = SelfAttention.fromConfig(SelfAttention, layer.getConfig()) as SelfAttention;
    expect(copy.nHeads).toBe(4);
  });

  it('rejects a width that is not a multiple of the head count', () => {
    expect(() => new SelfAttention({ nHeads: 3 }).apply(tf.input({ shape: [4, 8] }))).toThrow(/width 8 must be a known multiple of nHeads 3/);
  });

  it('leaks no tensor', () => {
    expect(countLeakedTensors(new SelfAttention({ nHeads: 2 }), [1, 3, 4])).toBe(0);
  });
});
