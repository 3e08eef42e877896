/**
 * moondream2 (vikhyatk/moondream2, revision 2024-08-26): the vision encoder
 * `vision_encoder.encoder.model.visual` of the repository's
 * `vision_encoder.py` (docs/families.md#moondream2). Like timm's so400m SigLIP but not the
 * same: a Linear patch embedding over 14x14x3 patches flattened in (channel,
 * row, column) order (exactly a 14-px convolution, so it is loaded as one),
 * no CLS, LayerNorm eps 1e-5, tanh GELU; 378 px, 27x27 = 729 patches,
 * d 1152, 27 blocks, 16 heads, MLP 4304. Preprocessing: squash resize to 378
 * (bicubic), mean = std = 0.5.
 */
import type { CheckpointFormat, KeyRename, TensorFix } from '../src/vit/checkpoint-spec.js';
import type { VitArch } from '../src/vit/arch.js';
import type { VitFamily } from '../src/vit/family.js';
import { getTimmBlockRenames } from './timm-layout.js';

const archs: Record<string, VitArch> = {
  '2024-08-26': {
    imageSize: 378,
    patchSize: 14,
    width: 1152,
    depth: 27,
    nHeads: 16,
    mlpWidth: 4304,
    gelu: 'tanh',
    layerNormEps: 1e-5,
    clsToken: false,
    nRegisters: 0,
    patchBias: true,
    preNorm: false,
    layerScale: false,
    positionEmbedding: true,
    rope: null,
    mlp: 'gelu',
  },
};

const renames: KeyRename[] = [
  { from: 'patch_embed.linear.weight', to: 'patch_embed/kernel' },
  { from: 'patch_embed.linear.bias', to: 'patch_embed/bias' },
  { from: 'pos_embed', to: 'tokens/positions' },
  ...getTimmBlockRenames('blocks.'),
];
const ignore = [/^norm\./];

const formats: CheckpointFormat[] = [
  {
    name: 'moondream2 (vision_encoder.encoder.model.visual.*)',
    markers: ['vision_encoder.encoder.model.visual.patch_embed.linear.weight'],
    prefix: 'vision_encoder.encoder.model.visual.',
    renames,
    ignore,
  },
  { name: 'moondream2 visual tower', markers: ['patch_embed.linear.weight', 'pos_embed'], prefix: '', renames, ignore },
];

/** `[D, 3 * p * p]` Linear weight, inputs in (c, row, col) order, is the `[D, 3, p, p]` convolution weight. */
const linearPatchAsConv: TensorFix = {
  target: /^patch_embed\/kernel$/,
  why: 'a Linear over (channel, row, column)-flattened patches equals a convolution with the same weights',
  reshape(shape) {
    const side = Math.round(Math.sqrt(shape[1] / 3));
    if (shape.length !== 2 || 3 * side * side !== shape[1]) {
      throw new Error(`weights: moondream2 patch embedding has shape [${shape.join(', ')}], expected [D, 3 * p * p]`);
    }
    return [shape[0], 3, side, side];
  },
};

export const moondream2: VitFamily = {
  name: 'moondream2',
  summary: "moondream2's 2024-08-26 vision encoder (SigLIP-like, 378 px, 729 patches); stores patches only (no CLS)",
  archs,
  demo: null,
  getPreprocess: (arch) => ({
    resize: 'squash',
    resizeSize: arch.imageSize,
    filter: 'bicubic',
    cropSize: null,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  }),
  checkpoint: { formats, fixes: [linearPatchAsConv] },
  archSource: {
    // Its config.json describes the language model; the encoder's sizes are hard-coded upstream and read from shapes.
    configFiles: [],
    readConfig: () => null,
    defaults: archs['2024-08-26'],
    nHeadsByWidth: { 1152: 16 },
    defaultImageSize: null,
  },
};
