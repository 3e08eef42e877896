/**
 * The fast path of the ordered iterator for whole-row modes (`patches` or
 * `cls` tokens of an integer layer or of `all` layers) over float32 shards:
 * an item is one stored row of D values, so runs of items that are adjacent
 * in a file are read straight into the output batch memory with no copy in
 * JavaScript. Items are planned in spans (a whole number of batches, about
 * `spanBytes`); a span's reads are all issued at once, each scanned for the
 * clamp as it lands, and `readAhead` more spans are read while the current
 * one is clamped, normalised and yielded.
 *
 * A yielded batch is a view of its span's memory. By default each span gets
 * fresh memory that the iterator never writes again, so the caller may keep
 * any batch (a kept batch keeps its whole span alive). With `reuseBatches`,
 * `readAhead + 1` spans of WebAssembly memory are recycled and scanned in
 * place: no page faults on fresh memory, no garbage and no copy for the scan,
 * but a batch is only valid until the iterator's next step.
 */
import { locateImg } from '../shards/layout.js';
import type { ActsBatch } from './batch.js';
import type { FilePool } from '../util/file-pool.js';
import { getClampBits, normalizeRow } from './item-values.js';
import type { Mode } from './modes.js';
import { allocFreshScanMemory, allocSimdScanMemory, ScanMemory } from './scan-memory.js';
import type { Normalization } from './normalization.js';
import type { ShardDir } from '../shards/shard-dir.js';

export interface DirectRowsOptions {
  batchSize: number;
  /** Target bytes per span (rounded to whole batches; at least one batch). */
  spanBytes: number;
  /** Spans read ahead of the one being yielded. */
  readAhead: number;
  clamp: number;
  scale: Normalization;
  /** Recycle span memory: a yielded batch is valid only until the next step. */
  reuseBatches: boolean;
}

/** Whether `mode` over `sd` can use the direct path: one stored float32 row per item. */
export function canReadRowsDirect(mode: Mode, sd: ShardDir): boolean {
  return sd.dtype === 'float32' && mode.patches !== 'meanpool' && mode.layer !== 'meanpool';
}

interface Span {
  n: number;
  memory: ScanMemory;
  acts_BD: Float32Array;
  imageI: Int32Array;
  patchI: Int32Array;
  layerI: Int32Array;
  /** Largest |x| bits of the values read so far (each read is scanned as soon as it lands, while still in cache). */
  maxAbsBits: number;
  done: Promise<unknown>;
}

/** Starts reading span [i0, i1) into `memory`: one read per run of file-adjacent items. */
function startSpan(sd: ShardDir, mode: Mode, pool: FilePool, i0: number, i1: number, memory: ScanMemory): Span {
  const { nLayers: L, nPatchesPerImg: P, nTokensPerImg: T, dVit: D } = sd;
  const n = i1 - i0;
  const acts_BD = new Float32Array(memory.buffer, 0, n * D);
  const span = {
    n,
    memory,
    acts_BD,
    imageI: new Int32Array(n),
    patchI: new Int32Array(n),
    layerI: new Int32Array(n),
    maxAbsBits: 0,
  };
  const perImg = mode.patches === 'patches' ? P : 1;
  const t0 = mode.patches === 'cls' ? 0 : sd.clsToken ? 1 : 0;
  const bytesPerRow = D * 4;
  const reads: Array<Promise<unknown>> = [];
  let runShard = -1;
  let runStart = 0; // byte offset in the shard
  let runEnd = 0;
  let runOut = 0; // item index in the span
  const flush = () => {
    if (runShard < 0) return;
    const into = new Uint8Array(memory.buffer, runOut * bytesPerRow, runEnd - runStart);
    const [v0, v1] = [runOut * D, runOut * D + (runEnd - runStart) / 4];
    reads.push(
      pool.read(sd.shards[runShard].path, runStart, runEnd - runStart, into).then(() => {
        span.maxAbsBits = Math.max(span.maxAbsBits, memory.maxAbsBits(v0, v1));
      }),
    );
  };
  let i = i0;
  while (i < i1) {
    // One segment: the items of one (image, layer) that lie in this span, consecutive rows of the file.
    const patch = mode.patches === 'patches' ? i % perImg : 0;
    const rest = Math.floor(i / perImg);
    const img = mode.layer === 'all' ? Math.floor(rest / L) : rest;
    const l = mode.layer === 'all' ? rest % L : mode.layerSlot;
    const k = Math.min(i1 - i, perImg - patch);
    const { shard, row } = locateImg(img, sd.geometry);
    const start = ((row * L + l) * T + t0 + patch) * bytesPerRow;
    const b = i - i0;
    span.imageI.fill(img, b, b + k);
    span.layerI.fill(l, b, b + k);
    if (mode.patches === 'patches') for (let q = 0; q < k; q++) span.patchI[b + q] = patch + q;
    else span.patchI.fill(-1, b, b + k);
    if (shard === runShard && start === runEnd) {
      runEnd += k * bytesPerRow;
    } else {
      flush();
      [runShard, runStart, runEnd, runOut] = [shard, start, start + k * bytesPerRow, b];
    }
    i += k;
  }
  flush();
  const done = Promise.all(reads);
  // awaited later; a span abandoned by an early break must not raise an unhandled rejection
  done.catch(() => undefined);
  return Object.assign(span, { done });
}

/**
 * saev 0.1.0's transform over a whole span: the clamp (a float pass only when the scans found |x| above it, or NaN),
 * then mean and scalar per row.
 */
function normalizeSpan(span: Span, D: number, clamp: number, scale: Normalization): void {
  if (span.maxAbsBits > getClampBits(clamp)) normalizeRow(span.acts_BD, 0, span.acts_BD.length, clamp, null, 1);
  if (scale.mean_D || scale.scalar !== 1) {
    for (let b = 0; b < span.n; b++) normalizeRow(span.acts_BD, b * D, D, Infinity, scale.mean_D, scale.scalar);
  }
}

/** Items [0, nItems) in index order, in batches of `batchSize` (the last may be smaller). */
export async function* iterateRowsDirect(
  sd: ShardDir,
  mode: Mode,
  pool: FilePool,
  nItems: number,
  options: DirectRowsOptions,
): AsyncGenerator<ActsBatch> {
  const { batchSize } = options;
  const D = sd.dVit;
  const batchesPerSpan = Math.min(
    Math.ceil(nItems / batchSize),
    Math.max(1, Math.floor(options.spanBytes / (batchSize * D * 4))),
  );
  const perSpan = batchSize * batchesPerSpan;
  const queue: Span[] = [];
  const recycled: ScanMemory[] = [];
  const getMemory = (n: number) => {
    if (!options.reuseBatches) return allocFreshScanMemory(n * D * 4);
    return recycled.pop() ?? allocSimdScanMemory(perSpan * D * 4);
  };
  let next = 0;
  const start = () => {
    const i1 = Math.min(nItems, next + perSpan);
    queue.push(startSpan(sd, mode, pool, next, i1, getMemory(i1 - next)));
    next += perSpan;
  };
  while (queue.length || next < nItems) {
    if (!queue.length) start();
    const span = queue.shift()!;
    while (next < nItems && queue.length < options.readAhead) start(); // read while this span lands and is used
    await span.done;
    normalizeSpan(span, D, options.clamp, options.scale);
    for (let b0 = 0; b0 < span.n; b0 += batchSize) {
      const b1 = Math.min(span.n, b0 + batchSize);
      yield {
        n: b1 - b0,
        dVit: D,
        acts_BD: span.acts_BD.subarray(b0 * D, b1 * D),
        imageI: span.imageI.subarray(b0, b1),
        patchI: span.patchI.subarray(b0, b1),
        layerI: span.layerI.subarray(b0, b1),
      };
    }
    if (options.reuseBatches) recycled.push(span.memory);
  }
}
