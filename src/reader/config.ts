/**
 * The reader config (saev 0.1.0's `DataLoad`, less `shard_root` and
 * `n_random_samples`): flags or code in, one validated, frozen object out.
 */
import { LayerMode, PATCH_MODES, PatchMode } from './modes.js';

export interface ReaderConfig {
  /** Which tokens: `cls` (token 0), `patches` (each patch token), `meanpool` (mean of the patch tokens). */
  patches: PatchMode;
  /** A recorded layer in the user's notation (e.g. -2), `all` (each layer), or `meanpool` (mean over layers). */
  layer: LayerMode;
  /** Values are clamped to [-clamp, clamp] first (saev 0.1.0's default 1e5). */
  clamp: number;
  /**
   * Subtract the mean activation: `false`; `true` = the statistics beside the
   * shards (`stats.json`, from `saev activations stats`); or a path to a
   * `stats.json`, to its directory, or to one of its `.npy` mean files. Never re-sampled.
   */
  scaleMean: boolean | string;
  /** Divide by saev 0.1.0's scalar `mean‖x − μ‖ / sqrt(d)`: same choices as `scaleMean`. */
  scaleNorm: boolean | string;
}

export const DEFAULT_READER_CONFIG: Readonly<ReaderConfig> = Object.freeze({
  patches: 'patches',
  layer: -2,
  clamp: 1e5,
  scaleMean: false,
  scaleNorm: false,
});

export function validateReaderConfig(raw: Partial<ReaderConfig>): Readonly<ReaderConfig> {
  const cfg = { ...DEFAULT_READER_CONFIG, ...raw };
  if (!(PATCH_MODES as readonly string[]).includes(cfg.patches)) {
    throw new Error(`reader: patches must be one of ${PATCH_MODES.join(', ')}, found '${cfg.patches}'`);
  }
  if (!(cfg.layer === 'all' || cfg.layer === 'meanpool' || Number.isSafeInteger(cfg.layer))) {
    throw new Error(`reader: layer must be an integer, 'all' or 'meanpool', found '${cfg.layer}'`);
  }
  if (!(cfg.clamp > 0)) throw new Error(`reader: clamp must be positive, found ${cfg.clamp}`);
  for (const key of ['scaleMean', 'scaleNorm'] as const) {
    const v = cfg[key];
    if (typeof v !== 'boolean' && (typeof v !== 'string' || v === '')) {
      throw new Error(`reader: ${key} must be a boolean or a statistics file path, found ${JSON.stringify(v)}`);
    }
  }
  return Object.freeze(cfg);
}
