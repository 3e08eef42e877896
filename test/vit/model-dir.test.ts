// Tests src/vit/model-dir.ts and the plain tfjs handlers of src/vit/file-io.ts with a weight-file limit of
// 1 MB, so the demo ViT (~4.9 MB of weights) is written as several files with weights cut across them: the
// streaming loader and plain tf.loadLayersModel must both read them back exactly, and a directory from before
// the split (one weights.bin, as tfjs's own model.save wrote it) must still load.
import { promises as fs, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import { initBackend, tf } from '../../src/backend.js';
import { makeDirectoryLoader, makeDirectorySaver } from '../../src/vit/file-io.js';
import { loadVit, saveVit, writeVitConfig, type LoadedVit } from '../../src/vit/load-vit.js';
import { loadModelDir } from '../../src/vit/model-dir.js';

const LIMIT = 1_000_000;
let tmp: string;
let original: LoadedVit;
let splitDir: string;

beforeAll(async () => {
  await initBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'saev-model-dir-'));
  original = await loadVit(clip, 'random:demo@5');
  splitDir = path.join(tmp, 'split');
  await saveVit(original, splitDir, undefined, { maxFileBytes: LIMIT });
});
afterAll(async () => {
  original.model.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function outputsOf(model: tf.LayersModel): Promise<Float32Array> {
  const x = tf.tidy(() => tf.sin(tf.range(0, 224 * 224 * 3)).reshape([1, 224, 224, 3]));
  const ys = model.predict(x) as tf.Tensor[];
  const values = (await ys[5].data()) as Float32Array;
  tf.dispose([x, ...ys]);
  return values;
}

describe('a model directory with its weights in several files', () => {
  it('lists files of at most the limit in the manifest, the last one shorter', () => {
    const manifest = JSON.parse(readFileSync(path.join(splitDir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const paths = manifest.weightsManifest[0].paths;
    const bytes = manifest.weightsManifest[0].weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    expect(paths).toEqual(
      Array.from({ length: Math.ceil(bytes / LIMIT) }, (_, i) => `weights-${i + 1}-of-${paths.length}.bin`),
    );
    expect(paths.length).toBeGreaterThan(3);
    expect(paths.map((p) => statSync(path.join(splitDir, p)).size)).toEqual(
      paths.map((_, i) => (i < paths.length - 1 ? LIMIT : bytes - LIMIT * i)),
    );
    expect(readdirSync(splitDir).sort()).toEqual(['model.json', 'saev-vit.json', ...paths].sort());
  });

  it("loads weight by weight with the same weights digest and outputs, and leaves only the model's tensors", async () => {
    const before = tf.memory().numTensors;
    const loaded = await loadVit(clip, splitDir);
    expect(tf.memory().numTensors - before).toBe(loaded.model.weights.length);
    expect(loaded.weightsSha256).toBe(original.weightsSha256);
    expect(await outputsOf(loaded.model)).toEqual(await outputsOf(original.model));
    loaded.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads with plain tf.loadLayersModel, our handler giving one buffer per file, never joined', async () => {
    const artifacts = await makeDirectoryLoader(splitDir).load!();
    const paths = JSON.parse(readFileSync(path.join(splitDir, 'model.json'), 'utf8')).weightsManifest[0]
      .paths as string[];
    expect(Array.isArray(artifacts.weightData)).toBe(true);
    expect((artifacts.weightData as ArrayBuffer[]).map((b) => b.byteLength)).toEqual(
      paths.map((p) => statSync(path.join(splitDir, p)).size),
    );
    for (const model of [
      await tf.loadLayersModel(makeDirectoryLoader(splitDir)),
      await tf.loadLayersModel(`file://${splitDir}/model.json`),
    ]) {
      expect(await outputsOf(model)).toEqual(await outputsOf(original.model));
      model.dispose();
    }
  });

  it('is written the same way by plain model.save through our saver', async () => {
    const dir = path.join(tmp, 'saved-plain');
    await original.model.save(makeDirectorySaver(dir, LIMIT));
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.bin'))
      .sort();
    expect(files).toEqual(
      readdirSync(splitDir)
        .filter((f) => f.endsWith('.bin'))
        .sort(),
    );
    for (const f of files)
      expect(readFileSync(path.join(dir, f)).equals(readFileSync(path.join(splitDir, f)))).toBe(true);
    const { model, weightsSha256 } = await loadModelDir(dir);
    expect(weightsSha256).toBe(original.weightsSha256);
    model.dispose();
  });
});

describe('a model directory from before the split (one weights.bin)', () => {
  it('still loads, with loadVit and plain tfjs', async () => {
    const dir = path.join(tmp, 'old');
    await fs.mkdir(dir);
    // What tfjs's model.save handed the old saver, written as it wrote it: the weights joined into one file.
    await original.model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const parts = Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData!];
        writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(parts.map((p) => Buffer.from(p))));
        const { modelTopology, format, generatedBy, convertedBy, weightSpecs } = artifacts;
        const manifest = {
          format,
          generatedBy,
          convertedBy,
          modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
        };
        writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    await writeVitConfig(original, dir);
    const loaded = await loadVit(clip, dir);
    expect(loaded.weightsSha256).toBe(original.weightsSha256);
    expect(await outputsOf(loaded.model)).toEqual(await outputsOf(original.model));
    const plain = await tf.loadLayersModel(`file://${dir}/model.json`);
    expect(plain.weights.length).toBe(loaded.model.weights.length);
    [loaded.model, plain].forEach((m) => m.dispose());
  });
});

describe('a broken model directory', () => {
  const copyTo = async (name: string) => {
    const dir = path.join(tmp, name);
    await fs.cp(splitDir, dir, { recursive: true });
    return dir;
  };

  it('names a truncated weight file and a missing one, in one line, leaving no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const files = readdirSync(splitDir)
      .filter((f) => f.endsWith('.bin'))
      .sort();
    const truncated = await copyTo('truncated');
    truncateSync(path.join(truncated, files[1]), 1000);
    await expect(loadVit(clip, truncated)).rejects.toThrow(
      /^weights: weights-1-of-\d\.bin, .* beside .*truncated\/model\.json hold \d+ bytes but its manifest lists \d+; the files are truncated or not this model's$/,
    );
    const missing = await copyTo('missing');
    await fs.rm(path.join(missing, files.at(-1)!));
    await expect(loadVit(clip, missing)).rejects.toThrow(
      /^weights: cannot open weight file .*missing\/weights-(\d)-of-\1\.bin \(ENOENT.*\); the model directory is incomplete$/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a manifest whose weights do not match the topology, and quantized weights', async () => {
    const before = tf.memory().numTensors;
    const edit = async (name: string, change: (manifest: tf.io.ModelJSON) => void) => {
      const dir = await copyTo(name);
      const file = path.join(dir, 'model.json');
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as tf.io.ModelJSON;
      change(manifest);
      writeFileSync(file, JSON.stringify(manifest));
      return dir;
    };
    const renamed = await edit('renamed', (m) => (m.weightsManifest[0].weights[3].name = 'block9_extra/kernel'));
    await expect(loadVit(clip, renamed)).rejects.toThrow(
      /^weights: .*renamed\/model\.json lists no weight \S+, which its topology has; convert the model again$/,
    );
    const reshaped = await edit('reshaped', (m) => (m.weightsManifest[0].weights[0].shape = [32, 32, 128, 3]));
    await expect(loadVit(clip, reshaped)).rejects.toThrow(
      /^weights: patch_embed\/kernel in .*model\.json is \[32, 32, 128, 3\] but the topology wants \[32, 32, 3, 128\]$/,
    );
    const quantized = await edit(
      'quantized',
      (m) => (m.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', min: 0, scale: 1 }),
    );
    await expect(loadVit(clip, quantized)).rejects.toThrow(
      /^weights: patch_embed\/kernel in .*model\.json is quantized to uint8; only float32 weights are read \(convert the checkpoint again\)$/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
