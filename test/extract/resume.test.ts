// Resume, job split, storage dtype and same-process concurrency of runExtraction, on the demo model
// and 8 synthetic images (1 layer x 50 tokens, budget 150 -> 3 images per shard -> 3 shards of 3, 3, 2).
// The reference is an uninterrupted single-job run; every other way of producing the directory must
// give the same files, byte for byte.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import { initBackend, tf } from '../../src/backend.js';
import { ExtractConfig, validateExtractConfig } from '../../src/extract/config.js';
import { runExtraction } from '../../src/extract/run-extraction.js';
import { decodeValues, encodeValues } from '../../src/shards/dtype.js';
import { makeConfig, readTree } from './helpers.js';

const quiet = {
  log: () => undefined,
  progressStream: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
};
const base: Partial<ExtractConfig> = {
  data: 'fake',
  dataNImgs: 8,
  vitLayers: [-1],
  nPatchesPerShard: 150,
  vitBatchSize: 2,
};
const run = (overrides: Partial<ExtractConfig>, log: (line: string) => void = () => undefined) =>
  runExtraction(validateExtractConfig(makeConfig({ ...base, ...overrides })), clip, { ...quiet, log });

let reference: Map<string, Buffer>;
let referenceDir: string;

beforeAll(async () => {
  await initBackend();
  const result = await run({});
  referenceDir = result.shardDir;
  reference = readTree(result.shardDir);
});

describe('an uninterrupted run', () => {
  it('leaves metadata, sidecars, 3 shards and 3 markers (and no lock or temporary file)', () => {
    expect([...reference.keys()]).toEqual([
      '.saev-tfjs/acts000000.bin.done',
      '.saev-tfjs/acts000001.bin.done',
      '.saev-tfjs/acts000002.bin.done',
      'acts000000.bin',
      'acts000001.bin',
      'acts000002.bin',
      'metadata.json',
      'saev-tfjs.json',
      'shards.json',
    ]);
    const marker = JSON.parse(reference.get('.saev-tfjs/acts000002.bin.done')!.toString());
    expect(marker).toMatchObject({ name: 'acts000002.bin', n_examples: 2, bytes: 3 * 50 * 128 * 4, dtype: 'float32' });
    // The digest covers the 2 real rows, computed here independently from the bytes on disk.
    expect(marker.rows_sha256).toBe(
      createHash('sha256')
        .update(reference.get('acts000002.bin')!.subarray(0, 2 * 50 * 128 * 4))
        .digest('hex'),
    );
  });
});

describe('split over jobs', () => {
  it('3 jobs run one after another give the same bytes; only the last writes shards.json', async () => {
    const { dumpTo } = makeConfig({});
    const results = [];
    for (const jobIndex of [2, 0, 1]) {
      results.push(await run({ dumpTo, nJobs: 3, jobIndex }));
      if (jobIndex !== 1) expect(results.at(-1)!.complete).toBe(false);
    }
    expect(results.map((r) => r.written)).toEqual([[2], [0], [1]]);
    expect(results[2].complete).toBe(true);
    expect(readTree(results[2].shardDir)).toEqual(reference);
  });

  it('more jobs than shards: the extra jobs have nothing to do and succeed', async () => {
    const { dumpTo } = makeConfig({});
    const extra = await run({ dumpTo, nJobs: 5, jobIndex: 0 }); // floor(0 * 3 / 5) = floor(1 * 3 / 5) = 0
    expect(extra.share).toEqual({ first: 0, end: 0 });
    expect(extra.written).toEqual([]);
  });
});

describe('resume', () => {
  it('skips complete shards, redoes a shard whose marker or bytes are missing, and ends byte-identical', async () => {
    const { dumpTo } = makeConfig({});
    const first = await run({ dumpTo });
    const dir = first.shardDir;
    // Shard 1 as a crash during its write leaves it: a .partial file, no final file, no marker.
    await fs.rename(path.join(dir, 'acts000001.bin'), path.join(dir, 'acts000001.bin.partial'));
    await fs.truncate(path.join(dir, 'acts000001.bin.partial'), 999);
    await fs.rm(path.join(dir, '.saev-tfjs', 'acts000001.bin.done'));
    // Shard 2: marker present but the file was cut short (e.g. a scratch purge).
    await fs.truncate(path.join(dir, 'acts000002.bin'), 10);
    await fs.rm(path.join(dir, 'shards.json'));
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    const again = await run({ dumpTo }, (line) => lines.push(line));
    expect(tf.memory().numTensors).toBe(before);
    expect(again).toMatchObject({ written: [1, 2], skipped: [0], complete: true, nImgsDone: 5 });
    expect(lines).toContain(
      'resume: redoing acts000002.bin (marked complete but the file has 10 bytes, expected 76800)',
    );
    expect(readTree(dir)).toEqual(reference);
  });

  it('a rerun of a finished directory writes nothing', async () => {
    const { dumpTo } = makeConfig({});
    await run({ dumpTo });
    const again = await run({ dumpTo });
    expect(again).toMatchObject({ written: [], skipped: [0, 1, 2], complete: true, nImgsDone: 0 });
  });

  it('refuses to mix with a directory whose sidecar came from a different model', async () => {
    const { dumpTo } = makeConfig({});
    const first = await run({ dumpTo, nJobs: 2, jobIndex: 0 });
    const infoPath = path.join(first.shardDir, 'saev-tfjs.json');
    const info = JSON.parse(await fs.readFile(infoPath, 'utf8'));
    // The tool is named by name and version only: package.json's scripts and dev dependencies do not make another run.
    const pkg = JSON.parse(await fs.readFile(path.resolve(__dirname, '../../package.json'), 'utf8'));
    expect(info.tool).toEqual({ name: pkg.name, version: pkg.version });
    info.model.weightsSha256 = '0'.repeat(64);
    await fs.writeFile(infoPath, JSON.stringify(info, null, 2) + '\n');
    await expect(run({ dumpTo, nJobs: 2, jobIndex: 1 })).rejects.toThrow(
      `shards: ${infoPath} already exists and disagrees with this run`,
    );
  });
});

describe('two extractions of one directory at once (same process)', () => {
  it('write every shard exactly once and give the reference bytes', async () => {
    const { dumpTo } = makeConfig({});
    const [a, b] = await Promise.all([run({ dumpTo }), run({ dumpTo })]);
    expect([...a.written, ...b.written].sort()).toEqual([0, 1, 2]);
    expect(readTree(a.shardDir)).toEqual(reference);
  });
});

describe('storage dtype', () => {
  for (const dtype of ['float16', 'bfloat16'] as const) {
    it(`${dtype}: half-size shards holding the rounded float32 values, metadata with a dtype field, a different directory`, async () => {
      const result = await run({ dtype });
      expect(result.shardDir).not.toBe(referenceDir);
      const md = JSON.parse(await fs.readFile(path.join(result.shardDir, 'metadata.json'), 'utf8'));
      expect(Object.keys(md).at(-1)).toBe('dtype');
      expect(md.dtype).toBe(dtype);
      const tree = readTree(result.shardDir);
      for (const name of ['acts000000.bin', 'acts000001.bin', 'acts000002.bin']) {
        const f32 = reference.get(name)!;
        expect(tree.get(name)!.length).toBe(f32.length / 2);
        // dtype.ts's rounding is tested against numpy/ml_dtypes in test/shards/dtype.test.ts.
        const expected = encodeValues(decodeValues(new Uint8Array(f32), 'float32'), dtype);
        expect(Buffer.from(tree.get(name)!).equals(Buffer.from(expected))).toBe(true);
      }
      expect(JSON.parse(tree.get('.saev-tfjs/acts000000.bin.done')!.toString()).dtype).toBe(dtype);
    });
  }
});

/** Mounts a tiny tmpfs (root only); null where mounting is not allowed. */
function mountTinyFs(sizeKb: number): string | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-tinyfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return null;
  }
}
const tinyFs = mountTinyFs(200);
if (tinyFs === null)
  process.stderr.write('test/extract/resume.test.ts: the disk-full test skipped: mounting a tmpfs needs root\n');

describe.skipIf(tinyFs === null)('a disk that fills up (a real 200 KB tmpfs)', () => {
  afterAll(() => execFileSync('umount', [tinyFs!]));

  it('fails with one "disk full" line naming the file; complete shards stay marked, the failing one is neither kept nor marked', async () => {
    // 3 shards of 76,800 bytes (2 of them real rows only in part) cannot all fit in 200 KB.
    const error = await run({ dumpTo: tinyFs! }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^shards: disk full writing \S+\/acts00000(\d)\.bin\.partial \(ENOSPC\); that shard was not marked complete; free space and rerun the same command to resume$/,
    );
    const failing = `acts00000${/acts00000(\d)/.exec(message)![1]}.bin`;
    const dir = path.join(tinyFs!, (await fs.readdir(tinyFs!))[0]);
    const tree = readTree(dir);
    expect(tree.has(failing)).toBe(false);
    expect(tree.has(`${failing}.partial`)).toBe(false);
    expect(tree.has(`.saev-tfjs/${failing}.done`)).toBe(false);
    expect(tree.has('shards.json')).toBe(false);
    // Every shard that is marked complete holds the reference bytes.
    for (const name of [...tree.keys()].filter((k) => k.endsWith('.done'))) {
      const shard = path.basename(name, '.done');
      expect(tree.get(shard)!.equals(reference.get(shard)!)).toBe(true);
    }
  });
});
