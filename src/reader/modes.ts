/**
 * The reader's nine (patches, layer) modes: their lengths and where item i
 * comes from. Pure index maths, CLS-aware (no CLS token means no +1 anywhere).
 *
 * Items are numbered image-major, so index order is file order:
 *  - (cls | meanpool, int | meanpool): i = img
 *  - (cls | meanpool, all):            i = img * L + layer
 *  - (patches, int | meanpool):        i = img * P + patch
 *  - (patches, all):                   i = (img * L + layer) * P + patch
 * `patches: cls` takes token 0; `meanpool` averages the P patch tokens; layer
 * `meanpool` averages the L layers. The first five rows of saev 0.1.0's table
 * keep saev 0.1.0's order and values.
 */

export const PATCH_MODES = ['cls', 'meanpool', 'patches'] as const;
export type PatchMode = (typeof PATCH_MODES)[number];
export type LayerMode = number | 'all' | 'meanpool';

/** What the index maths needs of a shard directory. */
export interface ModeGeometry {
  nImgs: number;
  nLayers: number;
  nPatchesPerImg: number;
  clsToken: boolean;
}

/** Where item i comes from. */
export interface ItemSource {
  imageI: number;
  /** Slot in `metadata.layers`, or -1 when averaged over layers. */
  layerI: number;
  /** Patch number 0..P-1, or -1 for the CLS token and for patch means. */
  patchI: number;
}

/** The resolved mode: `layerSlot` is the slot of an integer layer, else -1. */
export interface Mode {
  patches: PatchMode;
  layer: 'int' | 'all' | 'meanpool';
  layerSlot: number;
}

/** Resolves a user layer (saev notation, e.g. -2, as `metadata.layers` records it) against the recorded layers. */
export function resolveMode(patches: PatchMode, layer: LayerMode, layers: readonly number[], clsToken: boolean): Mode {
  if (!(PATCH_MODES as readonly string[]).includes(patches)) {
    throw new Error(`reader: patches must be one of ${PATCH_MODES.join(', ')}, found '${patches}'`);
  }
  if (patches === 'cls' && !clsToken) {
    throw new Error(
      `reader: patches 'cls' needs a CLS token, but these shards have none (cls_token false); use 'patches' or 'meanpool'`,
    );
  }
  if (layer === 'all' || layer === 'meanpool') return { patches, layer, layerSlot: -1 };
  if (!Number.isSafeInteger(layer))
    throw new Error(`reader: layer must be an integer, 'all' or 'meanpool', found '${layer}'`);
  const slot = layers.indexOf(layer);
  if (slot < 0) {
    throw new Error(
      `reader: layer ${layer} is not recorded in these shards (metadata layers [${layers.join(', ')}]); pick one of those, 'all' or 'meanpool'`,
    );
  }
  return { patches, layer: 'int', layerSlot: slot };
}

export function getModeLength(mode: Mode, g: ModeGeometry): number {
  const perImg = mode.patches === 'patches' ? g.nPatchesPerImg : 1;
  const perLayer = mode.layer === 'all' ? g.nLayers : 1;
  return g.nImgs * perImg * perLayer;
}

/** Where item i comes from; throws on an index out of range. */
export function locateItem(i: number, mode: Mode, g: ModeGeometry): ItemSource {
  const n = getModeLength(mode, g);
  if (!Number.isSafeInteger(i))
    throw new Error(`reader: index ${typeof i === 'number' ? i : JSON.stringify(i)} is not an integer`);
  if (i < 0 || i >= n) throw new Error(`reader: index ${i} is out of range [0, ${n})`);
  const perImg = mode.patches === 'patches' ? g.nPatchesPerImg : 1;
  const patchI = mode.patches === 'patches' ? i % perImg : -1;
  const rest = Math.floor(i / perImg);
  if (mode.layer === 'all') return { imageI: Math.floor(rest / g.nLayers), layerI: rest % g.nLayers, patchI };
  return { imageI: rest, layerI: mode.layerSlot, patchI };
}
