/**
 * What `pe-core` and `pe-spatial` share: Meta's Perception Encoder vision
 * tower as timm ships it (`vit_pe_core_*`, `vit_pe_spatial_*`:
 * model.safetensors + config.json) and as Meta's own `.pt` files (PE-Core: a
 * CLIP, the tower under `visual.`; PE-Spatial: the bare encoder). CLS
 * (except the G models), learned absolute position embeddings, LayerNorm
 * before the blocks, a bias-free patch convolution, exact GELU MLPs,
 * LayerNorm eps 1e-5, LayerScale only in PE-Spatial-G; the attention-pooling
 * head and final norm come after the recorded blocks. 2D RoPE as its `Rope2D`
 * computes it: theta 10000, grid indices as coordinates (from 1 when a CLS
 * token holds position 0, which stays unrotated), columns then rows,
 * interleaved pairs. The input size is the position grid's (no
 * interpolation). Preprocessing: timm's data config, shortest side to the
 * input size (bicubic), centre crop (crop_pct 1.0), mean = std = 0.5.
 */
import {
  type ConfigTable,
  isRecord,
  num,
  readConfigTable,
  readConfigValue,
  squareSide,
} from '../src/convert/config-table.js';
import {
  blockRename,
  type ArchSource,
  type CheckpointFormat,
  type ConfigHints,
  type KeyRename,
} from '../src/vit/checkpoint-spec.js';
import type { PreprocessSpec } from '../src/images/preprocess.js';
import type { RopeSpec, VitArch } from '../src/vit/arch.js';
import { OPEN_CLIP_IGNORE, OPEN_CLIP_RENAMES, RESBLOCKS } from './open-clip-layout.js';
import { getTimmBlockRenames, TIMM_PREPROCESS } from './timm-layout.js';

const rope: RopeSpec = {
  pairing: 'interleaved',
  coords: 'index',
  axes: 'xy',
  base: 10000,
  scale: 1,
  clsAtOrigin: true,
};
export const PE_BASE = {
  gelu: 'none',
  layerNormEps: 1e-5,
  clsToken: true,
  nRegisters: 0,
  patchBias: false,
  preNorm: true,
  layerScale: false,
  positionEmbedding: true,
  rope,
  mlp: 'gelu',
} as const;

/** Sizes by Meta's letter: width, depth, heads, MLP (G: 16 heads of 96, MLP 8960). */
export const PE_SIZES = {
  T: { width: 192, depth: 12, nHeads: 3, mlpWidth: 768 },
  S: { width: 384, depth: 12, nHeads: 6, mlpWidth: 1536 },
  B: { width: 768, depth: 12, nHeads: 12, mlpWidth: 3072 },
  L: { width: 1024, depth: 24, nHeads: 16, mlpWidth: 4096 },
  G: { width: 1536, depth: 50, nHeads: 16, mlpWidth: 8960 },
} as const;

/** timm's `Eva` port (its `_convert_pe` renames Meta's keys to these). */
const timmRenames: KeyRename[] = [
  { from: 'patch_embed.proj.weight', to: 'patch_embed/kernel' },
  { from: 'cls_token', to: 'tokens/cls' },
  { from: 'pos_embed', to: 'tokens/positions' },
  { from: 'norm_pre.weight', to: 'ln_pre/gamma' },
  { from: 'norm_pre.bias', to: 'ln_pre/beta' },
  ...getTimmBlockRenames('blocks.'),
  blockRename('blocks.', 'gamma_1', 'ls1/gamma'),
  blockRename('blocks.', 'gamma_2', 'ls2/gamma'),
];

/** Meta's `VisionTransformer` (core/vision_encoder/pe.py of facebookresearch/perception_models). */
const metaRenames: KeyRename[] = [
  ...OPEN_CLIP_RENAMES,
  blockRename(RESBLOCKS, 'ls_1.gamma', 'ls1/gamma'),
  blockRename(RESBLOCKS, 'ls_2.gamma', 'ls2/gamma'),
];
const metaIgnore = [...OPEN_CLIP_IGNORE, /^attn_pool\./];

/** Both compute the RoPE frequencies (Meta's `Rope2D` is no module, so they never reach a state dict). */
const unstored = [/^rope\/sin_cos$/];
export const PE_FORMATS: CheckpointFormat[] = [
  {
    name: 'timm Perception Encoder (vit_pe_*)',
    markers: ['patch_embed.proj.weight', 'norm_pre.weight', 'blocks.0.attn.qkv.weight'],
    prefix: '',
    renames: timmRenames,
    ignore: [/^norm\./, /^fc_norm\./, /^attn_pool\./, /^head\./],
    unstored,
  },
  {
    name: "Meta's PE CLIP (visual.*)",
    markers: ['visual.conv1.weight', 'visual.transformer.resblocks.0.attn.in_proj_weight'],
    prefix: 'visual.',
    renames: metaRenames,
    ignore: metaIgnore,
    unstored,
  },
  {
    name: "Meta's PE vision encoder",
    markers: ['conv1.weight', 'transformer.resblocks.0.attn.in_proj_weight'],
    prefix: '',
    renames: metaRenames,
    ignore: metaIgnore,
    unstored,
  },
];

/** timm model-name sizes (`vit_pe_<kind>_<size>_patch<p>_<px>`). */
const TIMM_SIZES: Record<string, keyof typeof PE_SIZES> = {
  tiny: 'T',
  small: 'S',
  base: 'B',
  large: 'L',
  gigantic: 'G',
};

/** timm `config.json` keys -> our fields, over the sizes the model name gives; the input side is read below. */
const TIMM: ConfigTable<VitArch> = {
  width: num('model_args.embed_dim'),
  nHeads: num('model_args.num_heads'),
  depth: num('model_args.depth'),
  patchSize: num('model_args.patch_size'),
};

/** timm's `config.json` of a `vit_pe_<kind>_*` model; null for anything else (another family's file). */
function readTimmConfig(kind: 'core' | 'spatial', json: unknown, file: string): ConfigHints | null {
  if (!isRecord(json) || typeof json.architecture !== 'string') return null;
  const match = /^vit_pe_([a-z]+)_([a-z]+)_patch(\d+)_(\d+)$/.exec(json.architecture);
  if (!match || match[1] !== kind) return null;
  const size = PE_SIZES[TIMM_SIZES[match[2]]];
  const arch: Partial<VitArch> = {
    ...(size ? { width: size.width, nHeads: size.nHeads, depth: size.depth } : {}),
    patchSize: Number(match[3]),
    ...readConfigTable(json, TIMM, file),
  };
  const cfg = isRecord(json.pretrained_cfg) ? json.pretrained_cfg : {};
  const stated = readConfigValue(json, squareSide('pretrained_cfg.input_size'), file) ?? Number(match[4]);
  arch.imageSize = readConfigValue(json, squareSide('model_args.img_size'), file) ?? stated;
  const preprocess = readConfigTable(json, TIMM_PREPROCESS, file);
  // Other filters are left to the family's own (bicubic).
  if (cfg.interpolation === 'bicubic' || cfg.interpolation === 'bilinear') preprocess.filter = cfg.interpolation;
  if (cfg.crop_pct !== undefined && cfg.crop_pct !== 1)
    throw new Error(`convert: ${file}: crop_pct ${String(cfg.crop_pct)} is not supported (1.0)`);
  return { file, arch, preprocess };
}

export function makePeArchSource(kind: 'core' | 'spatial'): ArchSource {
  return {
    configFiles: ['config.json'],
    readConfig: (json, file) => readTimmConfig(kind, json, file),
    defaults: PE_BASE,
    fromTensors: ['clsToken', 'layerScale'],
    nHeadsByWidth: Object.fromEntries(Object.values(PE_SIZES).map(({ width, nHeads }) => [width, nHeads])),
    defaultImageSize: null,
  };
}

export function getPePreprocess(arch: VitArch): PreprocessSpec {
  return {
    resize: 'shortest',
    resizeSize: arch.imageSize,
    filter: 'bicubic',
    cropSize: arch.imageSize,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  };
}
