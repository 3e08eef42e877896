// Tests src/convert/config-table.ts: nested paths, the JSON types, mappings with their fallback, absent and null
// keys left out, and the one-line refusals naming file and key.
import { describe, expect, it } from 'vitest';
import {
  bool,
  type ConfigTable,
  num,
  oneOf,
  readConfigTable,
  readConfigValue,
  rgb,
  squareSide,
  str,
} from '../../src/convert/config-table.js';

interface Fields {
  width: number;
  name: string;
  gated: boolean;
  gelu: 'quick' | 'none';
  mean: [number, number, number];
}

const GELU = { quick_gelu: 'quick', gelu: 'none' } as const;
const table: ConfigTable<Fields> = {
  width: num('model_args.embed_dim'),
  name: str('architecture'),
  gated: bool('use_gated_mlp'),
  gelu: oneOf('hidden_act', GELU, 'quick_gelu'),
  mean: rgb('pretrained_cfg.mean'),
};

describe('readConfigTable', () => {
  it('reads nested paths and each JSON type into our fields', () => {
    const json = {
      architecture: 'vit_base',
      use_gated_mlp: true,
      hidden_act: 'gelu',
      model_args: { embed_dim: 768 },
      pretrained_cfg: { mean: [0.5, 0.5, 0.5] },
    };
    expect(readConfigTable(json, table, 'config.json')).toEqual({
      width: 768,
      name: 'vit_base',
      gated: true,
      gelu: 'none',
      mean: [0.5, 0.5, 0.5],
    });
  });

  it('leaves out absent and null keys (a missing parent too), and uses a fallback when one is given', () => {
    const json = { architecture: null, model_args: null };
    expect(readConfigTable(json, table, 'config.json')).toEqual({ gelu: 'quick' });
    expect(Object.keys(readConfigTable({}, { width: num('a.b.c') }, 'config.json'))).toEqual([]);
    expect(readConfigValue({}, num('mlp_ratio', 4), 'config.json')).toBe(4);
  });

  it('refuses a value of the wrong type in one line naming the file and the key', () => {
    const read = (json: Record<string, unknown>) => () => readConfigTable(json, table, 'config.json');
    expect(read({ model_args: { embed_dim: '768' } })).toThrow(
      /^convert: config\.json: model_args\.embed_dim is '768', expected a number$/,
    );
    expect(read({ use_gated_mlp: 'yes' })).toThrow(
      /^convert: config\.json: use_gated_mlp is 'yes', expected a boolean$/,
    );
    expect(read({ architecture: 7 })).toThrow(/^convert: config\.json: architecture is 7, expected a string$/);
    expect(read({ pretrained_cfg: { mean: [0.5, 0.5] } })).toThrow(
      /^convert: config\.json: pretrained_cfg\.mean is \[0\.5,0\.5\], expected three numbers$/,
    );
    expect(read({ model_args: 3 })).toThrow(/^convert: config\.json: model_args is 3, expected an object$/);
  });

  it('refuses a string outside a mapping, naming what it supports', () => {
    expect(() => readConfigTable({ hidden_act: 'relu' }, table, 'config.json')).toThrow(
      /^convert: config\.json: hidden_act 'relu' is not supported \(quick_gelu, gelu\)$/,
    );
    expect(() => readConfigTable({ hidden_act: 'toString' }, table, 'config.json')).toThrow(/is not supported/);
  });

  it("reads a square input's side from a number, [h, w] or [c, h, w], and refuses a non-square or malformed one", () => {
    const side = (value: unknown) => readConfigValue({ size: value }, squareSide('size'), 'config.json');
    expect([side(224), side([384, 384]), side([3, 518, 518]), side(undefined), side(null)]).toEqual([
      224,
      384,
      518,
      undefined,
      undefined,
    ]);
    expect(() => side([3, 224, 256])).toThrow(
      /^convert: config\.json: size \[3,224,256\] is not square, which is not supported$/,
    );
    expect(() => side('224')).toThrow(/^convert: config\.json: size is '224', expected a number or \[height, width\]$/);
    expect(() => side([224])).toThrow(
      /^convert: config\.json: size is \[224\], expected a number or \[height, width\]$/,
    );
  });
});
