// The converter end to end (real checkpoint readers, the directory it writes, loading it back) and its
// one-line errors on bad checkpoints. Upstream-made checkpoints from test/fixtures/parity.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../models/registry.js';
import { initBackend, tf } from '../../src/backend.js';
import { readCheckpoint } from '../../src/checkpoint/read-checkpoint.js';
import type { Checkpoint, StateDict } from '../../src/checkpoint/state-dict.js';
import { convertCheckpoint, makeVitFromCheckpoint, readConfigHints } from '../../src/convert/convert-checkpoint.js';
import '../../src/layers/index.js';
import { loadVit } from '../../src/vit/load-vit.js';
import { recordActivations } from '../../src/vit/tokens.js';
import { loadCase, measure, readFixtureSafetensors } from './parity-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'saev-convert-'));
beforeAll(async () => {
  await initBackend(); // registers the file:// routers plain tf.loadLayersModel needs
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('convertCheckpoint on upstream files', () => {
  it('converts a torch.save DINOv2 hub .pth with registers; loadVit and plain loadLayersModel reproduce upstream, registers dropped', async () => {
    const parity = loadCase('dinov2-reg4');
    const file = `${parity.dir}dinov2-reg4_hub.pth`;
    const outDir = path.join(tmp, 'dinov2-reg4');
    const result = await convertCheckpoint({
      checkpointPath: file,
      family: getFamily('dinov2'),
      outDir,
      readCheckpoint,
      nHeads: 2,
      imageSize: 56,
    });
    expect(result.format).toBe('torch-zip');
    expect(result.sha256).toBe(sha256(file));
    expect(readdirSync(outDir).sort()).toEqual(['model.json', 'saev-vit.json', 'weights.bin']);
    const sidecar = JSON.parse(readFileSync(path.join(outDir, 'saev-vit.json'), 'utf8'));
    expect(sidecar.tokens).toEqual({ cls: 1, registers: 4, patches: 16, stored: 17 });
    expect(sidecar.source).toEqual({
      file: 'dinov2-reg4_hub.pth',
      format: 'torch-zip',
      layout: 'DINOv2 hub / timm',
      sha256: sha256(file),
    });
    expect(sidecar.preprocess).toMatchObject({ resize: 'shortest', resizeSize: 64, filter: 'bilinear', cropSize: 56 });

    const vit = await loadVit(getFamily('dinov2'), outDir);
    const before = tf.memory().numTensors;
    const pixels = tf.tensor4d(parity.pixels, parity.pixels_BHWC);
    const acts_BLTD = recordActivations(vit.model, pixels, vit.arch);
    expect(acts_BLTD.shape).toEqual([2, 3, 17, 32]);
    // Upstream blocks [L, B, N=21, D] without the 4 registers (tokens 1..4).
    const [depth, batch, nTokens, width] = parity.blocks_LBND;
    const ours = (await acts_BLTD.data()) as Float32Array;
    for (let l = 0; l < depth; l++) {
      const want: number[] = [];
      const got: number[] = [];
      for (let b = 0; b < batch; b++) {
        for (let t = 0; t < nTokens; t++) {
          if (t >= 1 && t <= 4) continue;
          const stored = t === 0 ? 0 : t - 4;
          for (let d = 0; d < width; d++) {
            want.push(parity.blocks[((l * batch + b) * nTokens + t) * width + d]);
            got.push(ours[((b * depth + l) * 17 + stored) * width + d]);
          }
        }
      }
      expect(measure(Float32Array.from(got), Float32Array.from(want), l).relRms).toBeLessThan(2e-5);
    }
    tf.dispose([pixels, acts_BLTD]);
    expect(tf.memory().numTensors).toBe(before);

    const plain = await tf.loadLayersModel(`file://${outDir}/model.json`);
    expect(plain.outputs.map((o) => o.shape)).toEqual([
      [null, 21, 32],
      [null, 21, 32],
      [null, 21, 32],
    ]);
    [vit.model, plain].forEach((m) => m.dispose());
  });

  it('converts an open_clip torch.save .bin with its open_clip_config.json (QuickGELU)', async () => {
    const parity = loadCase('clip-quickgelu');
    const outDir = path.join(tmp, 'clip-bin');
    const result = await convertCheckpoint({
      checkpointPath: `${parity.dir}open_clip_pytorch_model.bin`,
      family: getFamily('clip'),
      outDir,
      readCheckpoint,
    });
    expect(result.config).toBe('open_clip_config.json');
    expect(result.arch).toMatchObject({
      imageSize: 32,
      patchSize: 8,
      width: 32,
      depth: 3,
      nHeads: 2,
      gelu: 'quick',
      clsToken: true,
      preNorm: true,
    });
    const vit = await loadVit(getFamily('clip'), outDir);
    const pixels = tf.tensor4d(parity.pixels, parity.pixels_BHWC);
    const outputs = vit.model.predict(pixels) as tf.Tensor[];
    const perBlock = 2 * 17 * 32;
    expect(
      measure((await outputs[2].data()) as Float32Array, parity.blocks.subarray(2 * perBlock), 2).relRms,
    ).toBeLessThan(2e-5);
    tf.dispose([pixels, ...outputs]);
    vit.model.dispose();
  });

  it("streams the weights into files of at most the limit; loading them gives the one-file conversion's weights", async () => {
    const parity = loadCase('clip-gelu');
    const checkpointPath = `${parity.dir}open_clip_model.safetensors`;
    const whole = path.join(tmp, 'clip-whole');
    const split = path.join(tmp, 'clip-split');
    await convertCheckpoint({ checkpointPath, family: getFamily('clip'), outDir: whole, readCheckpoint });
    await convertCheckpoint({
      checkpointPath,
      family: getFamily('clip'),
      outDir: split,
      readCheckpoint,
      maxWeightFileBytes: 10_000,
    });
    const byIndex = (a: string, b: string) => Number(/\d+/.exec(a)?.[0] ?? 0) - Number(/\d+/.exec(b)?.[0] ?? 0);
    const weightFiles = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.bin'))
        .sort(byIndex);
    expect(weightFiles(whole)).toEqual(['weights.bin']);
    const files = weightFiles(split);
    expect(files.length).toBeGreaterThan(5);
    expect(
      Buffer.concat(files.map((f) => readFileSync(path.join(split, f)))).equals(
        readFileSync(path.join(whole, 'weights.bin')),
      ),
    ).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(split, 'model.json'), 'utf8'));
    expect(manifest.weightsManifest[0].paths).toEqual(files);
    expect(manifest.convertedBy).toMatch(/^saev-tfjs \d/);
    const [a, b] = [await loadVit(getFamily('clip'), whole), await loadVit(getFamily('clip'), split)];
    expect(b.weightsSha256).toBe(a.weightsSha256);
    [a, b].forEach((v) => v.model.dispose());
  });

  it('refuses an existing --out and leaves nothing behind when a checkpoint is bad', async () => {
    const parity = loadCase('clip-gelu');
    const family = getFamily('clip');
    const existing = path.join(tmp, 'exists');
    mkdirSync(existing);
    await expect(
      convertCheckpoint({
        checkpointPath: `${parity.dir}open_clip_model.safetensors`,
        family,
        outDir: existing,
        readCheckpoint,
      }),
    ).rejects.toThrow(`convert: ${existing} already exists; remove it or choose another --out`);

    const dir = mkdtempSync(path.join(tmp, 'bad-'));
    copyFileSync(`${parity.dir}open_clip_config.json`, path.join(dir, 'open_clip_config.json'));
    const full = readFileSync(`${parity.dir}open_clip_model.safetensors`);
    writeFileSync(path.join(dir, 'truncated.safetensors'), full.subarray(0, full.length - 1000));
    const outDir = path.join(dir, 'out');
    const error = await convertCheckpoint({
      checkpointPath: path.join(dir, 'truncated.safetensors'),
      family,
      outDir,
      readCheckpoint,
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('\n');
    const broken = async (): Promise<Checkpoint> => {
      const tensors = readFixtureSafetensors(`${parity.dir}open_clip_model.safetensors`);
      tensors.delete('visual.transformer.resblocks.2.attn.out_proj.weight');
      return { tensors, format: 'safetensors', sha256: '0'.repeat(64) };
    };
    await expect(
      convertCheckpoint({
        checkpointPath: path.join(dir, 'truncated.safetensors'),
        family,
        outDir,
        readCheckpoint: broken,
      }),
    ).rejects.toThrow(
      'weights: missing key visual.transformer.resblocks.2.attn.out_proj.weight in truncated.safetensors (expected by clip)',
    );
    expect(existsSync(outDir)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['open_clip_config.json', 'truncated.safetensors']);
  });
});

describe('weight remapping errors (in-memory state dicts from the fixtures)', () => {
  const clipCase = loadCase('clip-gelu');
  const clipFile = `${clipCase.dir}open_clip_model.safetensors`;
  const make = async (edit: (state: StateDict) => void, options: { strict?: boolean; imageSize?: number } = {}) => {
    const tensors = readFixtureSafetensors(clipFile);
    edit(tensors);
    const config = await readConfigHints(clipFile, getFamily('clip'));
    return makeVitFromCheckpoint({ tensors }, getFamily('clip'), { file: 'ViT-tiny.safetensors', config, ...options });
  };
  const fake = (shape: number[]) => ({
    dtype: 'float32',
    shape,
    toFloat32: () => new Float32Array(shape.reduce((a, b) => a * b, 1)),
  });

  it('names a missing key', async () => {
    await expect(make((s) => s.delete('visual.ln_pre.weight'))).rejects.toThrow(
      /^weights: missing key visual\.ln_pre\.weight in ViT-tiny\.safetensors \(expected by clip\)$/,
    );
  });

  it('names a tensor of the wrong shape with both shapes', async () => {
    await expect(make((s) => s.set('visual.transformer.resblocks.1.mlp.c_fc.weight', fake([64, 32])))).rejects.toThrow(
      /^weights: visual\.transformer\.resblocks\.1\.mlp\.c_fc\.weight in ViT-tiny\.safetensors has shape \[64, 32\], expected \[128, 32\] by clip$/,
    );
  });

  it('refuses an unknown tower key in strict mode and skips it otherwise; other towers are never read', async () => {
    const add = (s: StateDict) => s.set('visual.extra.weight', fake([3]));
    await expect(make(add)).rejects.toThrow(
      /^weights: unknown key visual\.extra\.weight in ViT-tiny\.safetensors \(not used by clip; pass --no-strict to skip it\)$/,
    );
    const made = await make(add, { strict: false });
    expect(made.unknown).toEqual(['visual.extra.weight']);
    expect(made.ignored.sort()).toEqual(['visual.ln_post.bias', 'visual.ln_post.weight', 'visual.proj']);
    made.model.dispose();
  });

  it('refuses a checkpoint of another family, an --image-size that contradicts the config, and a missing q/k/v part', async () => {
    await expect(make((s) => s.delete('visual.conv1.weight'))).rejects.toThrow(
      /^weights: ViT-tiny\.safetensors is not a clip checkpoint/,
    );
    await expect(make(() => undefined, { imageSize: 64 })).rejects.toThrow(
      'convert: --image-size 64 contradicts open_clip_config.json (image size 32)',
    );
    const hf = `${loadCase('dinov2').dir}hf/model.safetensors`;
    const tensors = readFixtureSafetensors(hf);
    tensors.delete('encoder.layer.1.attention.attention.key.bias');
    const config = await readConfigHints(hf, getFamily('dinov2'));
    expect(() =>
      makeVitFromCheckpoint({ tensors }, getFamily('dinov2'), { file: 'model.safetensors', config }),
    ).toThrow(
      'weights: missing key encoder.layer.1.attention.attention.key.bias in model.safetensors (expected by dinov2)',
    );
  });

  it('refuses a position grid that does not fit the image size for a family that does not interpolate', async () => {
    const file = `${loadCase('siglip').dir}open_clip_model.safetensors`;
    const tensors = readFixtureSafetensors(file);
    expect(() =>
      makeVitFromCheckpoint({ tensors }, getFamily('siglip'), { file: 'siglip.safetensors', nHeads: 2, imageSize: 48 }),
    ).toThrow(
      'convert: image size 48 needs a 6-patch grid but visual.trunk.pos_embed holds 4x4 (siglip does not interpolate position embeddings; use --image-size 32)',
    );
  });
});

describe('dinov3, pe-core and pe-spatial conversion', () => {
  const dinov3 = getFamily('dinov3');
  const hubFile = 'dinov3_vits16_pretrain_tiny-00000000.pth';

  it('converts a DINOv3 hub .pth (bfloat16 periods); its stored tokens are the upstream blocks without the storage tokens', async () => {
    const parity = loadCase('dinov3', hubFile);
    const outDir = path.join(tmp, 'dinov3');
    const result = await convertCheckpoint({
      checkpointPath: `${parity.dir}${hubFile}`,
      family: dinov3,
      outDir,
      readCheckpoint,
      nHeads: 2,
      imageSize: 64,
    });
    expect(result.layout).toBe('DINOv3 hub (facebookresearch/dinov3)');
    expect(result.ignored.filter((key) => key.endsWith('bias_mask')).length).toBe(2);
    const sidecar = JSON.parse(readFileSync(path.join(outDir, 'saev-vit.json'), 'utf8'));
    expect(sidecar.family).toBe('dinov3');
    expect(sidecar.tokens).toEqual({ cls: 1, registers: 4, patches: 16, stored: 17 });
    expect(sidecar.arch).toMatchObject({
      positionEmbedding: false,
      mlp: 'gelu',
      rope: { pairing: 'half', coords: 'centered', axes: 'yx', base: 100 },
    });
    expect(sidecar.preprocess).toEqual({
      resize: 'squash',
      resizeSize: 64,
      filter: 'bilinear',
      cropSize: null,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });

    const vit = await loadVit(dinov3, outDir);
    const pixels = tf.tensor4d(parity.pixels, parity.pixels_BHWC);
    const acts_BLTD = recordActivations(vit.model, pixels, vit.arch);
    expect(acts_BLTD.shape).toEqual([2, 2, 17, 24]);
    const [depth, batch, nTokens, width] = parity.blocks_LBND;
    const ours = (await acts_BLTD.data()) as Float32Array;
    for (let l = 0; l < depth; l++) {
      const [want, got]: number[][] = [[], []];
      for (let b = 0; b < batch; b++) {
        for (let t = 0; t < nTokens; t++) {
          if (t >= 1 && t <= 4) continue; // storage tokens
          for (let d = 0; d < width; d++) {
            want.push(parity.blocks[((l * batch + b) * nTokens + t) * width + d]);
            got.push(ours[((b * depth + l) * 17 + (t === 0 ? 0 : t - 4)) * width + d]);
          }
        }
      }
      expect(measure(Float32Array.from(got), Float32Array.from(want), l).relRms).toBeLessThan(2e-5);
    }
    tf.dispose([pixels, acts_BLTD]);
    vit.model.dispose();
  });

  it('takes 256 px when neither a flag nor the config says, and any multiple of 16 when asked', async () => {
    const dir = loadCase('dinov3').dir;
    const tensors = (await readCheckpoint(`${dir}${hubFile}`)).tensors;
    const byDefault = makeVitFromCheckpoint({ tensors }, dinov3, { file: hubFile, nHeads: 2 });
    expect([byDefault.arch.imageSize, byDefault.model.outputs[0].shape]).toEqual([256, [null, 1 + 4 + 256, 24]]);
    byDefault.model.dispose();
    const timm = `${dir}timm/model.safetensors`;
    const asked = makeVitFromCheckpoint({ tensors: readFixtureSafetensors(timm) }, dinov3, {
      file: 'model.safetensors',
      config: await readConfigHints(timm, dinov3),
      imageSize: 96,
    });
    expect([asked.arch.imageSize, asked.arch.nHeads, asked.layout]).toEqual([
      96,
      2,
      'timm DINOv3 (vit_*_patch16_dinov3*)',
    ]);
    asked.model.dispose();
  });

  it('refuses an image size that is not a multiple of 16 and DINOv3 7B by name, one line each, writing nothing', async () => {
    const dir = mkdtempSync(path.join(tmp, 'dinov3-bad-'));
    copyFileSync(`${loadCase('dinov3').dir}${hubFile}`, path.join(dir, hubFile));
    const outDir = path.join(dir, 'out');
    const convert = (options: { imageSize?: number; readCheckpoint?: (file: string) => Promise<Checkpoint> }) =>
      convertCheckpoint({
        checkpointPath: path.join(dir, hubFile),
        family: dinov3,
        outDir,
        readCheckpoint,
        nHeads: 2,
        ...options,
      });
    await expect(convert({ imageSize: 250 })).rejects.toThrow(
      `vit: dinov3 checkpoint ${hubFile}: image size 250 is not a multiple of the patch size 16; pass a multiple, e.g. 256`,
    );
    const sevenB = async (file: string): Promise<Checkpoint> => {
      const checkpoint = await readCheckpoint(file);
      const shape = [4096, 3, 16, 16];
      checkpoint.tensors.set('patch_embed.proj.weight', {
        dtype: 'float32',
        shape,
        toFloat32: () => new Float32Array(4096 * 768),
      });
      return checkpoint;
    };
    await expect(convert({ readCheckpoint: sevenB })).rejects.toThrow(
      new RegExp(
        `^convert: ${hubFile.replace(/[.]/g, '\\.')} is DINOv3 ViT-7B/16 \\(dinov3_vit7b16\\) \\(width 4096\\), which dinov3 does not support$`,
      ),
    );
    expect(readdirSync(dir)).toEqual([hubFile]);
  });

  it('reads PE structure from the tensors: pe-core with a CLS token, pe-spatial (G) without one but with LayerScale', async () => {
    const core = loadCase('pe-core');
    const spatial = loadCase('pe-spatial');
    const coreMade = makeVitFromCheckpoint(
      { tensors: (await readCheckpoint(`${core.dir}PE-Core-tiny.pt`)).tensors },
      getFamily('pe-core'),
      { file: 'PE-Core-tiny.pt', nHeads: 2 },
    );
    expect(coreMade.arch).toMatchObject({
      imageSize: 32,
      clsToken: true,
      layerScale: false,
      preNorm: true,
      patchBias: false,
      positionEmbedding: true,
    });
    expect(coreMade.layout).toBe("Meta's PE CLIP (visual.*)");
    expect(coreMade.ignored.some((key) => key.startsWith('visual.attn_pool.'))).toBe(true);
    const spatialMade = makeVitFromCheckpoint(
      { tensors: (await readCheckpoint(`${spatial.dir}PE-Spatial-tiny.pt`)).tensors },
      getFamily('pe-spatial'),
      { file: 'PE-Spatial-tiny.pt', nHeads: 2 },
    );
    expect(spatialMade.arch).toMatchObject({ imageSize: 32, clsToken: false, layerScale: true });
    expect(spatialMade.layout).toBe("Meta's PE vision encoder");
    [coreMade, spatialMade].forEach((made) => made.model.dispose());
  });

  it("refuses another PE family's timm config", async () => {
    await expect(
      readConfigHints(`${loadCase('pe-spatial').dir}timm/model.safetensors`, getFamily('pe-core')),
    ).rejects.toThrow(
      /timm\/config\.json does not describe a pe-core model; pick the right --family or pass --config$/,
    );
  });
});
