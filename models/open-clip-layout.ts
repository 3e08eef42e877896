/**
 * Key names of open_clip's `VisionTransformer` (`conv1`, `class_embedding`, `transformer.resblocks.N.{ln_1,
 * attn.in_proj_*, attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj}`, `ln_post`, `proj`): CLIP's layout, which Meta's
 * Perception Encoder keeps and extends with LayerScale.
 */
import { blockRename, type KeyRename } from '../src/vit/checkpoint-spec.js';

/** Where open_clip keeps its blocks. */
export const RESBLOCKS = 'transformer.resblocks.';

/** open_clip `VisionTransformer` keys (under `visual.` in a CLIP checkpoint). */
export const OPEN_CLIP_RENAMES: KeyRename[] = [
  { from: 'conv1.weight', to: 'patch_embed/kernel' },
  { from: 'class_embedding', to: 'tokens/cls' },
  { from: 'positional_embedding', to: 'tokens/positions' },
  { from: 'ln_pre.weight', to: 'ln_pre/gamma' },
  { from: 'ln_pre.bias', to: 'ln_pre/beta' },
  blockRename(RESBLOCKS, 'ln_1.weight', 'ln1/gamma'),
  blockRename(RESBLOCKS, 'ln_1.bias', 'ln1/beta'),
  blockRename(RESBLOCKS, 'attn.in_proj_weight', 'attn/qkv_kernel'),
  blockRename(RESBLOCKS, 'attn.in_proj_bias', 'attn/qkv_bias'),
  blockRename(RESBLOCKS, 'attn.out_proj.weight', 'attn/out_kernel'),
  blockRename(RESBLOCKS, 'attn.out_proj.bias', 'attn/out_bias'),
  blockRename(RESBLOCKS, 'ln_2.weight', 'ln2/gamma'),
  blockRename(RESBLOCKS, 'ln_2.bias', 'ln2/beta'),
  blockRename(RESBLOCKS, 'mlp.c_fc.weight', 'fc1/kernel'),
  blockRename(RESBLOCKS, 'mlp.c_fc.bias', 'fc1/bias'),
  blockRename(RESBLOCKS, 'mlp.c_proj.weight', 'fc2/kernel'),
  blockRename(RESBLOCKS, 'mlp.c_proj.bias', 'fc2/bias'),
];
/** The final norm and projection come after the recorded blocks. */
export const OPEN_CLIP_IGNORE: RegExp[] = [/^ln_post\./, /^proj$/];
