// Tests src/convert/remap-weights.ts on hand-made state dicts: what a format flag does to a tensor before any
// family sees it.
import { describe, expect, it } from 'vitest';
import type { StateDict } from '../../src/checkpoint/state-dict.js';
import { renameTensors } from '../../src/convert/remap-weights.js';
import type { CheckpointSpec } from '../../src/vit/checkpoint-spec.js';

const tensor = (shape: number[], values: number[]) => ({
  dtype: 'float32',
  shape,
  toFloat32: () => Float32Array.from(values),
});
const context = { file: 'ckpt.safetensors', family: 'test' };

describe('renameTensors', () => {
  it('clsPositionFolded: positions over the patches only get a zero CLS row in front, in shape and values', () => {
    const format = {
      name: 'no_embed_class',
      markers: ['pos_embed'],
      prefix: '',
      renames: [{ from: 'pos_embed', to: 'tokens/positions' }],
      ignore: [],
    };
    const state: StateDict = new Map([['pos_embed', tensor([1, 3, 2], [1, 2, 3, 4, 5, 6])]]);
    const folded: CheckpointSpec = { formats: [{ ...format, clsPositionFolded: true }], fixes: [] };
    const positions = renameTensors(state, folded, true, context).tensors.get('tokens/positions')!;
    expect(positions.sources).toEqual(['pos_embed']);
    expect(positions.shape).toEqual([1, 4, 2]);
    expect(positions.read()).toEqual({ shape: [1, 4, 2], data: Float32Array.from([0, 0, 1, 2, 3, 4, 5, 6]) });
    // Without the flag the tensor is left as stored.
    const plain = renameTensors(state, { formats: [format], fixes: [] }, true, context).tensors.get(
      'tokens/positions',
    )!;
    expect(plain.shape).toEqual([1, 3, 2]);
  });
});
