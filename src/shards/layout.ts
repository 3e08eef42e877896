/**
 * Shard layout maths (docs/format.md#shard-files): how many images fit in one shard file, how
 * many files a run needs, and where dataset row i lives.
 *
 * A shard is raw little-endian float32 in C order with shape
 * `[S, L, T, D]`: S images per shard, L recorded layers, T = P (+1 with CLS)
 * stored tokens per image, D model width.
 */

export interface ShardGeometry {
  /** L: number of recorded layers. */
  nLayers: number;
  /** P: patch tokens stored per image. */
  nPatchesPerImg: number;
  /** Whether token 0 is the CLS token. */
  clsToken: boolean;
  /** D: model width. */
  dVit: number;
  /** The token budget per shard file (saev's `n_patches_per_shard`). */
  nPatchesPerShard: number;
  /** Bytes per stored value (4 for float32). */
  bytesPerValue: number;
}

/** T: tokens stored per image and layer. */
export function getTokensPerImg(g: Pick<ShardGeometry, 'nPatchesPerImg' | 'clsToken'>): number {
  return g.nPatchesPerImg + (g.clsToken ? 1 : 0);
}

/** S = n_patches_per_shard // L // T, exactly as saev's writer computes it; at least 1. */
export function getImgsPerShard(g: ShardGeometry): number {
  const tokensPerImg = getTokensPerImg(g);
  const nImgsPerShard = Math.floor(Math.floor(g.nPatchesPerShard / g.nLayers) / tokensPerImg);
  if (nImgsPerShard < 1) {
    throw new Error(
      `layout: --n-patches-per-shard ${g.nPatchesPerShard} is too small for one image ` +
        `(${g.nLayers} layers x ${tokensPerImg} tokens = ${g.nLayers * tokensPerImg}); raise it to at least that`,
    );
  }
  return nImgsPerShard;
}

/** Values in one image's slab `[L, T, D]`. */
export function getValuesPerImg(g: ShardGeometry): number {
  return g.nLayers * getTokensPerImg(g) * g.dVit;
}

/** Bytes of one full shard file; every shard, the last included, has this size. */
export function getBytesPerShard(g: ShardGeometry): number {
  return getImgsPerShard(g) * getValuesPerImg(g) * g.bytesPerValue;
}

/** ceil(n_imgs / S): no empty extra shard when n_imgs ends on a boundary. */
export function getShardCount(nImgs: number, g: ShardGeometry): number {
  return Math.ceil(nImgs / getImgsPerShard(g));
}

/** Real (non-padding) images in each shard, in shard order. */
export function getImgsPerEachShard(nImgs: number, g: ShardGeometry): number[] {
  const perShard = getImgsPerShard(g);
  return Array.from({ length: getShardCount(nImgs, g) }, (_, shard) => Math.min(perShard, nImgs - shard * perShard));
}

/** `acts000042.bin`: saev's `acts{shard:06}.bin`. */
export function getShardFileName(shard: number): string {
  return `acts${String(shard).padStart(6, '0')}.bin`;
}

/** Dataset row i lives at row `i % S` of shard `i // S`. */
export function locateImg(imgI: number, g: ShardGeometry): { shard: number; row: number } {
  const perShard = getImgsPerShard(g);
  return { shard: Math.floor(imgI / perShard), row: imgI % perShard };
}
