import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { Gelu, GeluApproximation } from '../../src/layers/gelu.js';
import { countLeakedTensors } from './leaks.js';

interface Vector {
  x: number;
  none: number;
  tanh: number;
  quick: number;
}
const vectors = JSON.parse(readFileSync(new URL('../fixtures/gelu-vectors.json', import.meta.url), 'utf8')) as Vector[];

beforeAll(async () => {
  await initBackend();
});

describe('Gelu', () => {
  for (const approximate of ['none', 'tanh', 'quick'] as GeluApproximation[]) {
    it(`matches Python's float64 ${approximate} GELU within float32 precision`, async () => {
      const layer = new Gelu({ approximate });
      const x = tf.tensor1d(vectors.map((v) => v.x));
      const y = layer.apply(x) as tf.Tensor;
      const got = await y.data();
      vectors.forEach((v, i) => expect(got[i]).toBeCloseTo(v[approximate], 6));
      tf.dispose([x, y]);
    });
  }

  it('keeps the symbolic shape and round-trips its config', () => {
    const layer = new Gelu({ approximate: 'tanh', name: 'g' });
    const out = layer.apply(tf.input({ shape: [5, 8] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 5, 8]);
    const copy = Gelu.fromConfig(Gelu, layer.getConfig()) as Gelu;
    expect(copy.approximate).toBe('tanh');
    expect(copy.name).toBe('g');
  });

  it('rejects an unknown variant', () => {
    expect(() => new Gelu({ approximate: 'erf' as GeluApproximation })).toThrow(
      /approximate must be one of none, tanh, quick/,
    );
  });

  it('leaks no tensor', () => {
    expect(countLeakedTensors(new Gelu({ approximate: 'none' }), [2, 3])).toBe(0);
  });
});
