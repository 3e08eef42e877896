// Tests src/shards/verify-shards.ts on a real extraction (demo model, 7 synthetic images, 3 shards),
// then on hand-made damage: each kind of corruption must be reported, one line each, and nothing else.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import { validateExtractConfig } from '../../src/extract/config.js';
import { runExtraction } from '../../src/extract/run-extraction.js';
import { countNonFinite, verifyShardDir } from '../../src/shards/verify-shards.js';
import { LABELS_FILE } from '../../src/shards/shard-metadata.js';
import { makeConfig } from '../extract/helpers.js';

const quiet = {
  log: () => undefined,
  progressStream: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
};
let pristine: string;

beforeAll(async () => {
  // 1 layer x 50 tokens, budget 150 -> 3 images per shard -> shards of 3, 3, 1 images.
  const result = await runExtraction(
    validateExtractConfig(makeConfig({ data: 'fake', dataNImgs: 7, vitLayers: [-1], nPatchesPerShard: 150 })),
    clip,
    quiet,
  );
  pristine = result.shardDir;
});

/** A fresh copy of the pristine directory (same name, so the metadata hash still matches). */
async function copy(): Promise<string> {
  const parent = await fs.mkdtemp(path.join(path.dirname(path.dirname(pristine)), 'verify-'));
  const dir = path.join(parent, path.basename(pristine));
  await fs.cp(pristine, dir, { recursive: true });
  return dir;
}

const kinds = async (dir: string) => (await verifyShardDir(dir)).problems.map((p) => `${p.kind} ${p.file}`);

describe('verifyShardDir', () => {
  it('passes a finished extraction, reading every shard', async () => {
    const report = await verifyShardDir(pristine);
    expect(report).toMatchObject({
      ok: true,
      nImgs: 7,
      nShards: 3,
      dtype: 'float32',
      nShardsVerified: 3,
      problems: [],
    });
  });

  it('reports a flipped byte as a checksum mismatch', async () => {
    const dir = await copy();
    const file = path.join(dir, 'acts000001.bin');
    const bytes = await fs.readFile(file);
    bytes[1000] ^= 0x01;
    await fs.writeFile(file, bytes);
    expect(await kinds(dir)).toEqual(['checksum acts000001.bin']);
  });

  it('reports NaN and Inf (and the checksum they break)', async () => {
    const dir = await copy();
    const file = path.join(dir, 'acts000000.bin');
    const bytes = await fs.readFile(file);
    bytes.writeFloatLE(NaN, 0);
    bytes.writeFloatLE(-Infinity, 400);
    await fs.writeFile(file, bytes);
    const report = await verifyShardDir(dir);
    expect(report.problems.map((p) => p.kind).sort()).toEqual(['checksum', 'nonfinite']);
    expect(report.problems.find((p) => p.kind === 'nonfinite')!.message).toBe(
      'acts000000.bin holds 2 NaN or Inf values',
    );
  });

  it('reports a short file, a missing file and a missing marker', async () => {
    const dir = await copy();
    await fs.truncate(path.join(dir, 'acts000000.bin'), 1000);
    await fs.rm(path.join(dir, 'acts000001.bin'));
    await fs.rm(path.join(dir, '.saev-tfjs', 'acts000002.bin.done'));
    expect(await kinds(dir)).toEqual(['size acts000000.bin', 'missing acts000001.bin', 'unfinished acts000002.bin']);
  });

  it('reports non-zero padding in the last shard', async () => {
    const dir = await copy();
    const file = path.join(dir, 'acts000002.bin');
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 1] = 1; // row 2 of shard 2 is padding (1 real image)
    await fs.writeFile(file, bytes);
    expect(await kinds(dir)).toEqual(['padding acts000002.bin']); // the digest covers the real rows only
  });

  it('reports metadata that does not hash to the directory name, and sidecars that disagree', async () => {
    const dir = await copy();
    const md = path.join(dir, 'metadata.json');
    await fs.writeFile(md, (await fs.readFile(md, 'utf8')).replace('"seed": 42', '"seed": 43'));
    await fs.writeFile(path.join(dir, 'shards.json'), '[]\n');
    const info = JSON.parse(await fs.readFile(path.join(dir, 'saev-tfjs.json'), 'utf8'));
    info.layout.nShards = 4;
    await fs.writeFile(path.join(dir, 'saev-tfjs.json'), JSON.stringify(info));
    expect(await kinds(dir)).toEqual(['metadata metadata.json', 'sidecar saev-tfjs.json', 'sidecar shards.json']);
  });

  it('reports leftovers of interrupted work', async () => {
    const dir = await copy();
    await fs.writeFile(path.join(dir, 'acts000003.bin.partial'), '');
    await fs.writeFile(path.join(dir, 'acts000003.bin'), '');
    await fs.writeFile(path.join(dir, '.saev-tfjs', 'acts000001.bin.lock'), '{}');
    expect((await kinds(dir)).sort()).toEqual([
      'leftover .saev-tfjs/acts000001.bin.lock',
      'leftover acts000003.bin',
      'leftover acts000003.bin.partial',
    ]);
  });

  it('says so when the directory is not a shard directory', async () => {
    const report = await verifyShardDir(path.dirname(pristine));
    expect(report.ok).toBe(false);
    expect(report.problems[0].message).toBe(
      `no metadata.json in ${path.dirname(pristine)}; it holds the shard directory ${pristine}: pass that`,
    );
    const onFile = await verifyShardDir(path.join(pristine, 'metadata.json'));
    expect(onFile.problems.map((p) => p.message)).toEqual([
      `${path.join(pristine, 'metadata.json')} is a file, not a directory; pass the shard directory that holds it`,
    ]);
  });
});

describe('verifyShardDir on protocol 2.1', () => {
  let v21: string;
  beforeAll(async () => {
    const config = makeConfig({
      data: 'ade20k',
      dataRoot: path.resolve(__dirname, '../fixtures/data/ade20k'),
      dataSplit: 'validation',
      vitLayers: [-1],
      nPatchesPerShard: 100,
      format: 'saev-2.1',
    });
    v21 = (await runExtraction(validateExtractConfig(config), clip, quiet)).shardDir;
  });

  it('passes a finished extraction with its labels.bin', async () => {
    expect(await verifyShardDir(v21)).toMatchObject({
      ok: true,
      nImgs: 3,
      nShards: 2,
      nShardsVerified: 2,
      problems: [],
    });
  });

  it('reports a directory outside saev/shards, which saev cannot load, and a labels.bin of the wrong size', async () => {
    const dir = path.join(
      await fs.mkdtemp(path.join(path.dirname(path.dirname(path.dirname(v21))), 'moved-')),
      path.basename(v21),
    );
    await fs.cp(v21, dir, { recursive: true });
    await fs.appendFile(path.join(dir, LABELS_FILE), Buffer.from([0]));
    const { problems } = await verifyShardDir(dir);
    expect(problems.map((p) => `${p.kind} ${p.file}`)).toEqual(['metadata metadata.json', 'sidecar labels.bin']);
    expect(problems[0].message).toMatch(
      /is not inside a saev\/shards directory, which saev's protocol-2\.1 loaders require; move it to <somewhere>\/saev\/shards\/[0-9a-f]{8}$/,
    );
    expect(problems[1].message).toBe(
      'labels.bin has 148 bytes, metadata.json implies 147 (3 images x 49 patches, uint8)',
    );
  });

  it('finds the shard directory under saev/shards when given --dump-to', async () => {
    const dumpTo = path.dirname(path.dirname(path.dirname(v21)));
    expect((await verifyShardDir(dumpTo)).problems[0].message).toBe(
      `no metadata.json in ${dumpTo}; it holds the shard directory ${v21}: pass that`,
    );
  });
});

describe('countNonFinite', () => {
  it('counts by exponent bits in each dtype (hand-built bytes)', () => {
    // float32: 1.0, +Inf, NaN, -0
    expect(
      countNonFinite(
        new Uint8Array(new Uint32Array([0x3f800000, 0x7f800000, 0x7fc00000, 0x80000000]).buffer),
        'float32',
      ),
    ).toBe(2);
    // float16: 1.0, -Inf, NaN, max finite 65504; bfloat16: 1.0, Inf, NaN, max finite
    expect(countNonFinite(new Uint8Array(new Uint16Array([0x3c00, 0xfc00, 0x7e00, 0x7bff]).buffer), 'float16')).toBe(2);
    expect(countNonFinite(new Uint8Array(new Uint16Array([0x3f80, 0x7f80, 0x7fc0, 0x7f7f]).buffer), 'bfloat16')).toBe(
      2,
    );
  });
});
