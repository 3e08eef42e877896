/**
 * Reads open_clip's `open_clip_config.json` (the file beside HF-hub open_clip
 * checkpoints: `model_cfg` with `vision_cfg`, and `preprocess_cfg`): finds the
 * vision_cfg and reads the preprocessing hints. Families decide which
 * architecture fields apply (their own tables over `vision`).
 */
import type { PreprocessSpec } from '../images/preprocess.js';
import { type ConfigTable, isRecord, oneOf, readConfigTable, rgb } from './config-table.js';

export interface OpenClipConfig {
  /** `model_cfg.vision_cfg`, read by the family's table. */
  vision: Record<string, unknown>;
  quickGelu: boolean;
  preprocess: Partial<PreprocessSpec>;
}

/** `preprocess_cfg` keys -> our preprocessing fields. */
const PREPROCESS: ConfigTable<PreprocessSpec> = {
  mean: rgb('mean'),
  std: rgb('std'),
  filter: oneOf('interpolation', { bicubic: 'bicubic', bilinear: 'bilinear' }),
  resize: oneOf('resize_mode', { shortest: 'shortest', squash: 'squash' }),
};

/** Null when `json` is not an open_clip config. */
export function parseOpenClipConfig(json: unknown, file: string): OpenClipConfig | null {
  if (!isRecord(json) || !isRecord(json.model_cfg) || !isRecord(json.model_cfg.vision_cfg)) return null;
  const pre = isRecord(json.preprocess_cfg) ? json.preprocess_cfg : {};
  return {
    vision: json.model_cfg.vision_cfg,
    quickGelu: json.model_cfg.quick_gelu === true,
    preprocess: readConfigTable(pre, PREPROCESS, file),
  };
}
