/**
 * Key names shared by timm-style ViTs (timm's `VisionTransformer`, the DINOv2
 * hub code, moondream2's vision encoder): `blocks.N.{norm1, attn.qkv,
 * attn.proj, norm2, mlp.fc1, mlp.fc2}`, with `ls1.gamma`/`ls2.gamma` where
 * LayerScale is used.
 */
import { type ConfigTable, rgb } from '../src/convert/config-table.js';
import type { PreprocessSpec } from '../src/images/preprocess.js';
import { blockRename, type KeyRename } from '../src/vit/checkpoint-spec.js';

const pairs: Array<[string, string]> = [
  ['norm1.weight', 'ln1/gamma'],
  ['norm1.bias', 'ln1/beta'],
  ['attn.qkv.weight', 'attn/qkv_kernel'],
  ['attn.qkv.bias', 'attn/qkv_bias'],
  ['attn.proj.weight', 'attn/out_kernel'],
  ['attn.proj.bias', 'attn/out_bias'],
  ['ls1.gamma', 'ls1/gamma'],
  ['norm2.weight', 'ln2/gamma'],
  ['norm2.bias', 'ln2/beta'],
  ['mlp.fc1.weight', 'fc1/kernel'],
  ['mlp.fc1.bias', 'fc1/bias'],
  ['mlp.fc2.weight', 'fc2/kernel'],
  ['mlp.fc2.bias', 'fc2/bias'],
  ['ls2.gamma', 'ls2/gamma'],
];

/** The block renames under `prefix` (e.g. `blocks.` or `trunk.blocks.`). */
export function getTimmBlockRenames(prefix: string): KeyRename[] {
  return pairs.map(([from, to]) => blockRename(prefix, from, to));
}

/** The normalisation a timm `config.json` states (its `pretrained_cfg`). */
export const TIMM_PREPROCESS: ConfigTable<PreprocessSpec> = {
  mean: rgb('pretrained_cfg.mean'),
  std: rgb('pretrained_cfg.std'),
};
