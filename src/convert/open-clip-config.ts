/**
 * Reads open_clip's `open_clip_config.json` (the file beside HF-hub open_clip
 * checkpoints: `model_cfg` with `vision_cfg`, and `preprocess_cfg`) into
 * architecture and preprocessing hints. Families decide which fields apply.
 */
import type { PreprocessSpec } from '../images/preprocess.js';
import type { VitArch } from '../vit/arch.js';

export interface OpenClipVisionCfg {
  image_size?: number | [number, number];
  layers?: number;
  width?: number;
  patch_size?: number;
  head_width?: number;
  mlp_ratio?: number;
  timm_model_name?: string;
}

export interface OpenClipConfig {
  vision: OpenClipVisionCfg;
  quickGelu: boolean;
  preprocess: Partial<PreprocessSpec>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Null when `json` is not an open_clip config. */
export function parseOpenClipConfig(json: unknown, file: string): OpenClipConfig | null {
  if (!isRecord(json) || !isRecord(json.model_cfg) || !isRecord(json.model_cfg.vision_cfg)) return null;
  const vision = json.model_cfg.vision_cfg as OpenClipVisionCfg;
  const pre = isRecord(json.preprocess_cfg) ? json.preprocess_cfg : {};
  const preprocess: Partial<PreprocessSpec> = {};
  if (Array.isArray(pre.mean)) preprocess.mean = pre.mean as [number, number, number];
  if (Array.isArray(pre.std)) preprocess.std = pre.std as [number, number, number];
  if (pre.interpolation === 'bicubic' || pre.interpolation === 'bilinear') preprocess.filter = pre.interpolation;
  else if (pre.interpolation !== undefined)
    throw new Error(
      `convert: ${file}: interpolation '${String(pre.interpolation)}' is not supported (bicubic, bilinear)`,
    );
  if (pre.resize_mode === 'shortest') preprocess.resize = 'shortest';
  else if (pre.resize_mode === 'squash') preprocess.resize = 'squash';
  else if (pre.resize_mode !== undefined)
    throw new Error(`convert: ${file}: resize_mode '${String(pre.resize_mode)}' is not supported (shortest, squash)`);
  return { vision, quickGelu: json.model_cfg.quick_gelu === true, preprocess };
}

/** The image side of a vision_cfg; non-square inputs are refused. */
export function getOpenClipImageSize(vision: OpenClipVisionCfg, file: string): number | undefined {
  const size = vision.image_size;
  if (Array.isArray(size)) {
    if (size[0] !== size[1])
      throw new Error(`convert: ${file}: non-square image_size [${size.join(', ')}] is not supported`);
    return size[0];
  }
  return size;
}

/** The architecture fields an open_clip `VisionTransformer` vision_cfg states. */
export function getOpenClipArch(config: OpenClipConfig, file: string): Partial<VitArch> {
  const { vision } = config;
  const arch: Partial<VitArch> = { gelu: config.quickGelu ? 'quick' : 'none' };
  const imageSize = getOpenClipImageSize(vision, file);
  if (imageSize !== undefined) arch.imageSize = imageSize;
  if (vision.layers !== undefined) arch.depth = vision.layers;
  if (vision.width !== undefined) {
    arch.width = vision.width;
    arch.nHeads = vision.width / (vision.head_width ?? 64);
    arch.mlpWidth = Math.trunc(vision.width * (vision.mlp_ratio ?? 4));
  }
  if (vision.patch_size !== undefined) arch.patchSize = vision.patch_size;
  return arch;
}
