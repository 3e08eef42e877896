// Tests src/shards/shard-metadata.ts: one view of both formats, their directories and shards.json texts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMetadata, Metadata } from '../../src/shards/metadata.js';
import type { MetadataV21 } from '../../src/shards/metadata-v21.js';
import {
  checkShardDirPath,
  formatShardMetadata,
  formatShardRecords,
  formatShardsJson,
  fromSeedMetadata,
  getShardDirPath,
  getShardGeometryOf,
  getShardMetadataHash,
  parseShardMetadata,
} from '../../src/shards/shard-metadata.js';

const v21 = JSON.parse(readFileSync(new URL('../fixtures/protocol-v21-vectors.json', import.meta.url), 'utf8')) as {
  metadata: Array<{ name: string; fields: MetadataV21; indent2: string; hash: string }>;
  shards_json: Array<{ records: Array<{ name: string; n_examples: number }>; indent2: string }>;
};
const seed: Metadata = {
  vit_family: 'clip',
  vit_ckpt: 'ViT-B-16/openai',
  layers: [-2],
  n_patches_per_img: 196,
  cls_token: true,
  d_vit: 768,
  seed: 42,
  n_imgs: 1281167,
  n_patches_per_shard: 2400000,
  data: "ImagenetDataset(name='ILSVRC/imagenet-1k', split='train')",
};
const SEED_SHA = '3959e531322347c5f00f14348b4e4264869a91f0d4325282767bb6a6dbccf2b4'; // test/fixtures/metadata-hash-vectors.json

describe('parseShardMetadata', () => {
  it('reads saev 0.1 metadata as format saev-0.1, with the same text and hash', () => {
    const m = parseShardMetadata(formatMetadata(seed), 'm.json');
    expect(m.format).toBe('saev-0.1');
    expect({
      layers: m.layers,
      nPatchesPerImg: m.nPatchesPerImg,
      dVit: m.dVit,
      nImgs: m.nImgs,
      nTokensPerShard: m.nTokensPerShard,
      dtype: m.dtype,
    }).toEqual({
      layers: [-2],
      nPatchesPerImg: 196,
      dVit: 768,
      nImgs: 1281167,
      nTokensPerShard: 2400000,
      dtype: 'float32',
    });
    expect(formatShardMetadata(m)).toBe(formatMetadata(seed));
    expect(getShardMetadataHash(m)).toBe(SEED_SHA);
  });

  it('reads protocol 2.1 metadata (a protocol field) as format saev-2.1', () => {
    const v = v21.metadata.find((x) => x.name === 'ade20k-siglip-no-cls-prefer-fg')!;
    const m = parseShardMetadata(v.indent2, 'm.json');
    expect(m.format).toBe('saev-2.1');
    expect(getShardGeometryOf(m)).toEqual({
      nLayers: 3,
      nPatchesPerImg: 256,
      clsToken: false,
      dVit: 1024,
      nPatchesPerShard: 10_000_000,
      bytesPerValue: 4,
    });
    expect(m.nImgs).toBe(2000);
    expect(formatShardMetadata(m)).toBe(v.indent2);
    expect(getShardMetadataHash(m)).toBe(v.hash);
  });

  it('accepts shards of CLS tokens only', () => {
    const m = parseShardMetadata(formatMetadata({ ...seed, n_patches_per_img: 0, cls_token: true }), 'm.json');
    expect(getShardGeometryOf(m)).toMatchObject({ nPatchesPerImg: 0, clsToken: true });
  });

  it('refuses what holds no tokens or repeats a layer, in both formats', () => {
    const empty = v21.metadata.find((x) => x.name === 'fake-pe-core-empty-layers')!; // saev allows it; there is nothing to read
    expect(() => parseShardMetadata(empty.indent2, 'm.json')).toThrow(
      /^metadata: m\.json: layers must be a non-empty list of distinct layers, found \[\]$/,
    );
    expect(() =>
      parseShardMetadata(formatMetadata({ ...seed, n_patches_per_img: 0, cls_token: false }), 'm.json'),
    ).toThrow('metadata: m.json: an image stores no tokens (no patch tokens and no CLS token)');
    expect(() => parseShardMetadata(formatMetadata({ ...seed, layers: [-1, -1] }), 'm.json')).toThrow(
      /distinct layers, found \[-1,-1\]$/,
    );
    expect(() => parseShardMetadata(formatMetadata({ ...seed, dtype: 'float64' }), 'm.json')).toThrow(
      /^metadata: m\.json: unknown storage dtype 'float64'/,
    );
    expect(() => parseShardMetadata('{', 'm.json')).toThrow(/^metadata: m\.json is not valid JSON/);
  });
});

describe('directories', () => {
  const m21 = parseShardMetadata(v21.metadata[0].indent2, 'm.json');
  const m01 = fromSeedMetadata(seed);

  it('0.1 goes to <dump-to>/<sha256>, 2.1 to <dump-to>/saev/shards/<8 hex>', () => {
    expect(getShardDirPath('/x', m01)).toBe(`/x/${SEED_SHA}`);
    expect(getShardDirPath('/x', m21)).toBe(`/x/saev/shards/${v21.metadata[0].hash}`);
  });

  it('checkShardDirPath wants the hash as the name, and saev/shards above a 2.1 directory', () => {
    expect(checkShardDirPath(`/x/${SEED_SHA}`, m01)).toBeNull();
    expect(checkShardDirPath('/x/other', m01)).toBe(`metadata hashes to ${SEED_SHA}, but the directory is named other`);
    expect(checkShardDirPath(`/x/saev/shards/${v21.metadata[0].hash}`, m21)).toBeNull();
    expect(checkShardDirPath(path.join('/x/shards', v21.metadata[0].hash), m21)).toMatch(
      /^\/x\/shards\/\w{8} is not inside a saev\/shards directory, which saev's protocol-2\.1 loaders require; move it to <somewhere>\/saev\/shards\/\w{8}$/,
    );
  });
});

describe('formatShardsJson', () => {
  it('writes 2.1 as saev does (orjson, indent 2) and 0.1 as saev-tfjs always has (indent 4, final newline)', () => {
    for (const v of v21.shards_json) expect(formatShardsJson('saev-2.1', v.records)).toBe(v.indent2);
    expect(formatShardsJson('saev-0.1', [{ name: 'acts000000.bin', n_examples: 3 }])).toBe(
      '[\n    {\n        "name": "acts000000.bin",\n        "n_examples": 3\n    }\n]\n',
    );
  });
});

describe('formatShardRecords', () => {
  // L = 2, P = 3 + CLS -> T = 4; budget 30 -> S = 30 // 2 // 4 = 3 images per shard.
  const geometry = { nLayers: 2, nPatchesPerImg: 3, clsToken: true, dVit: 4, nPatchesPerShard: 30, bytesPerValue: 4 };
  it('gives every shard its real image count, the last one short, and no empty shard on a boundary', () => {
    expect(formatShardRecords(7, geometry).records).toEqual([
      { name: 'acts000000.bin', n_examples: 3 },
      { name: 'acts000001.bin', n_examples: 3 },
      { name: 'acts000002.bin', n_examples: 1 },
    ]);
    expect(formatShardRecords(9, geometry).records.map((r) => r.n_examples)).toEqual([3, 3, 3]);
    const { records, text } = formatShardRecords(4, geometry, 'saev-2.1');
    expect(text).toBe(formatShardsJson('saev-2.1', records));
  });
});
