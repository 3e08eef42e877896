import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { RopeEmbedding } from '../../src/layers/rope-embedding.js';
import { getRopeFrequencies, makeRopeTable } from '../../src/ops/rope.js';

beforeAll(async () => {
  await initBackend();
});

const ARGS = {
  side: 3,
  headWidth: 8,
  pairing: 'half',
  coords: 'centered',
  axes: 'yx',
  offset: 0,
  base: 100,
  scale: 2 * Math.PI,
} as const;

describe('RopeEmbedding', () => {
  it('holds the table of its frequencies as one non-trainable weight and outputs it', async () => {
    const layer = new RopeEmbedding({ ...ARGS, name: 'rope' });
    const out = layer.apply(tf.input({ shape: [9, 16] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([2, 9, 8]);
    expect(layer.weights.map((w) => [w.originalName, w.shape, w.trainable])).toEqual([
      ['rope/sin_cos', [2, 9, 8], false],
    ]);
    const want = makeRopeTable(ARGS, getRopeFrequencies(ARGS, 8));
    expect(Array.from(await layer.getWeights()[0].data())).toEqual(Array.from(want));
    const patches = tf.ones([2, 9, 16]);
    const table = layer.apply(patches) as tf.Tensor;
    expect(table.shape).toEqual([2, 9, 8]);
    expect(Array.from(await table.data())).toEqual(Array.from(want));
    tf.dispose([patches, table]);
  });

  it('round-trips its config', () => {
    const layer = new RopeEmbedding({
      ...ARGS,
      pairing: 'interleaved',
      coords: 'index',
      axes: 'xy',
      offset: 1,
      base: 10000,
      scale: 1,
      name: 'rope',
    });
    const copy = RopeEmbedding.fromConfig(RopeEmbedding, layer.getConfig()) as RopeEmbedding;
    expect([copy.grid, copy.frequencies, copy.name, copy.trainable]).toEqual([
      layer.grid,
      layer.frequencies,
      'rope',
      false,
    ]);
  });

  it('rejects what cannot make a table, one line each', () => {
    expect(() => new RopeEmbedding({ ...ARGS, headWidth: 6 })).toThrow(
      /headWidth must be a positive multiple of 4, found 6/,
    );
    expect(() => new RopeEmbedding({ ...ARGS, side: 0 })).toThrow(/side must be a positive integer/);
    expect(() => new RopeEmbedding({ ...ARGS, pairing: 'diagonal' as 'half' })).toThrow(
      /pairing\/coords\/axes must be/,
    );
    expect(() => new RopeEmbedding({ ...ARGS, base: 1 })).toThrow(/base > 1/);
  });

  it('leaks no tensor', () => {
    const layer = new RopeEmbedding(ARGS);
    const x = tf.ones([1, 9, 4]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const before = tf.memory().numTensors;
    tf.dispose(layer.apply(x) as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
