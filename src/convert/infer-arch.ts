/**
 * The architecture of a checkpoint: sizes from tensor shapes (width, patch,
 * depth, MLP width and form, grid, registers), structure from the family,
 * the rest (head count, GELU variant, LayerNorm eps) from a config file
 * beside the checkpoint, what the checkpoint says about itself, or what the
 * family's upstream code fixes; flags override. Nothing is guessed: what none
 * of these settles is refused, naming the flag that settles it, and a config
 * or flag that contradicts the tensors is an error.
 */
import type { GeluApproximation } from '../layers/gelu.js';
import { checkImageSizeChoice, getGridSide, validateArch, VitArch } from '../vit/arch.js';
import type { ArchSource, ConfigHints } from '../vit/checkpoint-spec.js';
import type { Renamed } from './remap-weights.js';

export interface ArchFlags {
  /** `--image-size`: input side in pixels. */
  imageSize?: number;
  /** `--n-heads`: attention heads, for checkpoints whose config does not say (shapes cannot tell). */
  nHeads?: number;
  /** `--gelu`: the MLP's GELU, for checkpoints whose config does not say. */
  gelu?: GeluApproximation;
  /** `--layer-norm-eps`: every LayerNorm's epsilon, for checkpoints whose config does not say. */
  layerNormEps?: number;
}

export interface InferOptions {
  /** The checkpoint's file name, for messages. */
  file: string;
  family: string;
  /** Whether the family resizes position embeddings to the input grid (else the grid fixes the image size). */
  interpolatesPositions: boolean;
  /** Which reader understood the file (`torchscript`, ...), for the family's `identify`. */
  format?: string;
}

/** How GELU variants are named in messages and by `--gelu`. */
export const GELU_NAMES: Readonly<Record<GeluApproximation, string>> = { none: 'exact', tanh: 'tanh', quick: 'quick' };

type Unsettled = 'nHeads' | 'gelu' | 'layerNormEps';
const FLAGS: Record<Unsettled, string> = { nHeads: '--n-heads', gelu: '--gelu', layerNormEps: '--layer-norm-eps' };
const show = (field: Unsettled, value: number | string) =>
  field === 'gelu'
    ? `GELU ${GELU_NAMES[value as GeluApproximation]}`
    : field === 'nHeads'
      ? `${value} heads`
      : `eps ${value}`;

/**
 * One of the fields shapes cannot show: the flag, else the config, else what
 * the checkpoint says of itself, else what the family fixes. A flag that
 * contradicts the config, or a config that contradicts the checkpoint, is an error.
 */
function settle<F extends Unsettled>(
  field: F,
  sources: { flag?: VitArch[F]; config?: VitArch[F]; identified?: VitArch[F]; family?: VitArch[F] },
  config: ConfigHints | null,
  identified: { why: string } | null,
  options: InferOptions,
  missing: string,
  detail = '',
): VitArch[F] {
  const { flag, config: stated, identified: own, family } = sources;
  if (flag !== undefined && stated !== undefined && flag !== stated) {
    throw new Error(
      `convert: ${FLAGS[field]} ${field === 'gelu' ? GELU_NAMES[flag as GeluApproximation] : flag} contradicts ${config!.file} (${show(field, stated)})`,
    );
  }
  if (stated !== undefined && own !== undefined && stated !== own) {
    throw new Error(
      `convert: ${config!.file} gives ${show(field, stated)} but ${options.file} is ${identified!.why} (${show(field, own)}); the config is not this checkpoint's`,
    );
  }
  const value = flag ?? stated ?? own ?? family;
  if (value === undefined) {
    const because = config ? `${config.file} does not say` : 'no config file beside it';
    throw new Error(
      `convert: cannot tell the ${missing} of ${options.file} (${because}${detail}); pass ${FLAGS[field]}`,
    );
  }
  return value;
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
  options: InferOptions,
): VitArch {
  const { file } = options;
  const keyOf = (name: string) => renamed.tensors.get(name)?.sources.join(' + ') ?? name;
  const [width, , patchSize] = required(renamed, 'patch_embed/kernel', file);
  const unsupported = source.unsupported?.find((variant) => variant.width === width);
  if (unsupported)
    throw new Error(
      `convert: ${file} is ${unsupported.name} (width ${width}), which ${options.family} does not support`,
    );
  let depth = 0;
  for (const name of renamed.tensors.keys()) {
    const match = /^block(\d+)_/.exec(name);
    if (match) depth = Math.max(depth, Number(match[1]) + 1);
  }
  // fc2 reads the MLP's hidden width; a SwiGLU fc1 writes gate and value, twice that.
  const mlpWidth = required(renamed, 'block0_fc2/kernel', file)[1];
  const fc1Width = required(renamed, 'block0_fc1/kernel', file)[0];
  if (fc1Width !== mlpWidth && fc1Width !== 2 * mlpWidth) {
    throw new Error(
      `convert: ${keyOf('block0_fc1/kernel')} writes ${fc1Width} features but ${keyOf('block0_fc2/kernel')} reads ${mlpWidth}`,
    );
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
      throw new Error(
        `convert: ${config!.file} says ${field} ${stated} but the tensors of ${file} have ${value}; the config is not this checkpoint's`,
      );
    }
  }
  const identified = options.format ? (source.identify?.({ format: options.format, file }) ?? null) : null;
  const own = identified?.arch ?? {};
  const knownWidths = Object.keys(source.nHeadsByWidth).join(', ');
  const nHeads = settle(
    'nHeads',
    { flag: flags.nHeads, config: hints.nHeads, identified: own.nHeads, family: source.nHeadsByWidth[width] },
    config,
    identified,
    options,
    'head count',
    `, and ${options.family} knows the heads of widths ${knownWidths || 'none'}, not ${width}`,
  );
  const gelu = settle(
    'gelu',
    { flag: flags.gelu, config: hints.gelu, identified: own.gelu, family: source.defaults.gelu },
    config,
    identified,
    options,
    'GELU variant',
  );
  const layerNormEps = settle(
    'layerNormEps',
    {
      flag: flags.layerNormEps,
      config: hints.layerNormEps,
      identified: own.layerNormEps,
      family: source.defaults.layerNormEps,
    },
    config,
    identified,
    options,
    'LayerNorm eps',
  );
  const stated = hints.imageSize ?? source.defaultImageSize ?? (gridSide === null ? undefined : gridSide * patchSize);
  if (
    flags.imageSize !== undefined &&
    hints.imageSize !== undefined &&
    flags.imageSize !== hints.imageSize &&
    !options.interpolatesPositions
  ) {
    throw new Error(
      `convert: --image-size ${flags.imageSize} contradicts ${config!.file} (image size ${hints.imageSize})`,
    );
  }
  // A size someone picks must be whole patches; one a config states is what upstream runs, even where its
  // strided patch convolution leaves the last pixels out (SigLIP SO400M/14 at 384 px).
  if (flags.imageSize !== undefined)
    checkImageSizeChoice(flags.imageSize, patchSize, `${options.family} checkpoint ${file}`);
  const imageSize = flags.imageSize ?? stated;
  if (imageSize === undefined) throw new Error(`convert: nothing gives the image size of ${file}; pass --image-size`);
  if (imageSize < patchSize)
    throw new Error(`convert: image size ${imageSize} is smaller than one ${patchSize}-px patch`);
  const imageGrid = getGridSide({ imageSize, patchSize });
  if (gridSide !== null && imageGrid !== gridSide && !options.interpolatesPositions) {
    throw new Error(
      `convert: image size ${imageSize} needs a ${imageGrid}-patch grid but ${keyOf('tokens/positions')} holds ${gridSide}x${gridSide} ` +
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
    gelu,
    layerNormEps,
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
