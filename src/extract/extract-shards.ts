/**
 * One job's range of shards, resumably. For each shard of the range:
 * skip it if its completion marker agrees with this run; otherwise take its
 * lock (taking over a stale one), run its images through the model in
 * batches that start at the shard's first image (so any split, resume or
 * job count gives the same batches, hence the same bytes), write the shard,
 * make it durable, and only then write its marker and drop the lock. Shards
 * locked by a live process are left for last and then waited for: they end
 * up done by their holder, or taken over if the holder dies.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { takeBackendError } from '../backend.js';
import { tf } from '../tf.js';
import type { ImageDataset } from '../data/dataset.js';
import type { ImagePreprocessor } from '../images/preprocess-pool.js';
import { getBytesPerShard, getImgsPerEachShard, getShardFileName } from '../shards/layout.js';
import { crashPoint } from '../util/crash-point.js';
import { getMarkerPath, removeMarker, STATE_DIR, writeMarker } from '../shards/shard-marker.js';
import { describeWriteError } from '../shards/shard-io.js';
import { ShardFile } from '../shards/shard-file.js';
import { ShardLock } from '../shards/shard-lock.js';
import { getShardStatus } from '../shards/shard-status.js';
import type { VitArch } from '../vit/arch.js';
import { recordActivations } from '../vit/tokens.js';
import type { ValidExtractConfig } from './config.js';
import type { JobRange } from './job-range.js';
import { loadBatch, PixelBatch } from './load-batch.js';
import type { PreparedRun } from './prepare-run.js';

export interface ShardJobContext {
  config: ValidExtractConfig;
  run: PreparedRun;
  dataset: ImageDataset;
  recorder: tf.LayersModel;
  arch: VitArch;
  /** Images per forward pass. */
  batchSize: number;
  /** Resize, crop and normalise of decoded images (worker threads). */
  preprocessor: ImagePreprocessor;
  /** `tensorflow 4.22.0`: recorded in every marker. */
  backend: string;
  log: (line: string) => void;
  /** Called after each batch is written, with its image count. */
  onImages: (n: number) => void;
  /**
   * Called for each shard found complete on disk, whether its marker was written here (before the lock is
   * released) or by another job, including shards complete before this run started (the caller tells them apart).
   */
  onShardDone?: (shard: number) => void;
  /** Poll interval while waiting for a shard another process holds. */
  pollMs?: number;
}

export interface JobRangeOutcome {
  /** Shards this job wrote. */
  written: number[];
  /** Shards already complete (verified by marker and size) and skipped. */
  skipped: number[];
  /** Shards completed by another process while this one waited. */
  doneElsewhere: number[];
}

/** How far this job's range of shards is at the start: its shards and images, and how many are complete. */
export interface JobRangeStatus {
  nShards: number;
  nImgs: number;
  nCompleteShards: number;
  nCompleteImgs: number;
  /** The shards complete at the start (`nCompleteShards` of them). */
  completeShards: ReadonlySet<number>;
}

export async function getJobRangeStatus(run: PreparedRun, range: JobRange, dtype: string): Promise<JobRangeStatus> {
  const counts = getImgsPerEachShard(run.metadata.nImgs, run.geometry);
  const completeShards = new Set<number>();
  const status = { nShards: range.end - range.first, nImgs: 0, nCompleteShards: 0, nCompleteImgs: 0, completeShards };
  for (let shard = range.first; shard < range.end; shard++) {
    const { complete } = await getShardStatus(run.shardDir, {
      name: getShardFileName(shard),
      nExamples: counts[shard],
      bytes: getBytesPerShard(run.geometry),
      dtype,
    });
    status.nImgs += counts[shard];
    if (complete) {
      completeShards.add(shard);
      status.nCompleteShards += 1;
      status.nCompleteImgs += counts[shard];
    }
  }
  return status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function extractJobRange(ctx: ShardJobContext, range: JobRange): Promise<JobRangeOutcome> {
  const { shardDir } = ctx.run;
  await fs.mkdir(path.join(shardDir, STATE_DIR), { recursive: true });
  const counts = getImgsPerEachShard(ctx.run.metadata.nImgs, ctx.run.geometry);
  const outcome: JobRangeOutcome = { written: [], skipped: [], doneElsewhere: [] };
  const deferred: number[] = [];
  for (let shard = range.first; shard < range.end; shard++) {
    const result = await tryShard(ctx, shard, counts[shard]);
    if (result === 'held') deferred.push(shard);
    else outcome[result === 'written' ? 'written' : 'skipped'].push(shard);
    if (result === 'complete') ctx.onShardDone?.(shard);
  }
  for (const shard of deferred) {
    let announced = false;
    for (;;) {
      const result = await tryShard(ctx, shard, counts[shard], (holder) => {
        if (!announced) ctx.log(`lock: ${getShardFileName(shard)} is being written by ${holder}; waiting for it`);
        announced = true;
      });
      if (result === 'written') outcome.written.push(shard);
      if (result === 'complete') {
        outcome.doneElsewhere.push(shard);
        ctx.onShardDone?.(shard);
      }
      if (result !== 'held') break;
      await sleep(ctx.pollMs ?? 1000);
    }
  }
  return outcome;
}

async function tryShard(
  ctx: ShardJobContext,
  shard: number,
  nExamples: number,
  onHeld?: (holder: string) => void,
): Promise<'written' | 'complete' | 'held'> {
  const { shardDir, geometry } = ctx.run;
  const name = getShardFileName(shard);
  const expected = { name, nExamples, bytes: getBytesPerShard(geometry), dtype: ctx.config.dtype };
  const before = await getShardStatus(shardDir, expected);
  if (before.complete) return 'complete';
  const lock = await ShardLock.tryAcquire(path.join(shardDir, STATE_DIR, `${name}.lock`), {
    leaseMs: ctx.config.lockLeaseS * 1000,
    log: ctx.log,
  });
  if (!(lock instanceof ShardLock)) {
    onHeld?.(`pid ${lock.heldBy.pid} on ${lock.heldBy.host}`);
    return 'held';
  }
  try {
    const status = await getShardStatus(shardDir, expected); // another job may have finished it meanwhile
    if (status.complete) return 'complete';
    if (status.hadMarker) {
      ctx.log(`resume: redoing ${name} (${status.reason})`);
      await removeMarker(shardDir, name);
    }
    const file = await ShardFile.open(shardDir, geometry, shard, ctx.config.dtype);
    let committed;
    try {
      await writeRows(ctx, file, shard * ctx.run.nImgsPerShard, nExamples, lock);
      await lock.assertHeld();
      committed = await file.commit();
    } catch (error) {
      await file.abort();
      throw error;
    }
    const marker = {
      name,
      n_examples: nExamples,
      bytes: committed.bytes,
      dtype: ctx.config.dtype,
      rows_sha256: committed.rowsSha256,
      backend: ctx.backend,
    };
    await writeMarker(shardDir, marker).catch((error) => {
      throw describeWriteError(error, getMarkerPath(shardDir, name));
    });
    // Counted the moment the marker exists, before the lock is released: a signal in between must not
    // report one shard fewer than the disk holds.
    ctx.onShardDone?.(shard);
    return 'written';
  } finally {
    await lock.release();
  }
}

/**
 * Images `[first, first + n)` through the model into `file`, three batches in flight: while batch i+1 runs
 * on the model, batch i+2 is decoded and batch i is read back and then written. On a GPU backend the
 * readback of one batch overlaps the next batch's kernels; on CPU backends the model runs synchronously and
 * only decoding and writing overlap it.
 */
async function writeRows(
  ctx: ShardJobContext,
  file: ShardFile,
  first: number,
  n: number,
  lock: ShardLock,
): Promise<void> {
  const side = ctx.arch.imageSize;
  const end = first + n;
  const load = (start: number): Promise<PixelBatch> | null => {
    if (start >= end) return null;
    const pending = loadBatch(
      ctx.dataset,
      start,
      Math.min(ctx.batchSize, end - start),
      ctx.preprocessor,
      ctx.config.nWorkers,
    );
    // awaited below; this only stops an early rejection from being reported as unhandled
    pending.catch(() => undefined);
    return pending;
  };
  let next = load(first);
  let running: { batch: PixelBatch; values: Promise<Float32Array> } | null = null;
  let pendingWrite: Promise<void> = Promise.resolve();
  const write = async (batch: PixelBatch, values: Float32Array) => {
    await pendingWrite;
    pendingWrite = file.write(values).then(() => {
      crashPoint('batch-written');
      ctx.onImages(batch.size);
      void lock.renew();
    });
    pendingWrite.catch(() => undefined); // awaited on the next turn, after the loop, or below
  };
  try {
    while (next) {
      const batch = await next;
      next = load(batch.start + batch.size);
      const started = { batch, values: startBatch(ctx, batch, side) };
      started.values.catch(() => undefined); // awaited on the next turn or after the loop
      const previous = running;
      running = started;
      if (previous) await write(previous.batch, await previous.values);
    }
    if (running) await write(running.batch, await running.values);
    await pendingWrite;
  } catch (error) {
    // The file must be idle, and no batch left on the model, before the caller aborts it and removes it.
    await pendingWrite.catch(() => undefined);
    await running?.values.catch(() => undefined);
    await next?.catch(() => undefined);
    throw error;
  }
}

/**
 * Puts one batch on the model and starts reading back its `acts_BLTD` values; the promise resolves to them.
 * The input is freed at once and the output once read, so no tensor outlives the batch.
 */
function startBatch(ctx: ShardJobContext, batch: PixelBatch, side: number): Promise<Float32Array> {
  const pixels_BHWC = tf.tensor4d(batch.pixels, [batch.size, side, side, 3]);
  let acts_BLTD: tf.Tensor4D;
  try {
    acts_BLTD = recordActivations(ctx.recorder, pixels_BHWC, ctx.arch);
  } finally {
    pixels_BHWC.dispose();
  }
  const end = batch.start + batch.size - 1;
  return (acts_BLTD.data() as Promise<Float32Array>)
    .then((values) => {
      const error = takeBackendError();
      if (error) {
        throw new Error(
          `${ctx.backend}: the GPU failed on images ${batch.start}..${end} (${error}); nothing of theirs was written (a smaller --vit-batch-size needs less memory)`,
        );
      }
      return values;
    })
    .finally(() => acts_BLTD.dispose());
}
