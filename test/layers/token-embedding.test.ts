import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { TokenEmbedding } from '../../src/layers/token-embedding.js';
import { countLeakedTensors } from './leaks.js';

beforeAll(async () => {
  await initBackend();
});

async function run(layer: TokenEmbedding, patches: number[][][], weights: tf.Tensor[]): Promise<number[][][]> {
  const x = tf.tensor3d(patches);
  layer.build(x.shape);
  layer.setWeights(weights);
  const y = layer.apply(x) as tf.Tensor3D;
  const out = await y.array();
  tf.dispose([x, y, ...weights]);
  return out;
}

describe('TokenEmbedding', () => {
  const patches = [
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
  ]; // [B=1, P=3, D=2]

  it('prepends CLS, adds positions over CLS + patches, then inserts registers after CLS', async () => {
    const layer = new TokenEmbedding({ clsToken: true, nRegisters: 2 });
    const cls = tf.tensor1d([100, 200]);
    const positions = tf.tensor2d([
      [0.5, 0.5],
      [10, 10],
      [20, 20],
      [30, 30],
    ]);
    const registers = tf.tensor2d([
      [-1, -1],
      [-2, -2],
    ]);
    expect(await run(layer, patches, [cls, positions, registers])).toEqual([
      [
        [100.5, 200.5],
        [-1, -1],
        [-2, -2],
        [11, 12],
        [23, 24],
        [35, 36],
      ],
    ]);
  });

  it('without CLS only adds positions to the patches', async () => {
    const layer = new TokenEmbedding({ clsToken: false, nRegisters: 0 });
    const positions = tf.tensor2d([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(await run(layer, patches, [positions])).toEqual([
      [
        [2, 3],
        [5, 6],
        [8, 9],
      ],
    ]);
  });

  it('without position embeddings (DINOv3) only prepends CLS and inserts registers', async () => {
    const layer = new TokenEmbedding({ clsToken: true, nRegisters: 1, positions: false });
    const cls = tf.tensor1d([100, 200]);
    const registers = tf.tensor2d([[-1, -1]]);
    expect(await run(layer, patches, [cls, registers])).toEqual([
      [
        [100, 200],
        [-1, -1],
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ]);
    expect(layer.weights.map((w) => w.originalName)).toEqual(['cls', 'registers']);
  });

  it('reports N = cls + registers + P symbolically and round-trips its config', async () => {
    const layer = new TokenEmbedding({ clsToken: true, nRegisters: 4, name: 'tokens' });
    const out = layer.apply(tf.input({ shape: [9, 6] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 14, 6]);
    const copy = TokenEmbedding.fromConfig(TokenEmbedding, layer.getConfig()) as TokenEmbedding;
    expect([copy.clsToken, copy.nRegisters, copy.hasPositions]).toEqual([true, 4, true]);
    const { positions: _, ...older } = layer.getConfig(); // saved before the field existed
    expect((TokenEmbedding.fromConfig(TokenEmbedding, older) as TokenEmbedding).hasPositions).toBe(true);
    const none = new TokenEmbedding({ clsToken: true, nRegisters: 4, positions: false });
    expect((TokenEmbedding.fromConfig(TokenEmbedding, none.getConfig()) as TokenEmbedding).hasPositions).toBe(false);
  });

  it('rejects a negative register count', async () => {
    expect(() => new TokenEmbedding({ clsToken: true, nRegisters: -1 })).toThrow(
      /nRegisters must be a non-negative integer/,
    );
  });

  it('leaks no tensor', async () => {
    expect(countLeakedTensors(new TokenEmbedding({ clsToken: true, nRegisters: 1 }), [2, 3, 4])).toBe(0);
  });
});
