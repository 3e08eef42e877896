// Converted upstream checkpoints reproduce every block the upstream code recorded
// (test/fixtures/parity, made by scripts/make-parity-fixtures.py with open_clip, timm, the dinov2 and dinov3
// hub code, Meta's Perception Encoder code, HF transformers and moondream's vision encoder). Tolerance: relative
// RMS error 2e-5 per block, the float32 level (different summation orders and erf/tanh/exp/sin kernels in torch
// and tfjs); 1e-4 or more is a bug (DINOv3's bfloat16 RoPE periods alone move its blocks by 3e-4).
// Runs on whichever backend SAEV_BACKEND selects; CI runs it on native and on wasm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../models/registry.js';
import { initBackend, tf } from '../../src/backend.js';
import { readCheckpoint } from '../../src/checkpoint/read-checkpoint.js';
import { makeVitFromCheckpoint, readConfigHints } from '../../src/convert/convert-checkpoint.js';
import { BlockError, loadCase, measure, readFixtureSafetensors } from './parity-helpers.js';

const REL_RMS_TOLERANCE = 2e-5;
let backend = '';
const report: string[] = [];

beforeAll(async () => {
  backend = (await initBackend()).name;
});
afterAll(() => {
  if (report.length)
    process.stderr.write(`parity on ${backend} (max abs / rel RMS per block):\n${report.join('\n')}\n`);
});

/**
 * [case, checkpoint inside the case directory, flags]. Tiny models need --n-heads where no config file says
 * (the DINOv2 hub .pth and moondream2's checkpoint carry none; real sizes follow the family's head width).
 */
const CASES: Array<[string, string, { nHeads?: number; imageSize?: number }]> = [
  ['clip-quickgelu', 'open_clip_model.safetensors', {}],
  ['clip-gelu', 'open_clip_model.safetensors', {}],
  ['clip-hf', 'model.safetensors', {}],
  ['siglip', 'open_clip_model.safetensors', {}],
  // DINOv2 position grids are 9x9 (126 px), interpolated to the 4x4 grid of 56 px inputs; the HF layout of the
  // same weights must give the hub's outputs (saev runs the hub code), including the hub's interpolation.
  ['dinov2', 'dinov2_hub.safetensors', { nHeads: 2, imageSize: 56 }],
  ['dinov2', 'hf/model.safetensors', { imageSize: 56 }],
  ['dinov2-reg4', 'dinov2-reg4_hub.safetensors', { nHeads: 2, imageSize: 56 }],
  ['dinov2-reg4', 'hf/model.safetensors', { imageSize: 56 }],
  // timm's vit_*_reg4_dinov2 as timm ships it (no_embed_class: pos_embed over the patches only, the CLS position in
  // cls_token), against timm's own blocks at 56 px (pos_embed resampled bicubic, antialiased, as the hub's _reg).
  ['dinov2-reg4-timm', 'timm/model.safetensors', { imageSize: 56 }],
  // ViT-g/14's SwiGLU MLP (the hub's SwiGLUFFNFused, hidden 88 for width 32) as the hub's .pth, HF's
  // Dinov2SwiGLUFFN (weights_in/weights_out) and timm's vit_giant_patch14_dinov2 (SwiGLUPacked fc1/fc2).
  ['dinov2-swiglu', 'dinov2-swiglu_hub.pth', { nHeads: 2, imageSize: 56 }],
  ['dinov2-swiglu', 'hf/model.safetensors', { imageSize: 56 }],
  ['dinov2-swiglu', 'timm/model.safetensors', { imageSize: 56 }],
  ['moondream2', 'model.safetensors', { nHeads: 4 }],
  // DINOv3 at 64 px (4x4 patches of 16): the hub's .pth (bfloat16 RoPE periods, masked key bias), timm's layout
  // (without qkv bias for S, q and v biases for S+) and HF's, each against the blocks its own code recorded.
  ['dinov3', 'dinov3_vits16_pretrain_tiny-00000000.pth', { nHeads: 2, imageSize: 64 }],
  ['dinov3', 'timm/model.safetensors', { imageSize: 64 }],
  ['dinov3', 'hf/model.safetensors', { imageSize: 64 }],
  ['dinov3-plus', 'dinov3_vits16plus_pretrain_tiny-00000000.pth', { nHeads: 2, imageSize: 64 }],
  ['dinov3-plus', 'timm/model.safetensors', { imageSize: 64 }],
  ['dinov3-plus', 'hf/model.safetensors', { imageSize: 64 }],
  // Perception Encoder at 32 px (4x4 patches of 8): timm's layout (what saev runs) and Meta's .pt. pe-core has
  // PE-Core-B's structure (CLS, pooling head), pe-spatial PE-Spatial-G's (no CLS, LayerScale).
  ['pe-core', 'timm/model.safetensors', {}],
  ['pe-core', 'PE-Core-tiny.pt', { nHeads: 2 }],
  ['pe-spatial', 'timm/model.safetensors', {}],
  ['pe-spatial', 'PE-Spatial-tiny.pt', { nHeads: 2 }],
];

/** torch.save archives through the real reader; safetensors through the fixture reader (float32 only). */
async function readTensors(path: string) {
  return path.endsWith('.safetensors') ? readFixtureSafetensors(path) : (await readCheckpoint(path)).tensors;
}

describe.each(CASES)('%s (%s)', (name, checkpointFile, flags) => {
  it('reproduces every upstream block', async () => {
    const parity = loadCase(name, checkpointFile);
    const family = getFamily(parity.family);
    const path = `${parity.dir}${checkpointFile}`;
    const config = await readConfigHints(path, family);
    const made = makeVitFromCheckpoint({ tensors: await readTensors(path) }, family, {
      ...flags,
      file: checkpointFile,
      config,
    });
    expect(made.arch.imageSize).toBe(parity.image_size);
    expect([made.arch.clsToken ? 1 : 0, made.arch.nRegisters]).toEqual([parity.tokens.cls, parity.tokens.registers]);
    const [depth, batch, nTokens, width] = parity.blocks_LBND;
    expect(made.arch.depth).toBe(depth);
    expect(made.arch.width).toBe(width);
    const before = tf.memory().numTensors;
    const pixels_BHWC = tf.tensor4d(parity.pixels, parity.pixels_BHWC);
    const outputs = made.model.predict(pixels_BHWC) as tf.Tensor[];
    expect(outputs, 'one output per block').toHaveLength(depth);
    const values = await Promise.all(outputs.map((out) => out.data() as Promise<Float32Array>));
    const errors: BlockError[] = outputs.map((out, i) => {
      expect(out.shape).toEqual([batch, nTokens, width]);
      const perBlock = batch * nTokens * width;
      return measure(values[i], parity.blocks.subarray(i * perBlock, (i + 1) * perBlock), i);
    });
    tf.dispose([pixels_BHWC, ...outputs]);
    expect(tf.memory().numTensors).toBe(before);
    made.model.dispose();
    report.push(
      `  ${name} ${checkpointFile}: ${errors.map((e) => `b${e.block} ${e.maxAbs.toExponential(1)} / ${e.relRms.toExponential(1)}`).join(', ')}`,
    );
    for (const e of errors) expect(e.relRms, `block ${e.block}`).toBeLessThan(REL_RMS_TOLERANCE);
  });
});
