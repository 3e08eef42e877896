/**
 * The shuffled iterator: every item exactly once, in an order fixed by a
 * seed. Shards are visited in a random permutation, each shard's chunks
 * (`chunkBytes` of whole images, read sequentially within a chunk) in a random
 * permutation, and items pass through a shuffle buffer of `bufferSize` items:
 * once it is full, each new item replaces a uniformly chosen one, which is
 * emitted. Memory is the buffer, two chunks as read, one chunk's items
 * (float32) and one batch.
 */
import { makeUniform } from '../random.js';
import type { ShardDir } from '../shards/shard-dir.js';
import { ActsBatch, copyRow, makeBatch, sliceBatch } from './batch.js';
import type { ResolvedShuffleOptions } from './iterate-options.js';

/** What the shuffled iterator reads through; src/reader/dataset.ts's `ActivationsDataset` is one. */
export interface ShuffleSource {
  readonly shards: ShardDir;
  readonly dVit: number;
  readonly nItemsPerImg: number;
  getBatchRows(batchSize: number): number;
  getRowsPerChunk(chunkBytes: number): number;
  getChunkImgBase(k: number): number;
  writeImgItems(vals: Float32Array, imgBase: number, imageI: number, out: ActsBatch, b: number): number;
  readChunksAhead(
    chunks: ReadonlyArray<[number, number, number]>,
    rowsPerChunk: number,
  ): AsyncGenerator<[number, number, number, Float32Array]>;
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function makePermutation(n: number, uniform: () => number): number[] {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

export async function* iterateShuffled(ds: ShuffleSource, resolved: ResolvedShuffleOptions): AsyncGenerator<ActsBatch> {
  const batchSize = ds.getBatchRows(resolved.batchSize);
  const capacity = ds.getBatchRows(resolved.bufferSize);
  const uniform = makeUniform(resolved.seed);
  const rowsPerChunk = ds.getRowsPerChunk(resolved.chunkBytes);
  const sd = ds.shards;
  const chunks: Array<[number, number, number]> = [];
  for (const shard of makePermutation(sd.shards.length, uniform)) {
    const nChunks = Math.ceil(sd.shards[shard].nImgs / rowsPerChunk);
    for (const c of makePermutation(nChunks, uniform)) {
      chunks.push([shard, c * rowsPerChunk, Math.min(sd.shards[shard].nImgs, (c + 1) * rowsPerChunk)]);
    }
  }
  const perImg = ds.nItemsPerImg;
  const buffer = makeBatch(capacity, ds.dVit);
  let fill = 0;
  let batch = makeBatch(batchSize, ds.dVit);
  let out = 0;
  const staging = makeBatch(rowsPerChunk * perImg, ds.dVit);
  for await (const [shard, row0, row1, vals] of ds.readChunksAhead(chunks, rowsPerChunk)) {
    let m = 0;
    for (let r = row0; r < row1; r++)
      m = ds.writeImgItems(vals, ds.getChunkImgBase(r - row0), shard * sd.nImgsPerShard + r, staging, m);
    for (let k = 0; k < m; k++) {
      if (fill < capacity) {
        copyRow(staging, k, buffer, fill++);
        continue;
      }
      const j = Math.floor(uniform() * capacity);
      copyRow(buffer, j, batch, out++);
      copyRow(staging, k, buffer, j);
      if (out === batchSize) {
        yield batch;
        batch = makeBatch(batchSize, ds.dVit);
        out = 0;
      }
    }
  }
  while (fill > 0) {
    const j = Math.floor(uniform() * fill);
    copyRow(buffer, j, batch, out++);
    if (j !== fill - 1) copyRow(buffer, fill - 1, buffer, j);
    fill--;
    if (out === batchSize) {
      yield batch;
      batch = makeBatch(batchSize, ds.dVit);
      out = 0;
    }
  }
  if (out > 0) yield sliceBatch(batch, out);
}
