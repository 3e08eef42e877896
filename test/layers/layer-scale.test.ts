import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { LayerScale } from '../../src/layers/layer-scale.js';
import { countLeakedTensors } from './leaks.js';

beforeAll(async () => {
  await initBackend();
});

describe('LayerScale', () => {
  it('scales each channel by its gamma', async () => {
    const layer = new LayerScale();
    const x = tf.tensor3d([
      [
        [1, 2, 3],
        [-4, 5, -6],
      ],
    ]);
    layer.build(x.shape);
    const gamma = tf.tensor1d([2, -1, 0.5]);
    layer.setWeights([gamma]);
    const y = layer.apply(x) as tf.Tensor;
    expect(await y.array()).toEqual([
      [
        [2, -2, 1.5],
        [-8, -5, -3],
      ],
    ]);
    tf.dispose([x, y, gamma]);
  });

  it('starts at initValue, keeps the symbolic shape and round-trips its config', async () => {
    const layer = new LayerScale({ initValue: 0.25, name: 'ls' });
    const out = layer.apply(tf.input({ shape: [5, 8] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 5, 8]);
    expect(Array.from(await layer.getWeights()[0].data())).toEqual(Array(8).fill(0.25));
    const copy = LayerScale.fromConfig(LayerScale, layer.getConfig()) as LayerScale;
    expect([copy.initValue, copy.name]).toEqual([0.25, 'ls']);
  });

  it('rejects a non-finite initValue', () => {
    expect(() => new LayerScale({ initValue: Number.NaN })).toThrow(/initValue must be a finite number/);
  });

  it('leaks no tensor', () => {
    expect(countLeakedTensors(new LayerScale(), [2, 3, 4])).toBe(0);
  });
});
