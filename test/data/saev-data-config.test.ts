// Tests src/data/saev-data-config.ts against Python 3.12's pickle.dumps of saev's dataset configs
// (test/fixtures/protocol-v21-vectors.json, made by scripts/make-protocol-vectors.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DatasetConfig } from '../../src/data/make-dataset.js';
import {
  encodeSaevDataConfig,
  formatSaevDataConfig,
  getSaevDataRoot,
  makeSaevDataConfig,
  pickleSaevDataConfig,
} from '../../src/data/saev-data-config.js';

interface ConfigVector {
  name: string;
  config: { kind: string; root?: string; name?: string; split?: string; n?: number };
  pickle_hex: string;
  opcodes: string[];
  base64: string;
  dataset: string;
  repr: string;
}

const vectors = JSON.parse(readFileSync(new URL('../fixtures/protocol-v21-vectors.json', import.meta.url), 'utf8')) as {
  python: string;
  configs: ConfigVector[];
};

/** The vector's config as our flags would give it. */
function toDatasetConfig(c: ConfigVector['config']): DatasetConfig {
  const kind = c.kind as DatasetConfig['data'];
  return { data: kind, dataRoot: c.root ?? '', dataNImgs: c.n ?? 1, dataName: c.name, dataSplit: c.split };
}

describe('vectors', () => {
  it('come from Python 3.12 and cover every kind, big and small integers, and memo references', () => {
    expect(vectors.python).toMatch(/^3\.12\./);
    expect(new Set(vectors.configs.map((v) => v.config.kind))).toEqual(
      new Set(['image-folder', 'imagenet', 'ade20k', 'fake']),
    );
    const opcodes = new Set(vectors.configs.flatMap((v) => v.opcodes));
    for (const op of [
      'BININT1',
      'BININT2',
      'BININT',
      'LONG1',
      'BINGET',
      'LONG_BINGET',
      'BINUNICODE',
      'TUPLE1',
      'TUPLE2',
      'TUPLE3',
      'TUPLE',
      'SETITEM',
      'SETITEMS',
    ]) {
      expect(opcodes, op).toContain(op);
    }
  });
});

describe.each(vectors.configs.map((v) => [v.name, v] as const))('%s', (_name, v) => {
  const cfg = makeSaevDataConfig(toDatasetConfig(v.config));

  it('pickle bytes equal pickle.dumps(cfg)', () => {
    expect(Buffer.from(pickleSaevDataConfig(cfg)).toString('hex')).toBe(v.pickle_hex);
  });

  it('data equals base64.b64encode(pickle.dumps(cfg))', () => {
    expect(encodeSaevDataConfig(cfg)).toBe(v.base64);
  });

  it('dataset equals str(cfg.root) and the repr equals repr(cfg)', () => {
    expect(getSaevDataRoot(cfg)).toBe(v.dataset);
    expect(formatSaevDataConfig(cfg)).toBe(v.repr);
  });
});

describe('makeSaevDataConfig', () => {
  it("fills the flags' defaults, as saev records them", () => {
    const imagenet = makeSaevDataConfig({ data: 'imagenet', dataRoot: '/hf/copy', dataNImgs: 1 });
    expect(encodeSaevDataConfig(imagenet)).toBe(vectors.configs.find((v) => v.name === 'imagenet-default')!.base64);
    expect(formatSaevDataConfig(makeSaevDataConfig({ data: 'ade20k', dataRoot: '/x', dataNImgs: 1 }))).toBe(
      "ImgSegFolder(root=PosixPath('/x'), split='training', labels_csv='labels.csv', bg_label=0)",
    );
  });

  it('maps each kind to its saev class; only ade20k is segmentation data', () => {
    const make = (data: DatasetConfig['data']) => makeSaevDataConfig({ data, dataRoot: '/r', dataNImgs: 3 });
    expect(
      ['image-folder', 'imagenet', 'ade20k', 'fake'].map((k) => make(k as DatasetConfig['data']).className),
    ).toEqual(['ImgFolder', 'Imagenet', 'ImgSegFolder', 'FakeImg']);
  });
});
