import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { SelfAttention } from '../../src/layers/self-attention.js';
import { makeNormal } from '../../src/random.js';
import { countLeakedTensors } from './leaks.js';

beforeAll(async () => {
  await initBackend();
});

/**
 * Plain float64 multi-head attention, written from the definition (PyTorch's in_proj layout). `rope` rotates
 * each head's query and key of token n (given the head's vector) before the scores.
 */
function referenceAttention(
  x: number[][][],
  qkvW: number[][],
  qkvB: number[],
  outW: number[][],
  outB: number[],
  nHeads: number,
  rope: (v: number[], n: number) => number[] = (v) => v,
): number[][][] {
  const d = outB.length;
  const e = d / nHeads;
  const linear = (row: number[], w: number[][], b: number[]) =>
    b.map((bias, j) => row.reduce((s, v, i) => s + v * w[i][j], bias));
  return x.map((tokens) => {
    const qkv = tokens.map((t) => linear(t, qkvW, qkvB));
    const mixed = tokens.map(() => new Array<number>(d).fill(0));
    for (let h = 0; h < nHeads; h++) {
      const q = qkv.map((r, n) => rope(r.slice(h * e, (h + 1) * e), n));
      const k = qkv.map((r, n) => rope(r.slice(d + h * e, d + (h + 1) * e), n));
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

const matrix = (rows: number, cols: number, next: () => number) =>
  Array.from({ length: rows }, () => Array.from({ length: cols }, next));

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
    for (let i = 0; i < b; i++)
      for (let t = 0; t < n; t++) for (let c = 0; c < d; c++) expect(got[i][t][c]).toBeCloseTo(want[i][t][c], 4);
    tf.dispose([input, out, ...weights]);
  });

  it('with RoPE, rotates the patch queries and keys by the table first, CLS and registers untouched', async () => {
    const normal = makeNormal(8);
    const [b, nPrefix, side, d, k] = [2, 2, 2, 16, 2];
    const [n, e, nPatches] = [nPrefix + side * side, d / k, side * side];
    const x = Array.from({ length: b }, () => matrix(n, d, normal));
    const qkvW = matrix(d, 3 * d, () => 0.5 * normal());
    const qkvB = Array.from({ length: 3 * d }, () => 0.1 * normal());
    const outW = matrix(d, d, () => 0.3 * normal());
    const outB = Array.from({ length: d }, () => 0.1 * normal());
    const angles = matrix(nPatches, e / 2, () => 3 * normal()); // any angles: the layer takes the table as given
    // Interleaved pairs (2j, 2j + 1) turned by angle j.
    const rope = (v: number[], token: number) => {
      const p = token - nPrefix;
      if (p < 0) return v;
      return v.map((_, i) => {
        const [a, s] = [angles[p][i >> 1], i % 2 === 0 ? -v[i + 1] : v[i - 1]];
        return v[i] * Math.cos(a) + s * Math.sin(a);
      });
    };
    const table = [
      angles.map((row) => row.flatMap((a) => [Math.sin(a), Math.sin(a)])),
      angles.map((row) => row.flatMap((a) => [Math.cos(a), Math.cos(a)])),
    ];
    const layer = new SelfAttention({ nHeads: k, rope: 'interleaved' });
    const input = tf.tensor3d(x);
    const sinCos = tf.tensor3d(table);
    layer.build([input.shape, sinCos.shape]);
    const weights = [tf.tensor2d(qkvW), tf.tensor1d(qkvB), tf.tensor2d(outW), tf.tensor1d(outB)];
    layer.setWeights(weights);
    const out = layer.apply([input, sinCos]) as tf.Tensor3D;
    const got = await out.array();
    const want = referenceAttention(x, qkvW, qkvB, outW, outB, k, rope);
    const plain = referenceAttention(x, qkvW, qkvB, outW, outB, k);
    let [error, effect] = [0, 0];
    for (let i = 0; i < b; i++) {
      for (let t = 0; t < n; t++) {
        for (let c = 0; c < d; c++) {
          error = Math.max(error, Math.abs(got[i][t][c] - want[i][t][c]));
          effect = Math.max(effect, Math.abs(want[i][t][c] - plain[i][t][c]));
        }
      }
    }
    expect(error).toBeLessThan(1e-5);
    expect(effect).toBeGreaterThan(1e-2); // the rotation matters here
    tf.dispose([input, sinCos, out, ...weights]);
  });

  it('refuses a RoPE table it was not built for, and the lack of one it was', () => {
    const x = tf.ones([1, 5, 8]);
    const table = tf.ones([2, 4, 4]);
    expect(() => new SelfAttention({ nHeads: 2, name: 'plain' }).apply([x, table])).toThrow(
      /plain \(rope none\) got a RoPE table/,
    );
    expect(() => new SelfAttention({ nHeads: 2, rope: 'half', name: 'rotary' }).apply(x)).toThrow(
      /rotary \(rope half\) got no RoPE table/,
    );
    expect(() => new SelfAttention({ nHeads: 2, rope: 'sideways' as 'half' })).toThrow(
      /rope must be none, half or interleaved/,
    );
    tf.dispose([x, table]);
  });

  it('keeps the symbolic shape and round-trips its config', () => {
    const layer = new SelfAttention({ nHeads: 4, name: 'attn' });
    const out = layer.apply(tf.input({ shape: [7, 16] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 7, 16]);
    expect(layer.weights.map((w) => w.shape)).toEqual([[16, 48], [48], [16, 16], [16]]);
    const copy = SelfAttention.fromConfig(SelfAttention, layer.getConfig()) as SelfAttention;
    expect([copy.nHeads, copy.rope]).toEqual([4, 'none']);
    const { rope: _, ...older } = layer.getConfig(); // saved before the field existed
    expect((SelfAttention.fromConfig(SelfAttention, older) as SelfAttention).rope).toBe('none');
    const rotary = new SelfAttention({ nHeads: 4, rope: 'half' });
    expect((SelfAttention.fromConfig(SelfAttention, rotary.getConfig()) as SelfAttention).rope).toBe('half');
  });

  it('rejects a width that is not a multiple of the head count', () => {
    expect(() => new SelfAttention({ nHeads: 3 }).apply(tf.input({ shape: [4, 8] }))).toThrow(
      /width 8 must be a known multiple of nHeads 3/,
    );
  });

  it('leaks no tensor', () => {
    expect(countLeakedTensors(new SelfAttention({ nHeads: 2 }), [1, 3, 4])).toBe(0);
  });
});
