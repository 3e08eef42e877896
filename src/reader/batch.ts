/**
 * Batches of activation items as the reader yields them: B rows of D values
 * with, per row, the image, patch and layer it came from; made, cut and
 * copied row by row here for every iterator (ordered, shuffled, direct).
 */

export interface ActsItem {
  act: Float32Array;
  imageI: number;
  /** Patch number, or -1 for CLS and patch means. */
  patchI: number;
  /** Slot in `metadata.layers`, or -1 for the mean over layers. */
  layerI: number;
}

/** B items: `acts_BD` row b belongs to `imageI[b]`, `patchI[b]`, `layerI[b]`. */
export interface ActsBatch {
  n: number;
  dVit: number;
  acts_BD: Float32Array;
  imageI: Int32Array;
  patchI: Int32Array;
  layerI: Int32Array;
}

export function makeBatch(n: number, dVit: number): ActsBatch {
  return {
    n,
    dVit,
    acts_BD: new Float32Array(n * dVit),
    imageI: new Int32Array(n),
    patchI: new Int32Array(n),
    layerI: new Int32Array(n),
  };
}

/** Keeps the first n rows of a batch (views, no copy). */
export function sliceBatch(b: ActsBatch, n: number): ActsBatch {
  if (n === b.n) return b;
  return {
    n,
    dVit: b.dVit,
    acts_BD: b.acts_BD.subarray(0, n * b.dVit),
    imageI: b.imageI.subarray(0, n),
    patchI: b.patchI.subarray(0, n),
    layerI: b.layerI.subarray(0, n),
  };
}

export function copyRow(from: ActsBatch, i: number, to: ActsBatch, j: number): void {
  const D = from.dVit;
  to.acts_BD.set(from.acts_BD.subarray(i * D, (i + 1) * D), j * D);
  to.imageI[j] = from.imageI[i];
  to.patchI[j] = from.patchI[i];
  to.layerI[j] = from.layerI[i];
}
