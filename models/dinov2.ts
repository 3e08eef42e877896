/**
 * DINOv2: the facebookresearch/dinov2 hub models (`dinov2_vit{s,b,l,g}14`,
 * `..._reg` with 4 registers; docs/families.md#dinov2). CLS + 14-px patches, registers
 * after CLS (computed, never stored), LayerScale on both residual branches,
 * LayerNorm eps 1e-6, exact GELU, no pre-norm. ViT-g/14 has a SwiGLU MLP
 * instead (the hub's `SwiGLUFFNFused`): one packed Linear writes gate then value
 * (`silu(gate) * value`), each (int(4D * 2/3) + 7) // 8 * 8 = 4096 wide; the
 * hub's `mlp.w12`/`mlp.w3`, timm's `SwiGLUPacked` `mlp.fc1`/`mlp.fc2` (gate
 * first) and HF's `mlp.weights_in`/`mlp.weights_out` all hold it in that order,
 * as fc1 and fc2 hold it here. Position embeddings are
 * trained on the 518 px grid (37x37) and resized to the input grid once, at
 * conversion, exactly as the hub code does at every forward pass: bicubic
 * with the 0.1 offset and no antialias for the models without registers,
 * antialiased to the exact size for the register models (timm's resampling of its `vit_*_reg4_dinov2`, whose
 * stored cls_token already holds the CLS position, is the same). (HF `Dinov2Model`
 * resizes to the exact size without antialias, so it differs from the hub for
 * the models without registers; saev runs the hub models.) Preprocessing:
 * shortest side to 256 (bilinear), centre crop 224, ImageNet mean/std.
 */
import {
  bool,
  type ConfigTable,
  isRecord,
  num,
  oneOf,
  readConfigTable,
  readConfigValue,
} from '../src/convert/config-table.js';
import { resizePositionGrid } from '../src/convert/interpolate.js';
import {
  blockRename,
  type CheckpointFormat,
  type ConfigHints,
  type KeyRename,
  type TensorFix,
} from '../src/vit/checkpoint-spec.js';
import { getGridSide, type VitArch } from '../src/vit/arch.js';
import type { VitFamily } from '../src/vit/family.js';
import { getTimmBlockRenames } from './timm-layout.js';

const base = {
  imageSize: 224,
  patchSize: 14,
  gelu: 'none',
  layerNormEps: 1e-6,
  clsToken: true,
  patchBias: true,
  preNorm: false,
  layerScale: true,
  positionEmbedding: true,
  rope: null,
  mlp: 'gelu',
} as const;
type Size = Pick<VitArch, 'width' | 'depth' | 'nHeads' | 'mlpWidth'> & Partial<Pick<VitArch, 'mlp'>>;
const sizes: Record<string, Size> = {
  vits14: { width: 384, depth: 12, nHeads: 6, mlpWidth: 1536 },
  vitb14: { width: 768, depth: 12, nHeads: 12, mlpWidth: 3072 },
  vitl14: { width: 1024, depth: 24, nHeads: 16, mlpWidth: 4096 },
  vitg14: { width: 1536, depth: 40, nHeads: 24, mlpWidth: 4096, mlp: 'swiglu' },
};
const archs: Record<string, VitArch> = {};
for (const [name, size] of Object.entries(sizes)) {
  archs[`dinov2_${name}`] = { ...base, ...size, nRegisters: 0 };
  archs[`dinov2_${name}_reg`] = { ...base, ...size, nRegisters: 4 };
}

const stem: KeyRename[] = [
  { from: 'patch_embed.proj.weight', to: 'patch_embed/kernel' },
  { from: 'patch_embed.proj.bias', to: 'patch_embed/bias' },
  { from: 'cls_token', to: 'tokens/cls' },
  { from: 'pos_embed', to: 'tokens/positions' },
  { from: 'register_tokens', to: 'tokens/registers' },
  { from: 'reg_token', to: 'tokens/registers' }, // timm's vit_*_reg4_dinov2 (its own format, below)
];
/** The hub's ViT-g/14 packs SwiGLU's gate and value into `mlp.w12` (timm renames it fc1, w3 fc2). */
const hubSwiGlu: KeyRename[] = [
  blockRename('blocks.', 'mlp.w12.weight', 'fc1/kernel'),
  blockRename('blocks.', 'mlp.w12.bias', 'fc1/bias'),
  blockRename('blocks.', 'mlp.w3.weight', 'fc2/kernel'),
  blockRename('blocks.', 'mlp.w3.bias', 'fc2/bias'),
];
const hubRenames = [...stem, ...getTimmBlockRenames('blocks.'), ...hubSwiGlu];

/** HF `Dinov2Model` / `Dinov2WithRegistersModel` (q, k, v as separate Linears, stacked back into qkv). */
const hfLayer = (from: string, to: string, part?: readonly [number, number]) =>
  blockRename('encoder.layer.', from, to, part);
const hfRenames: KeyRename[] = [
  { from: 'embeddings.patch_embeddings.projection.weight', to: 'patch_embed/kernel' },
  { from: 'embeddings.patch_embeddings.projection.bias', to: 'patch_embed/bias' },
  { from: 'embeddings.cls_token', to: 'tokens/cls' },
  { from: 'embeddings.position_embeddings', to: 'tokens/positions' },
  { from: 'embeddings.register_tokens', to: 'tokens/registers' },
  hfLayer('norm1.weight', 'ln1/gamma'),
  hfLayer('norm1.bias', 'ln1/beta'),
  hfLayer('attention.attention.query.weight', 'attn/qkv_kernel', [0, 3]),
  hfLayer('attention.attention.key.weight', 'attn/qkv_kernel', [1, 3]),
  hfLayer('attention.attention.value.weight', 'attn/qkv_kernel', [2, 3]),
  hfLayer('attention.attention.query.bias', 'attn/qkv_bias', [0, 3]),
  hfLayer('attention.attention.key.bias', 'attn/qkv_bias', [1, 3]),
  hfLayer('attention.attention.value.bias', 'attn/qkv_bias', [2, 3]),
  hfLayer('attention.output.dense.weight', 'attn/out_kernel'),
  hfLayer('attention.output.dense.bias', 'attn/out_bias'),
  hfLayer('layer_scale1.lambda1', 'ls1/gamma'),
  hfLayer('norm2.weight', 'ln2/gamma'),
  hfLayer('norm2.bias', 'ln2/beta'),
  hfLayer('mlp.fc1.weight', 'fc1/kernel'),
  hfLayer('mlp.fc1.bias', 'fc1/bias'),
  hfLayer('mlp.fc2.weight', 'fc2/kernel'),
  hfLayer('mlp.fc2.bias', 'fc2/bias'),
  // ViT-g/14's `Dinov2SwiGLUFFN` as the hub files hold it: weights_in packs gate then value.
  hfLayer('mlp.weights_in.weight', 'fc1/kernel'),
  hfLayer('mlp.weights_in.bias', 'fc1/bias'),
  hfLayer('mlp.weights_out.weight', 'fc2/kernel'),
  hfLayer('mlp.weights_out.bias', 'fc2/bias'),
  hfLayer('layer_scale2.lambda1', 'ls2/gamma'),
];

const formats: CheckpointFormat[] = [
  // timm stores the register models as `no_embed_class` ViTs (its `_convert_dinov2`): pos_embed over the patches
  // only, the hub's CLS position added into cls_token, the hub's register_tokens as reg_token (no positions, as in
  // the hub). The converter gives CLS a zero position row, so the hub's interpolation applies unchanged.
  {
    name: 'timm DINOv2 with registers (vit_*_reg4_dinov2)',
    markers: ['cls_token', 'pos_embed', 'reg_token', 'blocks.0.ls1.gamma'],
    prefix: '',
    renames: hubRenames,
    ignore: [/^norm\./, /^head\./],
    clsPositionFolded: true,
  },
  {
    name: 'DINOv2 hub / timm',
    markers: ['cls_token', 'pos_embed', 'blocks.0.ls1.gamma'],
    prefix: '',
    renames: hubRenames,
    ignore: [/^mask_token$/, /^norm\./, /^head\./],
  },
  {
    name: 'HF Dinov2Model',
    markers: ['embeddings.cls_token', 'encoder.layer.0.norm1.weight'],
    prefix: '',
    renames: hfRenames,
    ignore: [/^embeddings\.mask_token$/, /^layernorm\./],
  },
  {
    name: 'HF Dinov2 (dinov2.*)',
    markers: ['dinov2.embeddings.cls_token'],
    prefix: 'dinov2.',
    renames: hfRenames,
    ignore: [/^embeddings\.mask_token$/, /^layernorm\./],
  },
];

/** The hub's `interpolate_pos_encoding`, once: CLS position kept, the patch grid resized to the input grid. */
const interpolatePositions: TensorFix = {
  target: /^tokens\/positions$/,
  why: 'the hub resizes the 518 px position grid to the input grid at every forward pass; we do it once',
  apply(tensor, { arch }) {
    const width = tensor.shape[tensor.shape.length - 1];
    const nPatches = tensor.data.length / width - 1;
    const side = Math.round(Math.sqrt(nPatches));
    if (side * side !== nPatches)
      throw new Error(`weights: DINOv2 position embeddings hold ${nPatches} patches, not a square grid`);
    const grid = getGridSide(arch);
    if (grid === side) return { shape: [1 + nPatches, width], data: tensor.data };
    // Hub models without registers pass scale_factor (grid + 0.1) / side; the register models pass the size,
    // antialiased.
    const factor = (grid + 0.1) / side;
    const options =
      arch.nRegisters > 0 ? { antialias: true } : { antialias: false, scaleFactor: [factor, factor] as const };
    return { shape: [1 + grid * grid, width], data: resizePositionGrid(tensor.data, width, side, grid, options) };
  },
};

const TIMM_SIZES: Record<string, keyof typeof sizes> = {
  small: 'vits14',
  base: 'vitb14',
  large: 'vitl14',
  giant: 'vitg14',
};

/** timm `config.json` keys -> our fields, over the sizes the model name gives. */
const TIMM: ConfigTable<VitArch> = {
  width: num('model_args.embed_dim'),
  depth: num('model_args.depth'),
  nHeads: num('model_args.num_heads'),
};

/**
 * timm's `config.json` (architecture `vit_{small,base,large,giant}_patch14[_reg4]_dinov2`): sizes from the name,
 * overridden by model_args.
 */
function readTimmConfig(c: Record<string, unknown>, file: string): ConfigHints | null {
  const match =
    typeof c.architecture === 'string' ? /^vit_([a-z]+)_patch14(_reg4)?_dinov2$/.exec(c.architecture) : null;
  if (!match) return null;
  const { width, depth, nHeads, mlp } = sizes[TIMM_SIZES[match[1]]] ?? {};
  const arch: Partial<VitArch> = { width, depth, nHeads, mlp, nRegisters: match[2] ? 4 : 0 };
  for (const key of Object.keys(arch) as Array<keyof VitArch>) if (arch[key] === undefined) delete arch[key];
  return { file, arch: { ...arch, ...readConfigTable(c, TIMM, file) }, preprocess: {} };
}

/** HF `Dinov2Config` keys -> our fields; the MLP width follows from mlp_ratio (below). */
const HF: ConfigTable<VitArch> = {
  width: num('hidden_size'),
  depth: num('num_hidden_layers'),
  nHeads: num('num_attention_heads'),
  patchSize: num('patch_size'),
  layerNormEps: num('layer_norm_eps'),
  nRegisters: num('num_register_tokens', 0),
};

/**
 * HF `config.json` (model_type dinov2 or dinov2_with_registers), or timm's; the image size either states is the
 * position grid's, not the input's.
 */
function readConfig(json: unknown, file: string): ConfigHints | null {
  if (!isRecord(json)) return null;
  if (json.model_type !== 'dinov2' && json.model_type !== 'dinov2_with_registers') return readTimmConfig(json, file);
  const swiglu = readConfigValue(json, bool('use_swiglu_ffn'), file) === true;
  // SwiGLU always gates with SiLU; HF reads hidden_act only for the GELU MLP (ViT-g/14's config still says gelu).
  if (!swiglu) readConfigValue(json, oneOf('hidden_act', { gelu: 'none' }), file);
  const arch: Partial<VitArch> = { gelu: 'none', mlp: swiglu ? 'swiglu' : 'gelu', ...readConfigTable(json, HF, file) };
  const mlpRatio = readConfigValue(json, num('mlp_ratio'), file);
  if (arch.width !== undefined && mlpRatio !== undefined) {
    const hidden = Math.trunc(arch.width * mlpRatio);
    // Dinov2SwiGLUFFN keeps two thirds of it, rounded up to a multiple of 8 (the hub's SwiGLUFFNFused).
    arch.mlpWidth = swiglu ? Math.floor((Math.trunc((hidden * 2) / 3) + 7) / 8) * 8 : hidden;
  }
  return { file, arch, preprocess: {} };
}

export const dinov2: VitFamily = {
  name: 'dinov2',
  summary: 'DINOv2 hub models (S, B, L, g), with or without registers; stores CLS + patches (registers dropped)',
  archs,
  demo: null,
  // saev's Resize(256) + CenterCrop(224), kept in proportion (8/7) for other input sizes.
  getPreprocess: (arch) => ({
    resize: 'shortest',
    resizeSize: Math.round((arch.imageSize * 8) / 7),
    filter: 'bilinear',
    cropSize: arch.imageSize,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  }),
  checkpoint: { formats, fixes: [interpolatePositions] },
  archSource: {
    configFiles: ['config.json'],
    readConfig,
    defaults: base,
    // The hub's ViT-S/B/L/g: heads of 64.
    nHeadsByWidth: { 384: 6, 768: 12, 1024: 16, 1536: 24 },
    defaultImageSize: 224,
  },
};
