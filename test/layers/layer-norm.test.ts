import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { LayerNorm } from '../../src/layers/layer-norm.js';
import { countLeakedTensors } from './leaks.js';

beforeAll(async () => {
  await initBackend();
});

/** torch.nn.LayerNorm in float64: biased variance over the last axis. */
function referenceLayerNorm(rows: number[][], gamma: number[], beta: number[], eps: number): number[][] {
  return rows.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    return row.map((v, d) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[d] + beta[d]);
  });
}

function seededValues(n: number, seed: number, offset: number): number[] {
  let state = seed;
  return Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.fround(offset + (state / 2 ** 31) * 8 - 4); // exactly representable in the float32 tensor
  });
}

describe('LayerNorm', () => {
  it('equals a float64 LayerNorm on rows far from zero, with gamma and beta', async () => {
    const width = 48;
    const rows = [0, 1, 2, 3, 4, 5].map((r) => seededValues(width, 7 + r, r * 40 - 60));
    const gamma = seededValues(width, 99, 1);
    const beta = seededValues(width, 123, 0);
    const layer = new LayerNorm({ epsilon: 1e-6 });
    const x = tf.tensor3d([rows.slice(0, 3), rows.slice(3)]);
    layer.build(x.shape);
    const weights = [tf.tensor1d(gamma), tf.tensor1d(beta)];
    layer.setWeights(weights);
    const y = layer.apply(x) as tf.Tensor;
    const got = ((await y.array()) as number[][][]).flat();
    const want = referenceLayerNorm(rows, gamma, beta, 1e-6);
    // float32 rounding of a mean near 140 over a spread of ~2.3 allows ~1e-5; a wrong formula
    // (e.g. the unbiased variance) is off by ~1% of values up to ~20.
    for (let r = 0; r < rows.length; r++) {
      for (let d = 0; d < width; d++) expect(Math.abs(got[r][d] - want[r][d])).toBeLessThan(1e-4);
    }
    tf.dispose([x, y, ...weights]);
  });

  it('is the tfjs layerNormalization layer with the same weights', async () => {
    const x = tf.randomNormal([2, 5, 16], 3, 2, 'float32', 5);
    const gamma = tf.randomNormal([16], 1, 0.5, 'float32', 6);
    const beta = tf.randomNormal([16], 0, 0.5, 'float32', 7);
    const ours = new LayerNorm({ epsilon: 1e-5 });
    const theirs = tf.layers.layerNormalization({ axis: -1, epsilon: 1e-5 });
    ours.build(x.shape);
    theirs.build(x.shape);
    ours.setWeights([gamma, beta]);
    theirs.setWeights([gamma, beta]);
    const maxDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor))));
    const diff = (await maxDiff.data())[0];
    maxDiff.dispose();
    expect(diff).toBeLessThan(1e-5);
    expect(ours.getWeights().map((w) => w.shape)).toEqual([[16], [16]]);
    tf.dispose([x, gamma, beta]);
  });

  it('starts as the identity normalisation, keeps the symbolic shape and round-trips its config', async () => {
    const layer = new LayerNorm({ epsilon: 1e-6, name: 'ln' });
    const out = layer.apply(tf.input({ shape: [5, 8] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 5, 8]);
    expect(await Promise.all(layer.getWeights().map(async (w) => Array.from(await w.data())))).toEqual([
      Array(8).fill(1),
      Array(8).fill(0),
    ]);
    expect(layer.weights.map((w) => w.originalName)).toEqual(['ln/gamma', 'ln/beta']);
    const copy = LayerNorm.fromConfig(LayerNorm, layer.getConfig()) as LayerNorm;
    expect([copy.epsilon, copy.name]).toEqual([1e-6, 'ln']);
  });

  it('rejects a non-positive epsilon', () => {
    expect(() => new LayerNorm({ epsilon: 0 })).toThrow(/epsilon must be a positive number/);
  });

  it('leaks no tensor', () => {
    expect(countLeakedTensors(new LayerNorm(), [2, 3, 4])).toBe(0);
  });
});
