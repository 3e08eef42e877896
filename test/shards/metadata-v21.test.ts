// Tests src/shards/metadata-v21.ts against saev's Metadata as orjson and hashlib see it
// (test/fixtures/protocol-v21-vectors.json, made by scripts/make-protocol-vectors.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkMetadataV21, formatMetadataV21, getMetadataV21Hash, MetadataV21 } from '../../src/shards/metadata-v21.js';

const vectors = JSON.parse(readFileSync(new URL('../fixtures/protocol-v21-vectors.json', import.meta.url), 'utf8')) as {
  metadata: Array<{ name: string; fields: MetadataV21; indent2: string; hash: string }>;
};

const expectOneLine = (fn: () => unknown, pattern: RegExp) => {
  expect(fn).toThrow(pattern);
  try {
    fn();
  } catch (error) {
    expect((error as Error).message).not.toContain('\n');
  }
};

describe.each(vectors.metadata.map((v) => [v.name, v] as const))('%s', (_name, v) => {
  it('formatMetadataV21 equals orjson.dumps(md, option=OPT_INDENT_2)', () => {
    expect(formatMetadataV21(v.fields)).toBe(v.indent2);
  });

  it('getMetadataV21Hash equals Metadata.hash', () => {
    expect(getMetadataV21Hash(v.fields)).toBe(v.hash);
  });

  it('checkMetadataV21 reads the file back unchanged', () => {
    expect(checkMetadataV21(JSON.parse(v.indent2), 'metadata.json')).toEqual(v.fields);
  });
});

describe('checkMetadataV21', () => {
  const good = () => JSON.parse(vectors.metadata[0].indent2) as Record<string, unknown>;

  it('fills the fields saev gives defaults (pixel_agg, dtype) and puts the fields in saev order', () => {
    const { pixel_agg: _p, dtype: _d, ...rest } = good();
    const reversed = Object.fromEntries(Object.entries(rest).reverse());
    const md = checkMetadataV21(reversed, 'm.json');
    expect(formatMetadataV21(md)).toBe(vectors.metadata[0].indent2);
    expect(getMetadataV21Hash(md)).toBe(vectors.metadata[0].hash);
  });

  it('refuses other protocols, unknown and missing fields, half dtypes and bad values, in one line each', () => {
    expectOneLine(
      () => checkMetadataV21({ ...good(), protocol: '1.1' }, 'm.json'),
      /^metadata: m\.json has protocol "1\.1"; only saev 0\.1's metadata and protocol '2\.1' are read/,
    );
    expectOneLine(
      () => checkMetadataV21({ ...good(), seed: 1 }, 'm.json'),
      /^metadata: m\.json has unknown seed; protocol 2\.1 has exactly \[family, /,
    );
    const { ckpt: _c, ...noCkpt } = good();
    expectOneLine(() => checkMetadataV21(noCkpt, 'm.json'), /^metadata: m\.json lacks ckpt; /);
    expectOneLine(
      () => checkMetadataV21({ ...good(), dtype: 'float16' }, 'm.json'),
      /^metadata: m\.json: protocol 2\.1 stores float32 only, found dtype "float16"$/,
    );
    expectOneLine(
      () => checkMetadataV21({ ...good(), pixel_agg: 'mode' }, 'm.json'),
      /^metadata: m\.json: pixel_agg must be one of majority, prefer-fg, found "mode"$/,
    );
    expectOneLine(
      () => checkMetadataV21({ ...good(), d_model: 0 }, 'm.json'),
      /^metadata: m\.json: d_model must be an integer of at least 1, found 0$/,
    );
    expectOneLine(() => checkMetadataV21({ ...good(), layers: [1.5] }, 'm.json'), /layers must be a list of integers/);
    expectOneLine(() => checkMetadataV21({ ...good(), cls_token: 1 }, 'm.json'), /cls_token must be a boolean/);
    expectOneLine(() => checkMetadataV21({ ...good(), dataset: null }, 'm.json'), /dataset must be a string/);
  });
});
