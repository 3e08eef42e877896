import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import { getFamily } from '../../models/registry.js';
import { initBackend, tf } from '../../src/backend.js';
import { readCheckpoint } from '../../src/checkpoint/read-checkpoint.js';
import { convertCheckpoint } from '../../src/convert/convert-checkpoint.js';
import { validateExtractConfig } from '../../src/extract/config.js';
import { runExtraction } from '../../src/extract/run-extraction.js';
import { loadCase, measure } from '../convert/parity-helpers.js';
import { makeConfig, makePhotoFolder } from './helpers.js';

const quiet = {
  log: () => undefined,
  progressStream: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
};
const run = (overrides: Parameters<typeof makeConfig>[0]) =>
  runExtraction(validateExtractConfig(makeConfig(overrides)), clip, quiet);

/** Python's own hash of a metadata.json, when python3 is here (it is in CI). */
function pythonHash(metadataPath: string): string | null {
  try {
    const script =
      'import hashlib,json,sys; print(hashlib.sha256(json.dumps(json.load(open(sys.argv[1])), sort_keys=True).encode()).hexdigest())';
    return execFileSync('python3', ['-c', script, metadataPath], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const shardFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /^acts\d{6}\.bin$/.test(f))
    .sort();

beforeAll(async () => {
  await initBackend();
});

describe('runExtraction on real photographs', () => {
  const root = makePhotoFolder();

  it('writes saev shards: Python-hash directory, exact sizes, real rows, zero padding, reproducible bytes, no leaks', async () => {
    const dumpTo = makeConfig({}).dumpTo;
    const before = tf.memory().numTensors;
    const result = await run({ dataRoot: root, dumpTo });
    expect(tf.memory().numTensors).toBe(before);

    const md = JSON.parse(readFileSync(path.join(result.shardDir, 'metadata.json'), 'utf8'));
    expect(md).toMatchObject({ layers: [-2, -1], n_imgs: 10, d_vit: 128, n_patches_per_img: 49, cls_token: true });
    expect(md.data).toBe(`ImageFolderDataset(root='${root}')`);
    const python = pythonHash(path.join(result.shardDir, 'metadata.json'));
    if (python !== null) expect(path.basename(result.shardDir)).toBe(python);

    // S = 300 // 2 // 50 = 3 images per shard -> 4 shards, the last with 1 real image.
    expect(result.nImgsPerShard).toBe(3);
    expect(shardFiles(result.shardDir)).toEqual([
      'acts000000.bin',
      'acts000001.bin',
      'acts000002.bin',
      'acts000003.bin',
    ]);
    const rowValues = 2 * 50 * 128;
    for (const file of shardFiles(result.shardDir))
      expect(statSync(path.join(result.shardDir, file)).size).toBe(3 * rowValues * 4);
    expect(JSON.parse(readFileSync(path.join(result.shardDir, 'shards.json'), 'utf8'))).toEqual([
      { name: 'acts000000.bin', n_examples: 3 },
      { name: 'acts000001.bin', n_examples: 3 },
      { name: 'acts000002.bin', n_examples: 3 },
      { name: 'acts000003.bin', n_examples: 1 },
    ]);
    const rows: Float32Array[] = [];
    for (const file of shardFiles(result.shardDir)) {
      const bytes = readFileSync(path.join(result.shardDir, file));
      const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      for (let r = 0; r < 3; r++) rows.push(values.subarray(r * rowValues, (r + 1) * rowValues));
    }
    rows.slice(0, 10).forEach((row) => {
      expect(row.every(Number.isFinite)).toBe(true);
      expect(row.some((v) => v !== 0)).toBe(true);
    });
    rows.slice(10).forEach((row) => expect(row.every((v) => v === 0)).toBe(true));
    // Different photographs give different activations.
    expect(rows[0]).not.toEqual(rows[1]);

    // The same command again resumes: every shard is found complete, skipped, and left byte-identical.
    const digests = shardFiles(result.shardDir).map((f) => sha256(path.join(result.shardDir, f)));
    const again = await run({ dataRoot: root, dumpTo });
    expect(again.shardDir).toBe(result.shardDir);
    expect(again).toMatchObject({ written: [], skipped: [0, 1, 2, 3], complete: true });
    expect(shardFiles(again.shardDir).map((f) => sha256(path.join(again.shardDir, f)))).toEqual(digests);
  });

  it('records the same rows whatever the batch size, within float32 rounding', async () => {
    const dumpTo = makeConfig({}).dumpTo;
    const read = (dir: string) =>
      shardFiles(dir).map((f) => new Float32Array(readFileSync(path.join(dir, f)).buffer.slice(0)));
    const a = read((await run({ dataRoot: root, dumpTo, vitBatchSize: 4 })).shardDir);
    const b = read((await run({ dataRoot: root, dumpTo, vitBatchSize: 3 })).shardDir);
    let maxDiff = 0;
    let maxAbs = 0;
    a.forEach((shard, s) =>
      shard.forEach((v, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - b[s][i]));
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }),
    );
    expect(maxAbs).toBeGreaterThan(0.1);
    expect(maxDiff).toBeLessThan(1e-5 * maxAbs);
  });

  it('matches one image recorded alone (batching does not change a row)', async () => {
    const dumpTo = makeConfig({}).dumpTo;
    const all = await run({ dataRoot: root, dumpTo, vitLayers: [2], nPatchesPerShard: 50 * 10 });
    const single = makePhotoFolder();
    // Keep only the first image (animal/cat.jpg) in a tree of its own.
    const lone = path.join(single, 'lone');
    execFileSync('mkdir', ['-p', path.join(lone, 'animal')]);
    copyFileSync(path.join(root, 'animal', 'cat.jpg'), path.join(lone, 'animal', 'cat.jpg'));
    const one = await run({ dataRoot: lone, dumpTo, vitLayers: [2], nPatchesPerShard: 50 * 10 });
    const a = new Float32Array(readFileSync(path.join(all.shardDir, 'acts000000.bin')).buffer);
    const b = new Float32Array(readFileSync(path.join(one.shardDir, 'acts000000.bin')).buffer);
    const row = 50 * 128;
    let maxDiff = 0;
    for (let i = 0; i < row; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});

describe('runExtraction with a converted DINOv3 (RoPE, storage tokens)', () => {
  it('decodes, resizes, runs and stores CLS + patches as the hub code computes them on the same photos', async () => {
    const parity = loadCase('dinov3', 'dinov3_vits16_pretrain_tiny-00000000.pth');
    const vitCkpt = path.join(mkdtempSync(path.join(os.tmpdir(), 'saev-dinov3-')), 'model');
    const family = getFamily('dinov3');
    const checkpointPath = `${parity.dir}dinov3_vits16_pretrain_tiny-00000000.pth`;
    await convertCheckpoint({ checkpointPath, family, outDir: vitCkpt, readCheckpoint, nHeads: 2, imageSize: 64 });
    const root = makePhotoFolder();
    const config = makeConfig({ vitFamily: 'dinov3', vitCkpt, dataRoot: root, nPatchesPerShard: 10 * 2 * 17 });
    const result = await runExtraction(validateExtractConfig(config), family, quiet);
    const md = JSON.parse(readFileSync(path.join(result.shardDir, 'metadata.json'), 'utf8'));
    expect(md).toMatchObject({
      vit_family: 'dinov3',
      layers: [-2, -1],
      n_imgs: 10,
      d_vit: 24,
      n_patches_per_img: 16,
      cls_token: true,
    });
    const shard = new Float32Array(readFileSync(path.join(result.shardDir, 'acts000000.bin')).buffer.slice(0));
    // The fixture's photos are dataset rows 0 (animal/cat.jpg) and 4 (people/astronaut.png); upstream tokens
    // [CLS, 4 storage, 16 patches] against stored [CLS, 16 patches].
    const [depth, batch, nTokens, width] = parity.blocks_LBND;
    for (const [b, row] of [
      [0, 0],
      [1, 4],
    ]) {
      for (let l = 0; l < depth; l++) {
        const [want, got]: number[][] = [[], []];
        for (let t = 0; t < nTokens; t++) {
          if (t >= 1 && t <= 4) continue;
          for (let d = 0; d < width; d++) {
            want.push(parity.blocks[((l * batch + b) * nTokens + t) * width + d]);
            got.push(shard[((row * depth + l) * 17 + (t === 0 ? 0 : t - 4)) * width + d]);
          }
        }
        expect(measure(Float32Array.from(got), Float32Array.from(want), l).relRms).toBeLessThan(2e-5);
      }
    }
    for (const dir of [path.dirname(vitCkpt), root, config.dumpTo]) rmSync(dir, { recursive: true, force: true });
  });
});

describe('runExtraction on bad input', () => {
  it('names --dump-to when it is a file, before any image is read', async () => {
    const { dumpTo } = makeConfig({});
    const file = path.join(dumpTo, 'a-file');
    writeFileSync(file, '');
    await expect(run({ dataRoot: makePhotoFolder(), dumpTo: file })).rejects.toThrow(
      `shards: --dump-to ${file} is a file, not a directory; pass a directory for the shards`,
    );
    // A file on the way to a --dump-to that does not exist yet is named too.
    await expect(run({ dataRoot: makePhotoFolder(), dumpTo: path.join(file, 'below') })).rejects.toThrow(
      `shards: ${file}, the nearest existing folder above --dump-to ${path.join(file, 'below')}, is a file, not a directory`,
    );
  });

  it('names the corrupt image and its index, and leaves no partial or unrecorded shard', async () => {
    const root = makePhotoFolder();
    writeFileSync(
      path.join(root, 'space', 'launch_pad.jpg'),
      readFileSync(path.join(root, 'space', 'launch_pad.jpg')).subarray(0, 300),
    );
    const dumpTo = makeConfig({}).dumpTo;
    await expect(run({ dataRoot: root, dumpTo })).rejects.toThrow(
      /^image: cannot decode .*space\/launch_pad\.jpg \(index 8\) \(.*\); the shards finished so far are kept: make this image readable and rerun the same command \(removing it renumbers/,
    );
    const [dir] = readdirSync(dumpTo);
    const files = readdirSync(path.join(dumpTo, dir));
    expect(files.filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(files).not.toContain('shards.json');
    // Images 0-5 fill shards 0 and 1 before the batch holding index 8 fails; shard 2 was in progress.
    expect(shardFiles(path.join(dumpTo, dir))).toEqual(['acts000000.bin', 'acts000001.bin']);
  });

  it('rejects a missing data root', async () => {
    await expect(run({ dataRoot: '/nonexistent/photos' })).rejects.toThrow(
      /image-folder root '\/nonexistent\/photos' does not exist/,
    );
  });

  it('rejects layers out of range or naming one block twice', async () => {
    await expect(run({ data: 'fake', vitLayers: [6] })).rejects.toThrow(/layer 6 is out of range for a 6-block model/);
    await expect(run({ data: 'fake', vitLayers: [5, -1] })).rejects.toThrow(/5 and -1 both name block 5/);
  });

  it('rejects a shard budget too small for one image', async () => {
    await expect(run({ data: 'fake', nPatchesPerShard: 99 })).rejects.toThrow(
      /--n-patches-per-shard 99 is too small for one image \(2 layers x 50 tokens = 100\)/,
    );
  });

  it('checks given model properties against the model', async () => {
    await expect(run({ data: 'fake', dVit: 768 })).rejects.toThrow(
      /--d-vit 768 disagrees with clip 'demo', which has 128/,
    );
    await expect(run({ data: 'fake', nPatchesPerImg: 196 })).rejects.toThrow(/--n-patches-per-img 196 disagrees/);
    await expect(run({ data: 'fake', clsToken: false })).rejects.toThrow(/has a CLS token/);
  });

  it('writes nothing when validation fails', async () => {
    const dumpTo = makeConfig({}).dumpTo;
    await expect(run({ data: 'fake', dumpTo, dVit: 1 })).rejects.toThrow();
    expect(readdirSync(dumpTo)).toEqual([]);
  });
});
