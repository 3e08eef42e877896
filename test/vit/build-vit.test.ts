import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import { dinov3 } from '../../models/dinov3.js';
import { peSpatial } from '../../models/pe-spatial.js';
import { initBackend, tf } from '../../src/backend.js';
import type { VitArch } from '../../src/vit/arch.js';
import { buildVit, makeRecorder } from '../../src/vit/build-vit.js';
import { loadVit, saveVit } from '../../src/vit/load-vit.js';
import { setRandomWeights } from '../../src/vit/random-weights.js';

const tiny: VitArch = {
  imageSize: 32,
  patchSize: 8,
  width: 16,
  depth: 4,
  nHeads: 2,
  mlpWidth: 32,
  gelu: 'quick',
  layerNormEps: 1e-5,
  clsToken: true,
  nRegisters: 0,
  patchBias: false,
  preNorm: true,
  layerScale: false,
  positionEmbedding: true,
  rope: null,
  mlp: 'gelu',
};
const tmp = mkdtempSync(path.join(os.tmpdir(), 'saev-vit-'));

beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pixels(seed: number): tf.Tensor4D {
  return tf.tidy(() => tf.sin(tf.add(tf.range(0, 2 * 32 * 32 * 3), seed)).reshape([2, 32, 32, 3]) as tf.Tensor4D);
}

describe('buildVit', () => {
  it('outputs every block as [B, 1 + P, D]', () => {
    const vit = buildVit(tiny, 'tiny');
    expect(vit.outputs.map((o) => o.shape)).toEqual(Array(4).fill([null, 17, 16]));
    vit.dispose();
  });

  it('records chosen blocks with the same values as the full model, and stops at the deepest', async () => {
    const vit = buildVit(tiny, 'tiny');
    setRandomWeights(vit, 1);
    const recorder = makeRecorder(vit, [0, 2]);
    expect(recorder.layers.some((layer) => layer.name.startsWith('block3'))).toBe(false);
    const x = pixels(0);
    const all = vit.predict(x) as tf.Tensor[];
    const some = recorder.predict(x) as tf.Tensor[];
    expect(await some[0].array()).toEqual(await all[0].array());
    expect(await some[1].array()).toEqual(await all[2].array());
    const change = all[1].sub(all[0]).abs().max();
    expect((await change.data())[0]).toBeGreaterThan(0);
    change.dispose();
    tf.dispose([x, ...all, ...some]);
    vit.dispose();
  });

  it('leaves out the pixels past the last whole patch, as a strided patch convolution does (384 px at patch 14)', async () => {
    // 38 px at patch 8: a 4x4 grid over the top-left 32 px, as the 32 px model sees them; the last 6 px are unread.
    const wide = buildVit({ ...tiny, imageSize: 38 }, 'wide');
    expect(wide.outputs[0].shape).toEqual([null, 17, 16]);
    setRandomWeights(wide, 3);
    const exact = buildVit(tiny, 'exact');
    exact.setWeights(wide.getWeights());
    const x = tf.tidy(() => tf.sin(tf.mul(tf.range(0, 38 * 38 * 3), 0.37)).reshape([1, 38, 38, 3]));
    const cropped = tf.slice(x, [0, 0, 0, 0], [1, 32, 32, 3]);
    const fromWide = wide.predict(x) as tf.Tensor[];
    const fromExact = exact.predict(cropped) as tf.Tensor[];
    expect(await fromWide[3].array()).toEqual(await fromExact[3].array());
    tf.dispose([x, cropped, ...fromWide, ...fromExact]);
    wide.dispose();
    exact.dispose();
  });

  it('adds LayerScale to both residual branches only when the arch asks (DINOv2)', () => {
    const plain = buildVit(tiny, 'plain');
    const scaled = buildVit({ ...tiny, layerScale: true, clsToken: true, nRegisters: 2 }, 'scaled');
    expect(plain.layers.some((layer) => /_ls\d$/.test(layer.name))).toBe(false);
    expect(
      scaled.layers.filter((layer) => /^block0_ls[12]$/.test(layer.name)).map((layer) => layer.getClassName()),
    ).toEqual(['SaevLayerScale', 'SaevLayerScale']);
    expect(scaled.outputs[0].shape).toEqual([null, 19, 16]);
    [plain, scaled].forEach((m) => m.dispose());
  });

  it('builds DINOv3-like models: storage tokens, no position embeddings, one RoPE table for every block, SwiGLU', async () => {
    const arch: VitArch = {
      ...dinov3.archs.dinov3_vits16plus,
      imageSize: 32,
      width: 16,
      depth: 2,
      nHeads: 2,
      mlpWidth: 24,
    };
    const vit = buildVit(arch, 'rotary');
    expect(vit.outputs[0].shape).toEqual([null, 1 + 4 + 4, 16]);
    const names = vit.weights.map((w) => w.originalName);
    expect(names.filter((n) => n.startsWith('tokens/'))).toEqual(['tokens/cls', 'tokens/registers']);
    expect(names.filter((n) => n.startsWith('rope/'))).toEqual(['rope/sin_cos']);
    expect(vit.getLayer('block0_fc1').getWeights()[0].shape).toEqual([16, 48]);
    expect(vit.getLayer('block0_swiglu').getClassName()).toBe('SaevSwiGlu');
    expect(vit.getLayer('block1_attn').inboundNodes[0].inboundLayers.map((l) => l.name)).toEqual([
      'block1_ln1',
      'rope',
    ]);
    const table = await vit.getLayer('rope').getWeights()[0].data();
    setRandomWeights(vit, 1);
    expect(await vit.getLayer('rope').getWeights()[0].data()).toEqual(table); // non-trainable: kept
    const x = pixels(0);
    const before = tf.memory().numTensors;
    const out = vit.predict(x) as tf.Tensor[];
    expect(out.every((t) => t.shape.join() === '2,9,16')).toBe(true);
    tf.dispose(out);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    vit.dispose();
  });

  it('refuses recorded blocks that do not ascend', () => {
    const vit = buildVit(tiny, 'tiny');
    expect(() => makeRecorder(vit, [2, 1])).toThrow(/must ascend strictly/);
    expect(() => makeRecorder(vit, [-1, -2])).toThrow(/must ascend strictly, found \[-1, -2\]/);
  });

  it('takes Python-style negative blocks and names the depth for one that does not exist', () => {
    const vit = buildVit(tiny, 'tiny');
    const depth = tiny.depth;
    const byNegative = makeRecorder(vit, [-2, -1]);
    expect(byNegative.outputs.map((t) => t.name.split('/')[0])).toEqual([`block${depth - 2}`, `block${depth - 1}`]);
    expect(() => makeRecorder(vit, [depth])).toThrow(
      `vit: block ${depth} does not exist; tiny has ${depth} blocks (0..${depth - 1}, or -${depth}..-1)`,
    );
    expect(() => makeRecorder(vit, [-depth - 1])).toThrow(/does not exist/);
    vit.dispose();
  });

  it('gives identical seeded weights on every build', async () => {
    const a = await loadVit(clip, 'demo');
    const b = await loadVit(clip, 'demo');
    expect(a.weightsSha256).toBe(b.weightsSha256);
    const c = await loadVit(clip, 'random:demo@1');
    expect(c.weightsSha256).not.toBe(a.weightsSha256);
    [a, b, c].forEach((v) => v.model.dispose());
  });
});

describe('saveVit / loadVit', () => {
  it('round-trips a model through a directory with identical outputs', async () => {
    const original = await loadVit(clip, 'random:demo@3');
    const dir = path.join(tmp, 'demo3');
    await saveVit(original, dir);
    const loaded = await loadVit(clip, dir);
    expect(loaded.arch).toEqual(original.arch);
    expect(loaded.weightsSha256).toBe(original.weightsSha256);
    const x = tf.zeros([1, 224, 224, 3]);
    const a = original.model.predict(x) as tf.Tensor[];
    const b = loaded.model.predict(x) as tf.Tensor[];
    expect(await b[5].array()).toEqual(await a[5].array());
    tf.dispose([x, ...a, ...b]);

    const plain = await tf.loadLayersModel(`file://${dir}/model.json`); // initBackend registered file://, whatever the backend
    expect(plain.outputs.length).toBe(6);
    [original.model, loaded.model, plain].forEach((m) => m.dispose());
  });

  it('round-trips a RoPE model (PE-Spatial-G-like: no CLS, LayerScale, absolute positions)', async () => {
    const arch: VitArch = {
      ...peSpatial.archs['PE-Spatial-G14-448'],
      imageSize: 32,
      patchSize: 8,
      width: 16,
      depth: 2,
      nHeads: 2,
      mlpWidth: 32,
    };
    const model = buildVit(arch, 'pe');
    setRandomWeights(model, 2);
    const dir = path.join(tmp, 'pe');
    await saveVit({ model, arch, family: peSpatial }, dir);
    const loaded = await loadVit(peSpatial, dir);
    expect(loaded.arch).toEqual(arch);
    const x = pixels(1);
    const a = model.predict(x) as tf.Tensor[];
    const b = loaded.model.predict(x) as tf.Tensor[];
    expect(await b[1].data()).toEqual(await a[1].data());
    tf.dispose([x, ...a, ...b]);
    [model, loaded.model].forEach((m) => m.dispose());
  });

  it('loads directories saved before RoPE, SwiGLU and position-free layouts existed', async () => {
    const original = await loadVit(clip, 'random:demo@4');
    const dir = path.join(tmp, 'older');
    await saveVit(original, dir);
    // Strip what this version adds: layer config fields and arch fields.
    const modelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    let stripped = 0;
    for (const layer of modelJson.modelTopology.config.layers) {
      for (const key of ['rope', 'positions']) if (key in layer.config && delete layer.config[key]) stripped++;
    }
    expect(stripped).toBe(1 + 6); // TokenEmbedding and every SelfAttention
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    const sidecar = JSON.parse(readFileSync(path.join(dir, 'saev-vit.json'), 'utf8'));
    for (const key of ['positionEmbedding', 'rope', 'mlp']) delete sidecar.arch[key];
    writeFileSync(path.join(dir, 'saev-vit.json'), JSON.stringify(sidecar));
    const loaded = await loadVit(clip, dir);
    expect(loaded.arch).toEqual(original.arch);
    expect(loaded.weightsSha256).toBe(original.weightsSha256);
    const x = tf.zeros([1, 224, 224, 3]);
    const a = original.model.predict(x) as tf.Tensor[];
    const b = loaded.model.predict(x) as tf.Tensor[];
    expect(await b[5].data()).toEqual(await a[5].data());
    tf.dispose([x, ...a, ...b]);
    [original.model, loaded.model].forEach((m) => m.dispose());
  });

  it('names the accepted forms for an unknown checkpoint', async () => {
    await expect(loadVit(clip, 'ViT-B-16/openai')).rejects.toThrow(
      /does not exist; pass a checkpoint file, a converted model directory .* or a name/,
    );
    await expect(loadVit(clip, 'random:ViT-H-99')).rejects.toThrow(
      /no architecture 'ViT-H-99' \(known: ViT-B-32, ViT-B-16, ViT-L-14, demo\)/,
    );
  });
});
