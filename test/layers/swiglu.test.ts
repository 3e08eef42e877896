import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { SwiGlu } from '../../src/layers/swiglu.js';
import { countLeakedTensors } from './leaks.js';

beforeAll(async () => {
  await initBackend();
});

describe('SwiGlu', () => {
  it('is silu(gate) * value, the gate being the first half (float64 reference)', async () => {
    const x = [[[-3, -0.5, 0, 2, 1.5, -2, 4, 0.25]]];
    const layer = new SwiGlu();
    const input = tf.tensor3d(x);
    const y = layer.apply(input) as tf.Tensor;
    expect(y.shape).toEqual([1, 1, 4]);
    const got = Array.from(await y.data());
    const silu = (v: number) => v / (1 + Math.exp(-v));
    got.forEach((v, i) => expect(v).toBeCloseTo(silu(x[0][0][i]) * x[0][0][i + 4], 6));
    tf.dispose([input, y]);
  });

  it('halves the symbolic last axis and round-trips its config', () => {
    const layer = new SwiGlu({ name: 'block0_swiglu' });
    const out = layer.apply(tf.input({ shape: [5, 12] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 5, 6]);
    expect((SwiGlu.fromConfig(SwiGlu, layer.getConfig()) as SwiGlu).name).toBe('block0_swiglu');
    expect(() => new SwiGlu().apply(tf.input({ shape: [5, 7] }))).toThrow(/needs an even last axis/);
  });

  it('leaks no tensor', () => {
    expect(countLeakedTensors(new SwiGlu(), [2, 3, 8])).toBe(0);
  });
});
