/**
 * Key names of open_clip's `VisionTransformer` (`conv1`, `class_embedding`, `transformer.resblocks.N.{ln_1,
 * attn.in_proj_*, attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj}`, `ln_post`, `proj`): CLIP's layout, which Meta's
 * Perception Encoder keeps and extends with LayerScale.
 */
import type { KeyRename } from '../src/vit/checkpoint-spec.js';

/** open_clip `VisionTransformer` keys (under `visual.` in a CLIP checkpoint). */
export const OPEN_CLIP_RENAMES: KeyRename[] = [
  { from: 'conv1.weight', to: 'patch_embed/kernel' },
  { from: 'class_embedding', to: 'tokens/cls' },
  { from: 'positional_embedding', to: 'tokens/positions' },
  { from: 'ln_pre.weight', to: 'ln_pre/gamma' },
  { from: 'ln_pre.bias', to: 'ln_pre/beta' },
  { from: 'transformer.resblocks.{i}.ln_1.weight', to: 'block{i}_ln1/gamma' },
  { from: 'transformer.resblocks.{i}.ln_1.bias', to: 'block{i}_ln1/beta' },
  { from: 'transformer.resblocks.{i}.attn.in_proj_weight', to: 'block{i}_attn/qkv_kernel' },
  { from: 'transformer.resblocks.{i}.attn.in_proj_bias', to: 'block{i}_attn/qkv_bias' },
  { from: 'transformer.resblocks.{i}.attn.out_proj.weight', to: 'block{i}_attn/out_kernel' },
  { from: 'transformer.resblocks.{i}.attn.out_proj.bias', to: 'block{i}_attn/out_bias' },
  { from: 'transformer.resblocks.{i}.ln_2.weight', to: 'block{i}_ln2/gamma' },
  { from: 'transformer.resblocks.{i}.ln_2.bias', to: 'block{i}_ln2/beta' },
  { from: 'transformer.resblocks.{i}.mlp.c_fc.weight', to: 'block{i}_fc1/kernel' },
  { from: 'transformer.resblocks.{i}.mlp.c_fc.bias', to: 'block{i}_fc1/bias' },
  { from: 'transformer.resblocks.{i}.mlp.c_proj.weight', to: 'block{i}_fc2/kernel' },
  { from: 'transformer.resblocks.{i}.mlp.c_proj.bias', to: 'block{i}_fc2/bias' },
];
/** The final norm and projection come after the recorded blocks. */
export const OPEN_CLIP_IGNORE: RegExp[] = [/^ln_post\./, /^proj$/];
