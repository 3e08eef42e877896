/**
 * A ViT architecture as plain data, shared by every family. Everything that
 * differs between the families (CLIP, SigLIP, DINOv2, DINOv3, moondream2,
 * Perception Encoder) is a field here (or in the family's preprocessing),
 * never a branch on the family name.
 */
import type { GeluApproximation } from '../layers/gelu.js';
import type { RopeSpec } from '../ops/rope.js';

export type { RopeSpec };

/** `gelu`: fc1, GELU, fc2. `swiglu`: fc1 holds gate and value (2 x mlpWidth), `silu(gate) * value`, fc2. */
export type MlpKind = 'gelu' | 'swiglu';

export interface VitArch {
  /** Side of the square input image, in pixels. */
  imageSize: number;
  /** Side of one patch, in pixels. */
  patchSize: number;
  /** D: residual stream width. */
  width: number;
  /** Number of transformer blocks. */
  depth: number;
  /** K: attention heads per block. */
  nHeads: number;
  /** Hidden width of each block's MLP (what fc2 reads; a SwiGLU fc1 writes twice that). */
  mlpWidth: number;
  /** GELU variant of the MLP (unused by SwiGLU). */
  gelu: GeluApproximation;
  /** Epsilon of every LayerNorm. */
  layerNormEps: number;
  /** Whether a learned CLS token is prepended (and stored). */
  clsToken: boolean;
  /** Register tokens after CLS (DINOv2's registers, DINOv3's storage tokens; computed, never stored). */
  nRegisters: number;
  /** Whether the patch projection has a bias (CLIP's conv1 has none). */
  patchBias: boolean;
  /** Whether a LayerNorm runs before block 0 (CLIP's `ln_pre`). */
  preNorm: boolean;
  /** Whether each residual branch is scaled per channel before the add (DINOv2's LayerScale `ls1`, `ls2`). */
  layerScale: boolean;
  /** Whether learned absolute position embeddings are added to CLS + patches (all but DINOv3). */
  positionEmbedding: boolean;
  /** Rotary position embedding in every attention, or null (DINOv3, PE). */
  rope: RopeSpec | null;
  /** The MLP's form. */
  mlp: MlpKind;
}

/** Fields added after the first converted models were written; a stored arch without them has these values. */
const LATER_FIELDS = { positionEmbedding: true, rope: null, mlp: 'gelu' } as const satisfies Partial<VitArch>;

/** An arch as stored by any version (saev-vit.json), before the later fields are filled in. */
export type StoredVitArch = Omit<VitArch, keyof typeof LATER_FIELDS> & Partial<VitArch>;

/**
 * Patches per side: the strided patch convolution's output, so pixels past the last whole patch are left out
 * (SigLIP's SO400M/14 at 384 px reads a 27x27 grid, 378 px of each side, as timm's and open_clip's model does).
 */
export function getGridSide(arch: Pick<VitArch, 'imageSize' | 'patchSize'>): number {
  return Math.floor(arch.imageSize / arch.patchSize);
}

/** P: patches per image (the grid is square). */
export function getPatchCount(arch: Pick<VitArch, 'imageSize' | 'patchSize'>): number {
  return getGridSide(arch) ** 2;
}

/** The one-line refusal of an image size someone chose that leaves pixels past the last whole patch. */
export function checkImageSizeChoice(imageSize: number, patchSize: number, name: string): void {
  if (imageSize % patchSize === 0) return;
  const nearest = Math.max(1, Math.round(imageSize / patchSize)) * patchSize;
  throw new Error(
    `vit: ${name}: image size ${imageSize} is not a multiple of the patch size ${patchSize}; pass a multiple, e.g. ${nearest}`,
  );
}

/** Output width of each block's fc1. */
export function getFc1Width(arch: Pick<VitArch, 'mlp' | 'mlpWidth'>): number {
  return arch.mlp === 'swiglu' ? 2 * arch.mlpWidth : arch.mlpWidth;
}

function validateRope(rope: RopeSpec, headWidth: number, name: string): void {
  const choices = { pairing: ['half', 'interleaved'], coords: ['centered', 'index'], axes: ['yx', 'xy'] } as const;
  for (const [key, allowed] of Object.entries(choices) as Array<[keyof typeof choices, readonly string[]]>) {
    if (!allowed.includes(rope[key]))
      throw new Error(`vit: ${name}.rope.${key} must be one of ${allowed.join(', ')}, found '${rope[key]}'`);
  }
  if (!(rope.base > 1 && Number.isFinite(rope.base)) || !(rope.scale > 0 && Number.isFinite(rope.scale))) {
    throw new Error(`vit: ${name}.rope needs base > 1 and scale > 0, found base ${rope.base}, scale ${rope.scale}`);
  }
  if (headWidth % 4 !== 0)
    throw new Error(
      `vit: ${name}: RoPE needs a head width divisible by 4 (one band pair per axis), found ${headWidth}`,
    );
}

/** Checks the relations the builder relies on and fills fields older files lack; one line per violation. */
export function validateArch(stored: StoredVitArch, name: string): VitArch {
  const arch: VitArch = { ...LATER_FIELDS, ...stored };
  const positive = ['imageSize', 'patchSize', 'width', 'depth', 'nHeads', 'mlpWidth'] as const;
  for (const key of positive) {
    if (!Number.isInteger(arch[key]) || arch[key] < 1)
      throw new Error(`vit: ${name}.${key} must be a positive integer, found ${arch[key]}`);
  }
  if (arch.imageSize < arch.patchSize)
    throw new Error(`vit: ${name}: image size ${arch.imageSize} is smaller than one patch (${arch.patchSize})`);
  if (arch.width % arch.nHeads !== 0)
    throw new Error(`vit: ${name}: width ${arch.width} is not a multiple of nHeads ${arch.nHeads}`);
  if (arch.mlp !== 'gelu' && arch.mlp !== 'swiglu')
    throw new Error(`vit: ${name}.mlp must be gelu or swiglu, found '${arch.mlp}'`);
  if (arch.rope) validateRope(arch.rope, arch.width / arch.nHeads, name);
  return Object.freeze({ ...arch, ...(arch.rope ? { rope: Object.freeze({ ...arch.rope }) } : {}) });
}
