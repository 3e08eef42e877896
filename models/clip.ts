/**
 * CLIP: open_clip's `VisionTransformer` (docs/families.md#clip). Pre-norm blocks with
 * `ln_pre`, a bias-free patch convolution, CLS + patches stored, LayerNorm
 * eps 1e-5, QuickGELU for OpenAI weights (open_clip's `quick_gelu`), exact
 * GELU otherwise. Preprocessing: shortest side to the model size (bicubic),
 * centre crop, OpenAI mean/std. Checkpoints: open_clip / OpenAI state dicts
 * (`visual.*`, the text tower skipped), a bare visual tower, or HF
 * transformers' `CLIPModel` (`vision_model.*`, with its config.json).
 */
import {
  type ConfigTable,
  isRecord,
  num,
  oneOf,
  readConfigTable,
  readConfigValue,
  squareSide,
} from '../src/convert/config-table.js';
import { type OpenClipConfig, parseOpenClipConfig } from '../src/convert/open-clip-config.js';
import { blockRename, type CheckpointFormat, type ConfigHints, type KeyRename } from '../src/vit/checkpoint-spec.js';
import type { VitArch } from '../src/vit/arch.js';
import type { VitFamily } from '../src/vit/family.js';
import { OPEN_CLIP_IGNORE, OPEN_CLIP_RENAMES } from './open-clip-layout.js';

const base = {
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
} as const;

const archs: Record<string, VitArch> = {
  'ViT-B-32': { ...base, imageSize: 224, patchSize: 32, width: 768, depth: 12, nHeads: 12, mlpWidth: 3072 },
  'ViT-B-16': { ...base, imageSize: 224, patchSize: 16, width: 768, depth: 12, nHeads: 12, mlpWidth: 3072 },
  'ViT-L-14': { ...base, imageSize: 224, patchSize: 14, width: 1024, depth: 24, nHeads: 16, mlpWidth: 4096 },
  // Tiny and randomly initialised: a demo that runs anywhere in seconds, not a model of anything.
  demo: { ...base, imageSize: 224, patchSize: 32, width: 128, depth: 6, nHeads: 4, mlpWidth: 512 },
};

/** HF transformers `CLIPModel` / `CLIPVisionModel` keys under `vision_model.` (q, k, v stacked back into qkv). */
const hfLayer = (from: string, to: string, part?: readonly [number, number]) =>
  blockRename('encoder.layers.', from, to, part);
const hfRenames: KeyRename[] = [
  { from: 'embeddings.patch_embedding.weight', to: 'patch_embed/kernel' },
  { from: 'embeddings.class_embedding', to: 'tokens/cls' },
  { from: 'embeddings.position_embedding.weight', to: 'tokens/positions' },
  { from: 'pre_layrnorm.weight', to: 'ln_pre/gamma' }, // sic: HF's spelling
  { from: 'pre_layrnorm.bias', to: 'ln_pre/beta' },
  hfLayer('layer_norm1.weight', 'ln1/gamma'),
  hfLayer('layer_norm1.bias', 'ln1/beta'),
  hfLayer('self_attn.q_proj.weight', 'attn/qkv_kernel', [0, 3]),
  hfLayer('self_attn.k_proj.weight', 'attn/qkv_kernel', [1, 3]),
  hfLayer('self_attn.v_proj.weight', 'attn/qkv_kernel', [2, 3]),
  hfLayer('self_attn.q_proj.bias', 'attn/qkv_bias', [0, 3]),
  hfLayer('self_attn.k_proj.bias', 'attn/qkv_bias', [1, 3]),
  hfLayer('self_attn.v_proj.bias', 'attn/qkv_bias', [2, 3]),
  hfLayer('self_attn.out_proj.weight', 'attn/out_kernel'),
  hfLayer('self_attn.out_proj.bias', 'attn/out_bias'),
  hfLayer('layer_norm2.weight', 'ln2/gamma'),
  hfLayer('layer_norm2.bias', 'ln2/beta'),
  hfLayer('mlp.fc1.weight', 'fc1/kernel'),
  hfLayer('mlp.fc1.bias', 'fc1/bias'),
  hfLayer('mlp.fc2.weight', 'fc2/kernel'),
  hfLayer('mlp.fc2.bias', 'fc2/bias'),
];
const hfIgnore = [/^post_layernorm\./, /^embeddings\.position_ids$/];

const formats: CheckpointFormat[] = [
  {
    name: 'open_clip / OpenAI CLIP (visual.*)',
    markers: ['visual.conv1.weight', 'visual.class_embedding'],
    prefix: 'visual.',
    renames: OPEN_CLIP_RENAMES,
    ignore: OPEN_CLIP_IGNORE,
  },
  {
    name: 'open_clip visual tower',
    markers: ['conv1.weight', 'class_embedding'],
    prefix: '',
    renames: OPEN_CLIP_RENAMES,
    ignore: OPEN_CLIP_IGNORE,
  },
  {
    name: 'HF CLIPModel (vision_model.*)',
    markers: ['vision_model.embeddings.class_embedding'],
    prefix: 'vision_model.',
    renames: hfRenames,
    ignore: hfIgnore,
  },
];

/** open_clip `vision_cfg` keys -> our fields; heads and MLP width follow from head_width and mlp_ratio. */
const OPEN_CLIP: ConfigTable<VitArch> = {
  depth: num('layers'),
  width: num('width'),
  patchSize: num('patch_size'),
  imageSize: squareSide('image_size'),
};

/** `open_clip_config.json` of an open_clip `VisionTransformer`; null for a timm trunk (SigLIP's). */
function readOpenClipConfig(config: OpenClipConfig, file: string): ConfigHints | null {
  const { vision } = config;
  if (vision.timm_model_name) return null;
  const arch: Partial<VitArch> = {
    gelu: config.quickGelu ? 'quick' : 'none',
    ...readConfigTable(vision, OPEN_CLIP, file),
  };
  if (arch.width !== undefined) {
    arch.nHeads = arch.width / readConfigValue(vision, num('head_width', 64), file)!;
    arch.mlpWidth = Math.trunc(arch.width * readConfigValue(vision, num('mlp_ratio', 4), file)!);
  }
  return { file, arch, preprocess: config.preprocess };
}

/** HF `CLIPVisionConfig` keys -> our fields. */
const HF: ConfigTable<VitArch> = {
  // HF CLIPVisionConfig's default activation is QuickGELU.
  gelu: oneOf('hidden_act', { quick_gelu: 'quick', gelu: 'none', gelu_pytorch_tanh: 'tanh' }, 'quick_gelu'),
  width: num('hidden_size'),
  mlpWidth: num('intermediate_size'),
  depth: num('num_hidden_layers'),
  nHeads: num('num_attention_heads'),
  imageSize: num('image_size'),
  patchSize: num('patch_size'),
  layerNormEps: num('layer_norm_eps'),
};

/** HF `config.json` of a `CLIPModel` (its `vision_config`) or a `CLIPVisionModel`. */
function readHfClipConfig(json: unknown, file: string): ConfigHints | null {
  if (!isRecord(json)) return null;
  const vision =
    json.model_type === 'clip' ? json.vision_config : json.model_type === 'clip_vision_model' ? json : null;
  if (!isRecord(vision)) return null;
  return { file, arch: readConfigTable(vision, HF, file), preprocess: {} };
}

export const clip: VitFamily = {
  name: 'clip',
  summary: 'open_clip VisionTransformer (OpenAI CLIP and its descendants); stores CLS + patches',
  archs,
  demo: { ckpt: 'demo', arch: 'demo', seed: 0 },
  getPreprocess: (arch) => ({
    resize: 'shortest',
    resizeSize: arch.imageSize,
    filter: 'bicubic',
    cropSize: arch.imageSize,
    mean: [0.48145466, 0.4578275, 0.40821073],
    std: [0.26862954, 0.26130258, 0.27577711],
  }),
  checkpoint: { formats, fixes: [] },
  archSource: {
    configFiles: ['open_clip_config.json', 'config.json'],
    readConfig(json, file) {
      const config = parseOpenClipConfig(json, file);
      return config ? readOpenClipConfig(config, file) : readHfClipConfig(json, file);
    },
    // QuickGELU (OpenAI's weights and their descendants) or exact GELU is a config choice in open_clip, so it is
    // left unsettled here: a config, an OpenAI TorchScript archive or --gelu must say.
    defaults: {
      layerNormEps: 1e-5,
      clsToken: true,
      patchBias: false,
      preNorm: true,
      layerScale: false,
      positionEmbedding: true,
      rope: null,
    },
    // open_clip's VisionTransformer configs: heads of 64 up to ViT-L; ViT-H 16 of 80, ViT-g 16 of 88, ViT-bigG 16 of
    // 104,
    // ViT-e 16 of 112.
    nHeadsByWidth: { 384: 6, 512: 8, 768: 12, 896: 14, 1024: 16, 1280: 16, 1408: 16, 1664: 16, 1792: 16 },
    // OpenAI's own releases (ViT-B-32.pt, ...) are TorchScript archives, and all of them use QuickGELU.
    identify: ({ format }) =>
      format === 'torchscript' ? { arch: { gelu: 'quick' }, why: 'an OpenAI TorchScript archive' } : null,
    defaultImageSize: null,
  },
};
