/**
 * Which blocks to record. Users name layers as saev does: Python indices,
 * negatives counting from the end (`-2` is the second-to-last block). We
 * resolve them once, reject out-of-range and duplicate blocks, and order them
 * by depth, which is the order of the shard's layer axis (docs/format.md#shard-files).
 */

export interface RecordedLayers {
  /** Layers in the user's notation, ascending by block depth (for `metadata.layers`). */
  layers: number[];
  /** The same layers as non-negative block indices, ascending. */
  blocks: number[];
}

export function resolveLayers(requested: readonly number[], depth: number): RecordedLayers {
  if (requested.length === 0) throw new Error('layers: no layers requested; pass --vit-layers, e.g. --vit-layers -2');
  const seen = new Map<number, number>();
  for (const layer of requested) {
    if (!Number.isInteger(layer)) throw new Error(`layers: ${layer} is not an integer`);
    if (layer < -depth || layer >= depth) {
      throw new Error(
        `layers: layer ${layer} is out of range for a ${depth}-block model (valid: ${-depth}..${depth - 1})`,
      );
    }
    const block = layer < 0 ? depth + layer : layer;
    const previous = seen.get(block);
    if (previous !== undefined) {
      throw new Error(`layers: ${previous} and ${layer} both name block ${block} of ${depth}; list each block once`);
    }
    seen.set(block, layer);
  }
  const blocks = [...seen.keys()].sort((a, b) => a - b);
  return { blocks, layers: blocks.map((block) => seen.get(block)!) };
}
