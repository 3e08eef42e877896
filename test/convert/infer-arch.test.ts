// Tests src/convert/infer-arch.ts: nothing about a checkpoint is guessed. Real-size checkpoints are stood in
// for by state dicts of shapes only (inference never reads a value), so a bare ViT-H/14 costs nothing; the
// contradictions go through convertCheckpoint on an upstream-made fixture to show nothing is written.
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
import { initBackend } from '../../src/backend.js';
import { readCheckpoint } from '../../src/checkpoint/read-checkpoint.js';
import type { StateDict } from '../../src/checkpoint/state-dict.js';
import { convertCheckpoint, readConfigHints } from '../../src/convert/convert-checkpoint.js';
import { ArchFlags, inferArch } from '../../src/convert/infer-arch.js';
import { renameTensors } from '../../src/convert/remap-weights.js';
import type { ConfigHints } from '../../src/vit/checkpoint-spec.js';
import { PARITY_DIR } from './parity-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'saev-infer-arch-'));
beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const shapeOnly = (shape: number[]) => ({
  dtype: 'float32',
  shape,
  toFloat32: (): Float32Array => {
    throw new Error('inference read a value');
  },
});

/** An open_clip visual tower's keys with their real shapes (only what architecture inference looks at). */
function openClipVisual(width: number, depth: number, mlpWidth: number, patch = 14, grid = 16): StateDict {
  const state: StateDict = new Map();
  state.set('visual.conv1.weight', shapeOnly([width, 3, patch, patch]));
  state.set('visual.class_embedding', shapeOnly([width]));
  state.set('visual.positional_embedding', shapeOnly([1 + grid * grid, width]));
  for (let i = 0; i < depth; i++) {
    state.set(`visual.transformer.resblocks.${i}.mlp.c_fc.weight`, shapeOnly([mlpWidth, width]));
    state.set(`visual.transformer.resblocks.${i}.mlp.c_proj.weight`, shapeOnly([width, mlpWidth]));
  }
  return state;
}

function infer(
  family: string,
  state: StateDict,
  flags: ArchFlags = {},
  format = 'safetensors',
  config: ConfigHints | null = null,
) {
  const f = getFamily(family);
  const context = { file: 'ckpt.safetensors', family };
  const renamed = renameTensors(state, f.checkpoint, true, context);
  return inferArch(renamed, f.archSource, config, flags, {
    ...context,
    interpolatesPositions: family === 'dinov2',
    format,
  });
}

describe('a bare state dict (no config beside it)', () => {
  const vitH = openClipVisual(1280, 32, 5120);

  it('refuses to guess the GELU of an open_clip checkpoint, naming --gelu; takes it from the flag', () => {
    expect(() => infer('clip', vitH)).toThrow(
      'convert: cannot tell the GELU variant of ckpt.safetensors (no config file beside it); pass --gelu',
    );
    expect(infer('clip', vitH, { gelu: 'none' })).toMatchObject({
      width: 1280,
      depth: 32,
      mlpWidth: 5120,
      nHeads: 16,
      gelu: 'none',
      layerNormEps: 1e-5,
    });
  });

  it("knows open_clip's head widths: ViT-H 80, ViT-g 88, ViT-bigG 104, ViT-L 64 (16 heads each)", () => {
    for (const [width, depth, mlp] of [
      [1280, 32, 5120],
      [1408, 40, 6144],
      [1664, 48, 8192],
      [1024, 24, 4096],
    ]) {
      expect(infer('clip', openClipVisual(width, depth, mlp), { gelu: 'none' }).nHeads).toBe(16);
    }
    expect(infer('clip', vitH, { gelu: 'none', nHeads: 20 }).nHeads).toBe(20); // the flag settles it
  });

  it('refuses a width whose head width nobody knows, naming --n-heads', () => {
    expect(() => infer('clip', openClipVisual(1200, 2, 4800), { gelu: 'none' })).toThrow(
      'convert: cannot tell the head count of ckpt.safetensors (no config file beside it, and clip knows the heads of widths ' +
        '384, 512, 768, 896, 1024, 1280, 1408, 1664, 1792, not 1200); pass --n-heads',
    );
  });

  it('reads QuickGELU from an OpenAI TorchScript archive, which the flag may still override', () => {
    expect(infer('clip', vitH, {}, 'torchscript').gelu).toBe('quick');
    expect(infer('clip', vitH, { gelu: 'none' }, 'torchscript').gelu).toBe('none');
  });

  it('leaves what the family fixes to the family: DINOv2 ViT-g/14 (24 heads of 64, eps 1e-6, SwiGLU from the shapes)', () => {
    const state: StateDict = new Map();
    state.set('patch_embed.proj.weight', shapeOnly([1536, 3, 14, 14]));
    state.set('cls_token', shapeOnly([1, 1, 1536]));
    state.set('pos_embed', shapeOnly([1, 1 + 37 * 37, 1536]));
    state.set('blocks.0.ls1.gamma', shapeOnly([1536]));
    state.set('blocks.0.mlp.w12.weight', shapeOnly([8192, 1536]));
    state.set('blocks.0.mlp.w3.weight', shapeOnly([1536, 4096]));
    expect(infer('dinov2', state)).toMatchObject({
      width: 1536,
      nHeads: 24,
      gelu: 'none',
      layerNormEps: 1e-6,
      imageSize: 224,
      mlp: 'swiglu',
      mlpWidth: 4096,
    });
  });

  it("reads timm's vit_*_reg4_dinov2 layout: pos_embed over the 37x37 patches only (CLS position in cls_token)", () => {
    const state: StateDict = new Map();
    state.set('patch_embed.proj.weight', shapeOnly([768, 3, 14, 14]));
    state.set('cls_token', shapeOnly([1, 1, 768]));
    state.set('reg_token', shapeOnly([1, 4, 768]));
    state.set('pos_embed', shapeOnly([1, 37 * 37, 768]));
    state.set('blocks.0.ls1.gamma', shapeOnly([768]));
    state.set('blocks.0.mlp.fc1.weight', shapeOnly([3072, 768]));
    state.set('blocks.0.mlp.fc2.weight', shapeOnly([768, 3072]));
    expect(infer('dinov2', state)).toMatchObject({ width: 768, nHeads: 12, nRegisters: 4, imageSize: 224 });
  });
});

describe('image sizes', () => {
  /** A timm SigLIP tower's keys (open_clip's `visual.trunk.`) with the real shapes of ViT-SO400M-14-SigLIP-384. */
  function so400m(grid: number): StateDict {
    const state: StateDict = new Map();
    state.set('visual.trunk.patch_embed.proj.weight', shapeOnly([1152, 3, 14, 14]));
    state.set('visual.trunk.pos_embed', shapeOnly([1, grid * grid, 1152]));
    state.set('visual.trunk.blocks.0.attn.qkv.weight', shapeOnly([3 * 1152, 1152]));
    state.set('visual.trunk.blocks.0.mlp.fc1.weight', shapeOnly([4304, 1152]));
    state.set('visual.trunk.blocks.0.mlp.fc2.weight', shapeOnly([1152, 4304]));
    return state;
  }
  const config = (imageSize: number): ConfigHints => ({
    file: 'open_clip_config.json',
    arch: { imageSize },
    preprocess: {},
  });

  it("takes a size the checkpoint's config states even where the last pixels fall outside every patch (SO400M/14 at 384 px)", () => {
    const arch = infer('siglip', so400m(27), {}, 'safetensors', config(384));
    expect(arch).toMatchObject({ imageSize: 384, patchSize: 14, width: 1152 });
  });

  it('refuses a size someone passes that is not whole patches, and a stated size that does not fit the positions', () => {
    expect(() => infer('siglip', so400m(27), { imageSize: 384 })).toThrow(
      'vit: siglip checkpoint ckpt.safetensors: image size 384 is not a multiple of the patch size 14; pass a multiple, e.g. 378',
    );
    expect(() => infer('siglip', so400m(27), {}, 'safetensors', config(392))).toThrow(
      'convert: image size 392 needs a 28-patch grid but visual.trunk.pos_embed holds 27x27',
    );
  });
});

describe('contradictions (one line each, nothing written)', () => {
  const fixture = `${PARITY_DIR}clip-gelu/`;

  /** The fixture's checkpoint beside an edited copy of its open_clip_config.json. */
  function withConfig(
    name: string,
    edit: (config: { model_cfg: Record<string, unknown> & { vision_cfg: Record<string, unknown> } }) => void,
  ): string {
    const dir = path.join(tmp, name);
    const config = JSON.parse(readFileSync(`${fixture}open_clip_config.json`, 'utf8'));
    edit(config);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'open_clip_config.json'), JSON.stringify(config));
    copyFileSync(`${fixture}open_clip_model.safetensors`, path.join(dir, 'open_clip_model.safetensors'));
    return path.join(dir, 'open_clip_model.safetensors');
  }

  const expectRefused = async (checkpointPath: string, flags: ArchFlags, message: string | RegExp) => {
    const outDir = path.join(path.dirname(checkpointPath), 'out');
    const error = await convertCheckpoint({
      checkpointPath,
      family: getFamily('clip'),
      outDir,
      readCheckpoint,
      ...flags,
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toMatch(message);
    expect(existsSync(outDir)).toBe(false);
    expect(readdirSync(path.dirname(checkpointPath)).sort()).toEqual([
      'open_clip_config.json',
      'open_clip_model.safetensors',
    ]);
  };

  it('a checkpoint whose tensors contradict its config: depth, width, patch size, MLP width', async () => {
    await expectRefused(
      withConfig('depth', (c) => (c.model_cfg.vision_cfg.layers = 4)),
      {},
      "convert: open_clip_config.json says depth 4 but the tensors of open_clip_model.safetensors have 3; the config is not this checkpoint's",
    );
    await expectRefused(
      withConfig('width', (c) => (c.model_cfg.vision_cfg.width = 64)),
      {},
      /^convert: open_clip_config\.json says width 64 but the tensors of open_clip_model\.safetensors have 32;/,
    );
    await expectRefused(
      withConfig('patch', (c) => (c.model_cfg.vision_cfg.patch_size = 16)),
      {},
      /^convert: open_clip_config\.json says patchSize 16 but the tensors .* have 8;/,
    );
    await expectRefused(
      withConfig('mlp', (c) => (c.model_cfg.vision_cfg.mlp_ratio = 2)),
      {},
      /^convert: open_clip_config\.json says mlpWidth 64 but the tensors .* have 128;/,
    );
    await expectRefused(
      withConfig('heads', (c) => (c.model_cfg.vision_cfg.head_width = 12)),
      {},
      /^vit: clip checkpoint open_clip_model\.safetensors\.nHeads must be a positive integer, found 2\.6/,
    );
  });

  it('a flag that contradicts the config, for each field a config settles', async () => {
    const checkpoint = withConfig('flags', () => undefined);
    await expectRefused(checkpoint, { nHeads: 4 }, 'convert: --n-heads 4 contradicts open_clip_config.json (2 heads)');
    await expectRefused(
      checkpoint,
      { gelu: 'quick' },
      'convert: --gelu quick contradicts open_clip_config.json (GELU exact)',
    );
    await expectRefused(
      checkpoint,
      { imageSize: 64 },
      'convert: --image-size 64 contradicts open_clip_config.json (image size 32)',
    );
  });

  it('a config that contradicts what the checkpoint says of itself', async () => {
    const config = await readConfigHints(`${fixture}open_clip_model.safetensors`, getFamily('clip'));
    expect(() => infer('clip', openClipVisual(32, 3, 128, 8, 4), {}, 'torchscript', config)).toThrow(
      "convert: open_clip_config.json gives GELU exact but ckpt.safetensors is an OpenAI TorchScript archive (GELU quick); the config is not this checkpoint's",
    );
  });
});

describe('the flags', () => {
  // parsed by the command: test/commands/convert.test.ts
  it('--layer-norm-eps contradicting a config that states eps is refused', async () => {
    const hf = `${PARITY_DIR}clip-hf/model.safetensors`;
    const config = await readConfigHints(hf, getFamily('clip'));
    const f = getFamily('clip');
    const tensors = (await readCheckpoint(hf)).tensors;
    const renamed = renameTensors(tensors, f.checkpoint, true, { file: 'model.safetensors', family: 'clip' });
    expect(() =>
      inferArch(
        renamed,
        f.archSource,
        config,
        { layerNormEps: 1e-6 },
        { file: 'model.safetensors', family: 'clip', interpolatesPositions: false },
      ),
    ).toThrow(/^convert: --layer-norm-eps 0\.000001 contradicts config\.json \(eps 0\.00001\)$/);
  });
});
