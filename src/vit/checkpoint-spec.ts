/**
 * How a family's checkpoints map onto our layers, as data (models/*.ts fill
 * it in), in timm's `checkpoint_filter_fn` habit: recognise the checkpoint's
 * format by marker keys, strip the tower's prefix, then apply an ordered
 * rename table from upstream keys to our weight names, plus per-key tensor
 * fixes. Targets are tfjs weight names (`block3_fc1/kernel`) but tensors keep
 * torch layout until the remapper turns them around, in one place.
 */
import type { PreprocessSpec } from '../images/preprocess.js';
import type { VitArch } from './arch.js';

/** A tensor in torch layout (row-major), as float32. */
export interface TorchTensor {
  shape: number[];
  data: Float32Array;
}

export interface CheckpointFormat {
  /** For messages, e.g. `open_clip CLIP (visual.*)`. */
  name: string;
  /** Keys that must all be present for this format to apply. */
  markers: readonly string[];
  /**
   * The vision tower's key prefix, stripped before renaming; keys outside it belong to other towers and are skipped.
   */
  prefix: string;
  /** Ordered rename table from upstream keys (prefix stripped) to our weight names. */
  renames: readonly KeyRename[];
  /** Tower keys with no counterpart here (heads, final norm, mask token); anything else unmatched is unknown. */
  ignore: readonly RegExp[];
  /**
   * Our weights this layout does not store because its code computes them or holds them at zero (timm's and HF's
   * RoPE periods, DINOv3's key bias): they keep the values the model is built with (the RoPE table of the arch's
   * frequencies, zero biases), and a stacked weight (`part`) gets zeros for the parts it lacks.
   */
  unstored?: readonly RegExp[];
  /**
   * The stored position embedding covers the patches only: the CLS position is folded into the CLS token (timm's
   * `no_embed_class` models, e.g. `vit_*_reg4_dinov2`, whose cls_token is the hub's cls_token + pos_embed[0]).
   * The remapper puts a zero CLS row in front (cls + 0 = the stored token), so families always see positions over
   * CLS + patches.
   */
  clsPositionFolded?: boolean;
}

export interface KeyRename {
  /** An upstream key after the prefix is stripped; `{i}` stands for a block index. The first matching rule wins. */
  from: string;
  /** Our weight name, with the same `{i}`. */
  to: string;
  /** `[k, n]`: this key is part k of n stacked along torch's first axis (HF's separate q, k, v). */
  part?: readonly [number, number];
}

/** The rename of one per-block key: upstream `<prefix>{i}.<from>` to our `block{i}_<to>`. */
export function blockRename(prefix: string, from: string, to: string, part?: readonly [number, number]): KeyRename {
  return { from: `${prefix}{i}.${from}`, to: `block{i}_${to}`, part };
}

/** What a tensor fix may look at. */
export interface FixContext {
  /** The architecture being built (the target shapes follow from it). */
  arch: VitArch;
}

export interface TensorFix {
  /** Which of our weight names the fix applies to. */
  target: RegExp;
  /** One line on why. */
  why: string;
  /**
   * A pure reshape (same values, same order), known before the architecture
   * is: architecture inference sees the reshaped tensor (moondream2's Linear
   * patch embedding seen as the convolution it equals).
   */
  reshape?(shape: readonly number[]): number[];
  /**
   * A value change that needs the architecture (DINOv2's position-embedding interpolation); torch layout in and out.
   */
  apply?(tensor: TorchTensor, context: FixContext): TorchTensor;
}

export interface CheckpointSpec {
  /** Known layouts, tried in order; the first whose markers are all present applies. */
  formats: readonly CheckpointFormat[];
  /** Per-key tensor fixes, applied after renaming and before the layout change. */
  fixes: readonly TensorFix[];
}

/** What a config file beside the checkpoint says, in our terms. */
export interface ConfigHints {
  /** The file it came from, for messages. */
  file: string;
  arch: Partial<VitArch>;
  /** Preprocessing fields the config states, checked against the family's. */
  preprocess: Partial<PreprocessSpec>;
}

/** How a family reads its config files and fills in what tensor shapes cannot tell. */
export interface ArchSource {
  /** Config file names looked for beside the checkpoint, in order. */
  configFiles: readonly string[];
  /** Reads one of them; returns null when the JSON is not this family's. */
  readConfig(json: unknown, file: string): ConfigHints | null;
  /**
   * The family's fixed structure (so a missing tensor is reported as missing, never read as "absent"), and
   * the numerics its upstream code fixes, which tensor shapes cannot show (a config may still state them).
   * GELU or eps left out here differ between the family's checkpoints: a config, the checkpoint itself
   * (`identify`) or a flag must settle them, or conversion refuses. Registers come from the tensors.
   */
  defaults: Pick<VitArch, 'clsToken' | 'patchBias' | 'preNorm' | 'layerScale' | 'positionEmbedding' | 'rope'> &
    Partial<Pick<VitArch, 'gelu' | 'layerNormEps'>>;
  /**
   * Structure the family's checkpoints differ in, read from whether its tensors are there (`tokens/cls`,
   * `block0_ls1/gamma`) instead of from `defaults` (PE-G has no CLS token but LayerScale, the smaller PEs the reverse).
   */
  fromTensors?: ReadonlyArray<'clsToken' | 'layerScale'>;
  /**
   * Head count by model width, for the widths the family's upstream models use (open_clip's ViT-H: 1280 -> 16
   * heads of 80). Shapes cannot tell heads apart; a width not listed needs a config or `--n-heads`.
   */
  nHeadsByWidth: Readonly<Record<number, number>>;
  /** What a checkpoint file says about itself beyond its tensors (an OpenAI TorchScript archive: QuickGELU). */
  identify?(checkpoint: { format: string; file: string }): { arch: Partial<VitArch>; why: string } | null;
  /** Released variants the family's code does not cover, told apart by width, refused by name (DINOv3 7B). */
  unsupported?: ReadonlyArray<{ name: string; width: number }>;
  /** The input size when neither a flag nor a config gives one, else null to take it from the position grid. */
  defaultImageSize: number | null;
}
