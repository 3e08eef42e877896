// Extraction with format saev-2.1 (saev's protocol 2.1) on the demo model and 10 synthetic images (1 layer x
// 50 tokens, budget 150 -> shards of 3, 3, 3, 1): the directory saev's loaders insist on, saev's metadata and
// shards.json texts, the same shard bytes as the saev-0.1 format, job splits and resume as in saev-0.1, and what
// the format refuses. saev's own code reading these directories: test/reader/saev-v21-interop.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import { initBackend } from '../../src/backend.js';
import { ExtractConfig, validateExtractConfig } from '../../src/extract/config.js';
import { runExtraction } from '../../src/extract/run-extraction.js';
import { LABELS_FILE } from '../../src/shards/shard-metadata.js';
import { verifyShardDir } from '../../src/shards/verify-shards.js';
import { ActivationsDataset } from '../../src/reader/dataset.js';
import { makeConfig, readTree } from './helpers.js';

const quiet = {
  log: () => undefined,
  progressStream: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
};
const base: Partial<ExtractConfig> = {
  data: 'fake',
  dataNImgs: 10,
  vitLayers: [-1],
  nPatchesPerShard: 150,
  vitBatchSize: 4,
};
const run = (overrides: Partial<ExtractConfig>) =>
  runExtraction(validateExtractConfig(makeConfig({ ...base, ...overrides })), clip, quiet);
const FIXTURES = path.resolve(__dirname, '../fixtures');
/** base64(pickle.dumps(FakeImg(n_examples=10))) as Python 3.12 writes it (test/fixtures/protocol-v21-vectors.json). */
const FAKE_10 = (
  JSON.parse(readFileSync(path.join(FIXTURES, 'protocol-v21-vectors.json'), 'utf8')).configs as Array<{
    name: string;
    base64: string;
  }>
).find((c) => c.name === 'fake-10')!.base64;

let v21: Awaited<ReturnType<typeof run>>;
let v01: Awaited<ReturnType<typeof run>>;
let dumpTo: string;

beforeAll(async () => {
  await initBackend();
  dumpTo = makeConfig({}).dumpTo;
  v21 = await run({ dumpTo, format: 'saev-2.1' });
  v01 = await run({ dumpTo });
});

describe('an extraction in protocol 2.1', () => {
  it("writes saev's metadata.json into <dump-to>/saev/shards/<8-hex hash>", () => {
    expect(v21.shardDir).toMatch(new RegExp(`^${dumpTo}/saev/shards/[0-9a-f]{8}$`));
    const text = readFileSync(path.join(v21.shardDir, 'metadata.json'), 'utf8');
    expect(text).toBe(
      '{\n  "family": "clip",\n  "ckpt": "demo",\n  "layers": [\n    -1\n  ],\n  "content_tokens_per_example": 49,\n  "cls_token": true,\n' +
        `  "d_model": 128,\n  "n_examples": 10,\n  "max_tokens_per_shard": 150,\n  "data": "${FAKE_10}",\n  "dataset": "fake",\n` +
        '  "pixel_agg": "majority",\n  "dtype": "float32",\n  "protocol": "2.1"\n}',
    );
    expect(v21.metadata.format).toBe('saev-2.1');
  });

  it('writes the same shard files as saev-0.1, and shards.json as saev does', () => {
    const a = readTree(v21.shardDir);
    const b = readTree(v01.shardDir);
    const shards = [...a.keys()].filter((k) => /acts\d{6}\.bin/.test(k));
    expect(shards).toEqual([
      '.saev-tfjs/acts000000.bin.done',
      '.saev-tfjs/acts000001.bin.done',
      '.saev-tfjs/acts000002.bin.done',
      '.saev-tfjs/acts000003.bin.done',
      'acts000000.bin',
      'acts000001.bin',
      'acts000002.bin',
      'acts000003.bin',
    ]);
    for (const key of shards) expect(a.get(key), key).toEqual(b.get(key));
    const record = (k: number, n: number) => `  {\n    "name": "acts00000${k}.bin",\n    "n_examples": ${n}\n  }`;
    expect(a.get('shards.json')!.toString()).toBe(
      `[\n${[record(0, 3), record(1, 3), record(2, 3), record(3, 1)].join(',\n')}\n]`,
    );
  });

  it('records the format and the saev dataset config in saev-tfjs.json', () => {
    const info = JSON.parse(readFileSync(path.join(v21.shardDir, 'saev-tfjs.json'), 'utf8'));
    expect(info).toMatchObject({ format: 'saev-2.1', saevData: 'FakeImg(n_examples=10)', pixelAgg: 'majority' });
    expect(JSON.parse(readFileSync(path.join(v01.shardDir, 'saev-tfjs.json'), 'utf8')).format).toBeUndefined();
  });

  it('passes verify, and the reader gives the same items as for saev-0.1', async () => {
    expect(await verifyShardDir(v21.shardDir)).toMatchObject({ ok: true, nImgs: 10, nShards: 4, nShardsVerified: 4 });
    const a = await ActivationsDataset.open(v21.shardDir, { patches: 'patches', layer: -1 });
    const b = await ActivationsDataset.open(v01.shardDir, { patches: 'patches', layer: -1 });
    expect(a.length).toBe(490);
    const indices = [0, 48, 49, 146, 147, 489];
    expect(await a.getBatch(indices)).toEqual(await b.getBatch(indices));
    await a.close();
    await b.close();
  });

  it('splits over jobs and resumes like saev-0.1: two jobs in turn give the same bytes', async () => {
    const { dumpTo: other } = makeConfig({});
    const first = await run({ dumpTo: other, format: 'saev-2.1', nJobs: 2, jobIndex: 1 });
    expect(first.complete).toBe(false);
    const second = await run({ dumpTo: other, format: 'saev-2.1', nJobs: 2, jobIndex: 0 });
    expect(second.complete).toBe(true);
    const again = await run({ dumpTo: other, format: 'saev-2.1' });
    expect(again.written).toEqual([]);
    expect(path.relative(other, second.shardDir)).toBe(path.relative(dumpTo, v21.shardDir));
    expect(readTree(second.shardDir)).toEqual(readTree(v21.shardDir));
  });
});

describe('segmentation data in protocol 2.1', () => {
  it('writes labels.bin with pixel_agg recorded; prefer-fg keeps every non-background majority label', async () => {
    const ade = {
      data: 'ade20k' as const,
      dataRoot: path.join(FIXTURES, 'data', 'ade20k'),
      dataSplit: 'training',
      format: 'saev-2.1' as const,
    };
    const majority = await run(ade);
    const preferFg = await run({ ...ade, pixelAgg: 'prefer-fg' });
    expect(preferFg.shardDir).not.toBe(majority.shardDir);
    const md = JSON.parse(readFileSync(path.join(preferFg.shardDir, 'metadata.json'), 'utf8'));
    expect(md).toMatchObject({ pixel_agg: 'prefer-fg', dataset: path.join(FIXTURES, 'data', 'ade20k'), n_examples: 6 });
    const a = readFileSync(path.join(majority.shardDir, LABELS_FILE));
    const b = readFileSync(path.join(preferFg.shardDir, LABELS_FILE));
    expect(a.length).toBe(6 * 49);
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) expect(b[i], `patch ${i}`).toBe(a[i]);
    expect(b.filter((x) => x !== 0).length).toBeGreaterThan(a.filter((x) => x !== 0).length);
  });
});

describe('what protocol 2.1 refuses', () => {
  const refuse = (overrides: Partial<ExtractConfig>) => () =>
    validateExtractConfig(makeConfig({ ...base, ...overrides }));

  it('half dtypes, families saev has no name for, and prefer-fg in saev-0.1, in one line each', () => {
    expect(refuse({ format: 'saev-2.1', dtype: 'float16' })).toThrow(
      /^config: --dtype float16 cannot be written as --format saev-2\.1, whose protocol stores float32 only; drop --dtype or use --format saev-0\.1$/,
    );
    expect(refuse({ format: 'saev-2.1', vitFamily: 'moondream2' })).toThrow(
      /^config: saev's protocol 2\.1 has no family name for --vit-family moondream2 \(it knows bird-mae, clip, .*\); use --format saev-0\.1$/,
    );
    expect(refuse({ pixelAgg: 'prefer-fg' })).toThrow(/^config: --pixel-agg prefer-fg needs --format saev-2\.1 .*$/);
    expect(refuse({ format: 'saev-3' as never })).toThrow(
      /^config: unknown --format 'saev-3' \(known: saev-0\.1, saev-2\.1\)$/,
    );
  });
});
