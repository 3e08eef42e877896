/**
 * DINOv3: the facebookresearch/dinov3 hub models (`dinov3_vits16`, `vits16plus`, `vitb16`, `vitl16`,
 * `vitl16plus`, `vith16plus`; checkpoints `dinov3_<arch>_pretrain_<data>-<hash>.pth`), and the
 * same weights as timm ships them (`vit_*_patch16_dinov3*`: model.safetensors + config.json) or as HF
 * `DINOv3ViTModel`. CLS, then 4 storage tokens (computed, never stored), then 16-px patches; no absolute
 * position embedding but 2D RoPE as its `RopePositionEmbedding` computes it (base 100, patch centres mapped
 * to [-1, 1] per axis, rows then columns, rotate-half pairs; CLS and storage tokens unrotated); LayerScale,
 * LayerNorm eps 1e-5, exact GELU MLPs, SwiGLU in S+, L+ and H+; the k third of the qkv bias is masked
 * (its `bias_mask`), so held at zero. Released checkpoints store the RoPE periods in bfloat16 and the hub
 * rotates with them as stored, while timm and HF compute them in float32: each layout's table follows its
 * own code. Any input size divisible by 16 (RoPE needs no interpolation), 256 px by default. Preprocessing:
 * the repository's `make_transform`, a squash resize to S x S with antialiased bilinear (as Pillow does it),
 * ImageNet mean/std. ViT-7B is refused.
 */
import {
  bool,
  type ConfigTable,
  isRecord,
  num,
  readConfigTable,
  readConfigValue,
  str,
} from '../src/convert/config-table.js';
import {
  blockRename,
  type CheckpointFormat,
  type ConfigHints,
  type KeyRename,
  type TensorFix,
} from '../src/vit/checkpoint-spec.js';
import { getRopeGrid, makeRopeTable } from '../src/ops/rope.js';
import type { RopeSpec, VitArch } from '../src/vit/arch.js';
import type { VitFamily } from '../src/vit/family.js';
import { getTimmBlockRenames, TIMM_PREPROCESS } from './timm-layout.js';

const rope: RopeSpec = {
  pairing: 'half',
  coords: 'centered',
  axes: 'yx',
  base: 100,
  scale: 2 * Math.PI,
  clsAtOrigin: false,
};
const base = {
  imageSize: 256,
  patchSize: 16,
  gelu: 'none',
  layerNormEps: 1e-5,
  clsToken: true,
  nRegisters: 4,
  patchBias: true,
  preNorm: false,
  layerScale: true,
  positionEmbedding: false,
  rope,
} as const;

const archs: Record<string, VitArch> = {
  dinov3_vits16: { ...base, width: 384, depth: 12, nHeads: 6, mlpWidth: 1536, mlp: 'gelu' },
  dinov3_vits16plus: { ...base, width: 384, depth: 12, nHeads: 6, mlpWidth: 1536, mlp: 'swiglu' },
  dinov3_vitb16: { ...base, width: 768, depth: 12, nHeads: 12, mlpWidth: 3072, mlp: 'gelu' },
  dinov3_vitl16: { ...base, width: 1024, depth: 24, nHeads: 16, mlpWidth: 4096, mlp: 'gelu' },
  dinov3_vitl16plus: { ...base, width: 1024, depth: 24, nHeads: 16, mlpWidth: 4096, mlp: 'swiglu' },
  dinov3_vith16plus: { ...base, width: 1280, depth: 32, nHeads: 20, mlpWidth: 5120, mlp: 'swiglu' },
};

/** facebookresearch/dinov3's `DinoVisionTransformer`; SwiGLU's w1 (gate) and w2 (value) stack into fc1. */
const hubRenames: KeyRename[] = [
  { from: 'patch_embed.proj.weight', to: 'patch_embed/kernel' },
  { from: 'patch_embed.proj.bias', to: 'patch_embed/bias' },
  { from: 'cls_token', to: 'tokens/cls' },
  { from: 'storage_tokens', to: 'tokens/registers' },
  { from: 'rope_embed.periods', to: 'rope/sin_cos' },
  ...getTimmBlockRenames('blocks.'),
  blockRename('blocks.', 'mlp.w1.weight', 'fc1/kernel', [0, 2]),
  blockRename('blocks.', 'mlp.w2.weight', 'fc1/kernel', [1, 2]),
  blockRename('blocks.', 'mlp.w1.bias', 'fc1/bias', [0, 2]),
  blockRename('blocks.', 'mlp.w2.bias', 'fc1/bias', [1, 2]),
  blockRename('blocks.', 'mlp.w3.weight', 'fc2/kernel'),
  blockRename('blocks.', 'mlp.w3.bias', 'fc2/bias'),
];
/**
 * The final norms come after the recorded blocks; mask_token is for training; bias_mask is applied by `maskKeyBias`.
 */
const hubIgnore = [
  /^mask_token$/,
  /^norm\./,
  /^cls_norm\./,
  /^local_cls_norm\./,
  /^blocks\.\d+\.attn\.qkv\.bias_mask$/,
];

/** timm's `Eva` port: q and v biases apart (k's never stored), `gamma_1/2`, SwiGLU as `fc1_g` (gate) and `fc1_x`. */
const timmRenames: KeyRename[] = [
  { from: 'patch_embed.proj.weight', to: 'patch_embed/kernel' },
  { from: 'patch_embed.proj.bias', to: 'patch_embed/bias' },
  { from: 'cls_token', to: 'tokens/cls' },
  { from: 'reg_token', to: 'tokens/registers' },
  ...getTimmBlockRenames('blocks.'),
  blockRename('blocks.', 'attn.q_bias', 'attn/qkv_bias', [0, 3]),
  blockRename('blocks.', 'attn.v_bias', 'attn/qkv_bias', [2, 3]),
  blockRename('blocks.', 'gamma_1', 'ls1/gamma'),
  blockRename('blocks.', 'gamma_2', 'ls2/gamma'),
  blockRename('blocks.', 'mlp.fc1_g.weight', 'fc1/kernel', [0, 2]),
  blockRename('blocks.', 'mlp.fc1_x.weight', 'fc1/kernel', [1, 2]),
  blockRename('blocks.', 'mlp.fc1_g.bias', 'fc1/bias', [0, 2]),
  blockRename('blocks.', 'mlp.fc1_x.bias', 'fc1/bias', [1, 2]),
];

/** HF `DINOv3ViTModel` (files hold `layer.N`): q, k, v apart, k without bias; `gate_proj`/`up_proj` when gated. */
function getHfRenames(gated: boolean): KeyRename[] {
  const layer = (from: string, to: string, part?: readonly [number, number]) => blockRename('layer.', from, to, part);
  const mlp = gated
    ? [
        layer('mlp.gate_proj.weight', 'fc1/kernel', [0, 2]),
        layer('mlp.up_proj.weight', 'fc1/kernel', [1, 2]),
        layer('mlp.gate_proj.bias', 'fc1/bias', [0, 2]),
        layer('mlp.up_proj.bias', 'fc1/bias', [1, 2]),
      ]
    : [layer('mlp.up_proj.weight', 'fc1/kernel'), layer('mlp.up_proj.bias', 'fc1/bias')];
  return [
    { from: 'embeddings.patch_embeddings.weight', to: 'patch_embed/kernel' },
    { from: 'embeddings.patch_embeddings.bias', to: 'patch_embed/bias' },
    { from: 'embeddings.cls_token', to: 'tokens/cls' },
    { from: 'embeddings.register_tokens', to: 'tokens/registers' },
    layer('norm1.weight', 'ln1/gamma'),
    layer('norm1.bias', 'ln1/beta'),
    ...(['q', 'k', 'v'] as const).flatMap((name, k) => [
      layer(`attention.${name}_proj.weight`, 'attn/qkv_kernel', [k, 3]),
      layer(`attention.${name}_proj.bias`, 'attn/qkv_bias', [k, 3]),
    ]),
    layer('attention.o_proj.weight', 'attn/out_kernel'),
    layer('attention.o_proj.bias', 'attn/out_bias'),
    layer('layer_scale1.lambda1', 'ls1/gamma'),
    layer('norm2.weight', 'ln2/gamma'),
    layer('norm2.bias', 'ln2/beta'),
    ...mlp,
    layer('mlp.down_proj.weight', 'fc2/kernel'),
    layer('mlp.down_proj.bias', 'fc2/bias'),
    layer('layer_scale2.lambda1', 'ls2/gamma'),
  ];
}

/** timm and HF compute the RoPE periods and keep the key bias at zero (or leave out all of qkv's bias). */
const computed = [/^rope\/sin_cos$/, /^block\d+_attn\/qkv_bias$/];
const formats: CheckpointFormat[] = [
  {
    name: 'DINOv3 hub (facebookresearch/dinov3)',
    markers: ['storage_tokens', 'rope_embed.periods', 'blocks.0.ls1.gamma'],
    prefix: '',
    renames: hubRenames,
    ignore: hubIgnore,
  },
  {
    name: 'timm DINOv3 (vit_*_patch16_dinov3*)',
    markers: ['reg_token', 'blocks.0.gamma_1', 'blocks.0.attn.qkv.weight'],
    prefix: '',
    renames: timmRenames,
    ignore: [/^norm\./, /^fc_norm\./, /^head\./],
    unstored: computed,
  },
  {
    name: 'HF DINOv3ViTModel (gated MLP)',
    markers: ['embeddings.register_tokens', 'layer.0.mlp.gate_proj.weight'],
    prefix: '',
    renames: getHfRenames(true),
    ignore: [/^embeddings\.mask_token$/, /^norm\./],
    unstored: computed,
  },
  {
    name: 'HF DINOv3ViTModel',
    markers: ['embeddings.register_tokens', 'layer.0.mlp.up_proj.weight'],
    prefix: '',
    renames: getHfRenames(false),
    ignore: [/^embeddings\.mask_token$/, /^norm\./],
    unstored: computed,
  },
];

/** The hub's stored periods (bfloat16 in the released files) become the angle table: 2π / period per band. */
const periodsToTable: TensorFix = {
  target: /^rope\/sin_cos$/,
  why: "the hub rotates with the checkpoint's own periods (bfloat16 in the released files), angle 2π·coordinate / period",
  apply(tensor, { arch }) {
    const grid = getRopeGrid(arch);
    if (tensor.data.length !== grid.headWidth / 4) {
      throw new Error(
        `weights: DINOv3 rope_embed.periods holds ${tensor.data.length} periods, expected ${grid.headWidth / 4} for head width ${grid.headWidth}`,
      );
    }
    const frequencies = Array.from(tensor.data, (period) => (2 * Math.PI) / period);
    return { shape: [2, grid.side * grid.side, grid.headWidth], data: makeRopeTable(grid, frequencies) };
  },
};

/** DINOv3's qkv is a `LinearKMaskedBias`: its bias_mask (1 for q and v, 0 for k, set at init and never trained). */
const maskKeyBias: TensorFix = {
  target: /^block\d+_attn\/qkv_bias$/,
  why: "DINOv3 multiplies the qkv bias by its bias_mask, which zeroes the key's third",
  apply(tensor) {
    const data = Float32Array.from(tensor.data);
    const width = data.length / 3;
    data.fill(0, width, 2 * width);
    return { shape: tensor.shape, data };
  },
};

/** timm model-name sizes (`vit_<size>_patch16_dinov3[_qkvb]`): width and heads. */
const TIMM_SIZES: Record<string, { width: number; nHeads: number }> = {
  tiny: { width: 192, nHeads: 3 },
  small: { width: 384, nHeads: 6 },
  small_plus: { width: 384, nHeads: 6 },
  base: { width: 768, nHeads: 12 },
  large: { width: 1024, nHeads: 16 },
  huge_plus: { width: 1280, nHeads: 20 },
  '7b': { width: 4096, nHeads: 32 },
};

/** HF `DINOv3ViTConfig` keys -> our fields; the MLP, activation and RoPE base are checked below. */
const HF: ConfigTable<VitArch> = {
  width: num('hidden_size'),
  depth: num('num_hidden_layers'),
  nHeads: num('num_attention_heads'),
  mlpWidth: num('intermediate_size'),
  patchSize: num('patch_size'),
  layerNormEps: num('layer_norm_eps'),
  nRegisters: num('num_register_tokens'),
};

/** timm `config.json` keys -> our fields, over the sizes the model name gives. */
const TIMM: ConfigTable<VitArch> = {
  width: num('model_args.embed_dim'),
  nHeads: num('model_args.num_heads'),
  depth: num('model_args.depth'),
};
/** mean/std a config states (timm's pretrained_cfg); the resize is DINOv3's own, whatever timm records. */

/**
 * HF `config.json` (model_type dinov3_vit) or timm's (architecture `vit_*_patch16_dinov3*`). Neither's image
 * size binds: DINOv3 takes any multiple of 16 (256 unless --image-size says).
 */
function readConfig(json: unknown, file: string): ConfigHints | null {
  if (!isRecord(json)) return null;
  if (json.model_type === 'dinov3_vit') {
    const arch = readConfigTable(json, HF, file);
    arch.mlp = readConfigValue(json, bool('use_gated_mlp'), file) === true ? 'swiglu' : 'gelu';
    const act = readConfigValue(json, str('hidden_act', 'gelu'), file);
    if (act !== (arch.mlp === 'swiglu' ? 'silu' : 'gelu'))
      throw new Error(`convert: ${file}: hidden_act '${String(act)}' is not DINOv3's (gelu, or silu when gated)`);
    const ropeTheta = readConfigValue(json, num('rope_theta'), file);
    if (ropeTheta !== undefined) arch.rope = { ...rope, base: ropeTheta };
    return { file, arch, preprocess: {} };
  }
  const name = json.architecture;
  if (typeof name !== 'string') return null;
  const match = /^vit_([a-z0-9_]+?)_patch(\d+)_dinov3(?:_qkvb)?$/.exec(name);
  if (!match) return null;
  const arch = { ...TIMM_SIZES[match[1]], patchSize: Number(match[2]), ...readConfigTable(json, TIMM, file) };
  return { file, arch, preprocess: readConfigTable(json, TIMM_PREPROCESS, file) };
}

export const dinov3: VitFamily = {
  name: 'dinov3',
  summary:
    'DINOv3 hub models, timm or HF (S, S+, B, L, L+, H+; RoPE, any multiple of 16 px); stores CLS + patches (storage tokens dropped)',
  archs,
  demo: null,
  getPreprocess: (arch) => ({
    resize: 'squash',
    resizeSize: arch.imageSize,
    filter: 'bilinear',
    cropSize: null,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  }),
  checkpoint: { formats, fixes: [periodsToTable, maskKeyBias] },
  archSource: {
    configFiles: ['config.json'],
    readConfig,
    defaults: base,
    nHeadsByWidth: Object.fromEntries(Object.values(archs).map(({ width, nHeads }) => [width, nHeads])),
    defaultImageSize: 256,
    unsupported: [{ name: 'DINOv3 ViT-7B/16 (dinov3_vit7b16)', width: 4096 }],
  },
};
