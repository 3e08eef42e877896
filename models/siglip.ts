/**
 * SigLIP: open_clip with a timm trunk (`visual.trunk.*`, timm's
 * `VisionTransformer`; docs/families.md#siglip). No CLS token (the attention-pool head is
 * not used), no pre-norm, patch convolution with bias, LayerNorm eps 1e-6,
 * exact (erf) GELU as timm runs it. Preprocessing: squash resize to the model
 * size (bicubic), mean = std = 0.5.
 */
import { parseOpenClipConfig } from '../src/convert/open-clip-config.js';
import {
  type ConfigTable,
  num,
  readConfigTable,
  readConfigValue,
  squareSide,
  str,
} from '../src/convert/config-table.js';
import type { CheckpointFormat, ConfigHints, KeyRename } from '../src/vit/checkpoint-spec.js';
import type { VitArch } from '../src/vit/arch.js';
import type { VitFamily } from '../src/vit/family.js';
import { getTimmBlockRenames } from './timm-layout.js';

const base = {
  gelu: 'none',
  layerNormEps: 1e-6,
  clsToken: false,
  nRegisters: 0,
  patchBias: true,
  preNorm: false,
  layerScale: false,
  positionEmbedding: true,
  rope: null,
  mlp: 'gelu',
} as const;

const archs: Record<string, VitArch> = {
  'ViT-B-16-SigLIP': { ...base, imageSize: 224, patchSize: 16, width: 768, depth: 12, nHeads: 12, mlpWidth: 3072 },
  'ViT-B-16-SigLIP-256': { ...base, imageSize: 256, patchSize: 16, width: 768, depth: 12, nHeads: 12, mlpWidth: 3072 },
  'ViT-L-16-SigLIP-256': { ...base, imageSize: 256, patchSize: 16, width: 1024, depth: 24, nHeads: 16, mlpWidth: 4096 },
  'ViT-SO400M-14-SigLIP-384': {
    ...base,
    imageSize: 384,
    patchSize: 14,
    width: 1152,
    depth: 27,
    nHeads: 16,
    mlpWidth: 4304,
  },
};

/** timm model-name sizes (`vit_<size>_patch<p>_siglip[2]_<px>`): width and heads, which shapes cannot tell apart. */
const TIMM_SIZES: Record<string, { width: number; nHeads: number }> = {
  base: { width: 768, nHeads: 12 },
  large: { width: 1024, nHeads: 16 },
  so400m: { width: 1152, nHeads: 16 },
};

const renames: KeyRename[] = [
  { from: 'patch_embed.proj.weight', to: 'patch_embed/kernel' },
  { from: 'patch_embed.proj.bias', to: 'patch_embed/bias' },
  { from: 'pos_embed', to: 'tokens/positions' },
  ...getTimmBlockRenames('blocks.'),
];
/** The final norm and the MAP head come after the recorded blocks. */
const ignore = [/^norm\./, /^fc_norm\./, /^attn_pool\./, /^head\./];

const formats: CheckpointFormat[] = [
  {
    name: 'open_clip CLIP with timm trunk (visual.trunk.*)',
    markers: ['visual.trunk.patch_embed.proj.weight', 'visual.trunk.pos_embed'],
    prefix: 'visual.trunk.',
    renames,
    ignore,
  },
  {
    name: 'timm VisionTransformer',
    markers: ['patch_embed.proj.weight', 'pos_embed', 'blocks.0.attn.qkv.weight'],
    prefix: '',
    renames,
    ignore,
  },
];

/** `model_cfg.timm_kwargs` (tiny test models) keys -> our fields, over the sizes the model name gives. */
const TIMM_KWARGS: ConfigTable<VitArch> = {
  width: num('model_cfg.timm_kwargs.embed_dim'),
  nHeads: num('model_cfg.timm_kwargs.num_heads'),
  patchSize: num('model_cfg.timm_kwargs.patch_size'),
  imageSize: num('model_cfg.timm_kwargs.img_size'),
};

/** open_clip `vision_cfg` of a timm SigLIP: sizes from the model name, then `model_cfg.timm_kwargs`. */
function readTimmConfig(json: unknown, file: string): ConfigHints | null {
  const config = parseOpenClipConfig(json, file);
  if (!config) return null;
  const name = readConfigValue(config.vision, str('timm_model_name'), file);
  if (!name) return null;
  const match = /^vit_([a-z0-9]+)_patch(\d+)_siglip2?_(\d+)/.exec(name);
  if (!match)
    throw new Error(
      `convert: ${file}: timm model '${name}' is not a timm SigLIP ViT (vit_<size>_patch<p>_siglip_<px>)`,
    );
  const arch: Partial<VitArch> = {
    patchSize: Number(match[2]),
    imageSize: readConfigValue(config.vision, squareSide('image_size'), file) ?? Number(match[3]),
    ...TIMM_SIZES[match[1]],
    ...readConfigTable(json as Record<string, unknown>, TIMM_KWARGS, file),
  };
  return { file, arch, preprocess: config.preprocess };
}

export const siglip: VitFamily = {
  name: 'siglip',
  summary: 'open_clip SigLIP/SigLIP2 (timm VisionTransformer trunk); stores patches only (no CLS)',
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
  checkpoint: { formats, fixes: [] },
  archSource: {
    configFiles: ['open_clip_config.json'],
    readConfig: readTimmConfig,
    defaults: base,
    nHeadsByWidth: Object.fromEntries(Object.values(TIMM_SIZES).map(({ width, nHeads }) => [width, nHeads])),
    defaultImageSize: null,
  },
};
