/**
 * A ViT architecture as plain data, shared by every family. Everything that
 * differs between CLIP, SigLIP, DINOv2 and moondream2 is a field here (or in
 * the family's preprocessing), never a branch on the family name.
 */
import type { GeluApproximation } from '../layers/gelu.js';

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
  /** Hidden width of each block's MLP. */
  mlpWidth: number;
  /** GELU variant of the MLP. */
  gelu: GeluApproximation;
  /** Epsilon of every LayerNorm. */
  layerNormEps: number;
  /** Whether a learned CLS token is prepended (and stored). */
  clsToken: boolean;
  /** Register tokens after CLS (computed, never stored). */
  nRegisters: number;
  /** Whether the patch projection has a bias (CLIP's conv1 has none). */
  patchBias: boolean;
  /** Whether a LayerNorm runs before block 0 (CLIP's `ln_pre`). */
  preNorm: boolean;
  /** Whether each residual branch is scaled per channel before the add (DINOv2's LayerScale `ls1`, `ls2`). */
  layerScale: boolean;
}

/** P: patches per image (the grid is square). */
export function getPatchCount(arch: VitArch): number {
  const side = arch.imageSize / arch.patchSize;
  return side * side;
}

/** Checks the relations the builder relies on; one line per violation. */
export function validateArch(arch: VitArch, name: string): VitArch {
  const positive = ['imageSize', 'patchSize', 'width', 'depth', 'nHeads', 'mlpWidth'] as const;
  for (const key of positive) {
    if (!Number.isInteger(arch[key]) || arch[key] < 1) throw new Error(`vit: ${name}.${key} must be a positive integer, found ${arch[key]}`);
  }
  if (arch.imageSize % arch.patchSize !== 0) {
    throw new Error(`vit: ${name}: imageSize ${arch.imageSize} is not a multiple of patchSize ${arch.patchSize}`);
  }
  if (arch.width % arch.nHeads !== 0) throw new Error(`vit: ${name}: width ${arch.width} is not a multiple of nHeads ${arch.nHeads}`);
  return Object.freeze({ ...arch });
}
