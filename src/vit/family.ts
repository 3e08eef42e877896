/**
 * What a ViT family is, as data (models/*.ts fill it in): its known
 * architectures, how images are preprocessed for a given architecture, and
 * how its upstream checkpoints convert.
 */
import type { ArchSource, CheckpointSpec } from './checkpoint-spec.js';
import type { PreprocessSpec } from '../images/preprocess.js';
import type { VitArch } from './arch.js';

export interface VitFamily {
  /** `clip | siglip | dinov2 | dinov3 | moondream2 | pe-core | pe-spatial`, as in saev's `--vit-family`. */
  name: string;
  /** One line for `--help` and errors. */
  summary: string;
  /** Architectures that `random:<name>` (seeded random weights) can build. */
  archs: Readonly<Record<string, VitArch>>;
  /** The checkpoint name that builds the embedded demo model, if the family has one. */
  demo: { ckpt: string; arch: string; seed: number } | null;
  /** Preprocessing upstream applies for this architecture. */
  getPreprocess(arch: VitArch): PreprocessSpec;
  /** How upstream checkpoints map onto our layers (formats, rename tables, tensor fixes). */
  checkpoint: CheckpointSpec;
  /** Where a checkpoint's architecture comes from beyond its tensor shapes. */
  archSource: ArchSource;
}
