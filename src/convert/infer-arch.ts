/**
 * The architecture of a checkpoint: sizes from tensor shapes (width, patch,
 * depth, MLP width and form, grid, registers), structure from the family, the rest from a config
 * file beside the checkpoint or the family's defaults; flags override. A
 * config or flag that contradicts the tensors is an error, never a guess.
 */
import { validateArch, VitArch } from '../vit/arch.js';
import type { ArchSource, ConfigHints } from './spec.js';
import type { Renamed } from './remap-weights.js';

export interface ArchFlags {
  /** `--image-size`: input side in pixels. */
  imageSize?: number;
  /** `--n-heads`: attention heads, for checkpoints whose config does not say (shapes cannot tell). */
  nHeads?: number;
}

function required(renamed: Renamed, name: string, file: string): number[] {
  const entry = renamed.tensors.get(name);
  if (!entry) throw new Error(`convert: ${file} has no tensor for ${name}; cannot infer the architecture`);
  return entry.shape;
}

const squeeze = (shape: number[]) => shape.filter((n, i) => n !== 1 || i === shape.length - 1);

export function inferArch(
  renamed: Renamed,
  source: ArchSource,
  config: ConfigHints | null,
  flags: ArchFlags,
  options: { file: string; family: string; interpolatesPositions: boolean },
): VitArch {
  const { file } = options;
  const keyOf = (name: string) => renamed.tensors.get(name)?.sources.join(' + ') ?? name;
  const [width, , patchSize] = required(renamed, 'patch_embed/kernel', file);
  const unsupported = source.unsupported?.find((variant) => variant.width === width);
  if (unsupported) throw new Error(`convert: ${file} is ${unsupported.name} (width ${width}), which ${options.family} does not support`);
  let depth = 0;
  for (const name of renamed.tensors.keys()) {
    const match = /^block(\d+)_/.exec(name);
    if (match) depth = Math.max(depth, Number(match[1]) + 1);
  }
  // fc2 reads the MLP's hidden width; a SwiGLU fc1 writes gate and value, twice that.
  const mlpWidth = required(renamed, 'block0_fc2/kernel', file)[1];
  const fc1Width = required(renamed, 'block0_fc1/kernel', file)[0];
  if (fc1Width !== mlpWidth && fc1Width !== 2 * mlpWidth) {
    throw new Error(`convert: ${keyOf('block0_fc1/kernel')} writes ${fc1Width} features but ${keyOf('block0_fc2/kernel')} reads ${mlpWidth}`);
  }
  const mlp = fc1Width === mlpWidth ? 'gelu' : 'swiglu';
  const fromTensors = (field: 'clsToken' | 'layerScale', tensor: string) =>
    source.fromTensors?.includes(field) ? renamed.tensors.has(tensor) : source.defaults[field];
  const clsToken = fromTensors('clsToken', 'tokens/cls');
  const registers = renamed.tensors.get('tokens/registers');
  const nRegisters = registers ? squeeze(registers.shape)[0] : 0;
  let gridSide: number | null = null;
  if (source.defaults.positionEmbedding) {
    const nPositions = squeeze(required(renamed, 'tokens/positions', file))[0] - (clsToken ? 1 : 0);
    gridSide = Math.round(Math.sqrt(nPositions));
    if (gridSide * gridSide !== nPositions) {
      throw new Error(`convert: ${keyOf('tokens/positions')} holds ${nPositions} patch positions, not a square grid`);
    }
  }
  const fromShapes = { width, patchSize, depth, mlpWidth, nRegisters, mlp };
  const hints = config?.arch ?? {};
  for (const [field, value] of Object.entries(fromShapes) as Array<[keyof typeof fromShapes, number | string]>) {
    const stated = hints[field];
    if (stated !== undefined && stated !== value) {
      throw new Error(`convert: ${config!.file} says ${field} ${stated} but the tensors of ${file} have ${value}; the config is not this checkpoint's`);
    }
  }
  if (flags.nHeads !== undefined && hints.nHeads !== undefined && flags.nHeads !== hints.nHeads) {
    throw new Error(`convert: --n-heads ${flags.nHeads} contradicts ${config!.file} (${hints.nHeads} heads)`);
  }
  const nHeads = flags.nHeads ?? hints.nHeads ?? source.nHeadsByWidth?.[width] ?? width / source.headWidth;
  if (!Number.isInteger(nHeads)) {
    throw new Error(`convert: cannot infer the head count of width ${width} (not a multiple of ${source.headWidth}); put a config file beside ${file}`);
  }
  const stated = hints.imageSize ?? source.defaultImageSize ?? (gridSide === null ? undefined : gridSide * patchSize);
  if (flags.imageSize !== undefined && hints.imageSize !== undefined && flags.imageSize !== hints.imageSize && !options.interpolatesPositions) {
    throw new Error(`convert: --image-size ${flags.imageSize} contradicts ${config!.file} (image size ${hints.imageSize})`);
  }
  const imageSize = flags.imageSize ?? stated;
  if (imageSize === undefined) throw new Error(`convert: nothing gives the image size of ${file}; pass --image-size`);
  if (gridSide !== null && imageSize !== gridSide * patchSize && !options.interpolatesPositions) {
    throw new Error(
      `convert: image size ${imageSize} needs a ${imageSize / patchSize}-patch grid but ${keyOf('tokens/positions')} holds ${gridSide}x${gridSide} ` +
        `(${options.family} does not interpolate position embeddings; use --image-size ${gridSide * patchSize})`,
    );
  }
  const arch: VitArch = {
    imageSize,
    patchSize,
    width,
    depth,
    nHeads,
    mlpWidth,
    gelu: hints.gelu ?? source.defaults.gelu,
    layerNormEps: hints.layerNormEps ?? source.defaults.layerNormEps,
    clsToken,
    nRegisters,
    patchBias: source.defaults.patchBias,
    preNorm: source.defaults.preNorm,
    layerScale: fromTensors('layerScale', 'block0_ls1/gamma'),
    positionEmbedding: source.defaults.positionEmbedding,
    rope: hints.rope ?? source.defaults.rope,
    mlp,
  };
  return validateArch(arch, `${options.family} checkpoint ${file}`);
}
