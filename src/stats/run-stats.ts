/**
 * `saev activations stats`: two streaming passes over a shard directory
 * (pass 1: means, norms, max |x|, NaN/Inf, histograms; pass 2: variances and
 * norms about the final mean), in this thread or, with `nJobs` > 1, split over up
 * to `nJobs` worker threads (at most one per shard, each kept for both passes) by
 * contiguous shard ranges and merged in shard order, then the
 * statistics files and plots written beside the shards.
 */
import { Worker } from 'node:worker_threads';
import { Progress } from '../progress.js';
import { getShardDirDigest, openShardDir, ShardDir } from '../shards/shard-dir.js';
import { WorkerRequests } from '../worker-requests.js';
import { resolveWorkerScript } from '../worker-script.js';
import { addPass2, LayerStats, mergeStats, runStatsPass } from './stats-pass.js';
import type { StatsDoc } from './stats-doc.js';
import { checkStatsWritable, writeStatsFiles } from './stats-file.js';

export interface StatsOptions {
  /** Worker threads (1 = in this thread). */
  nJobs?: number;
  chunkBytes?: number;
  /** Write the plots (PNG) too. */
  plots?: boolean;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface StatsResult {
  doc: StatsDoc;
  files: string[];
  elapsedS: number;
  /** Shard bytes read (both passes) per second of wall time. */
  mbPerS: number;
}

/** Splits shards [0, n) into at most `nJobs` contiguous ranges of near-equal size. */
export function splitShards(nShards: number, nJobs: number): Array<[number, number]> {
  const k = Math.max(1, Math.min(nJobs, nShards));
  return Array.from(
    { length: k },
    (_, j) => [Math.floor((j * nShards) / k), Math.floor(((j + 1) * nShards) / k)] as [number, number],
  );
}

/** Runs passes over one shard range: here, or on a worker thread kept for both passes. */
interface RangeRunner {
  run(pass: 1 | 2, prior?: LayerStats[]): Promise<LayerStats[]>;
  close(): Promise<void>;
}

function makeLocalRunner(
  sd: ShardDir,
  [shard0, shard1]: [number, number],
  chunkBytes: number | undefined,
  onImgs: (n: number) => void,
): RangeRunner {
  return {
    run: (pass, prior) => runStatsPass(sd, { shard0, shard1, pass, prior, chunkBytes, onImgs }),
    close: async () => undefined,
  };
}

function makeWorkerRunner(
  dir: string,
  [shard0, shard1]: [number, number],
  chunkBytes: number | undefined,
  onImgs: (n: number) => void,
): RangeRunner {
  const worker = new Worker(resolveWorkerScript('stats/stats-worker.js'), {
    workerData: { dir, shard0, shard1, chunkBytes },
  });
  const requests = new WorkerRequests<{ id: number; stats: LayerStats[] }>();
  requests.watch(worker, 'stats');
  worker.on('message', (msg: { imgs?: number }) => msg.imgs && onImgs(msg.imgs));
  return {
    run: (pass, prior) => requests.send(worker, { pass, prior }).then((reply) => reply.stats),
    close: async () => void (await worker.terminate()),
  };
}

/** Runs one pass over all shards, split over the runners, merged in shard order. */
async function runPass(runners: RangeRunner[], pass: 1 | 2, prior?: LayerStats[]): Promise<LayerStats[]> {
  const [first, ...rest] = await Promise.all(runners.map((r) => r.run(pass, prior)));
  for (const part of rest) mergeStats(first, part);
  return first;
}

export async function runStats(dir: string, options: StatsOptions = {}): Promise<StatsResult> {
  const sd = await openShardDir(dir);
  if (sd.nImgs === 0)
    throw new Error(`stats: ${dir} holds no images (metadata.json: n_imgs 0), so there is nothing to summarise`);
  await checkStatsWritable(sd.dir);
  const progress = new Progress({
    label: 'stats',
    unit: 'image reads',
    total: 2 * sd.nImgs,
    stream: options.progressStream,
  });
  const onImgs = (n: number) => progress.tick(n);
  const ranges = splitShards(sd.shards.length, options.nJobs ?? 1);
  // Worker threads start first, so they load while this thread computes the digest.
  const runners = ranges.map((range) =>
    ranges.length === 1
      ? makeLocalRunner(sd, range, options.chunkBytes, onImgs)
      : makeWorkerRunner(sd.dir, range, options.chunkBytes, onImgs),
  );
  try {
    const digest = await getShardDirDigest(sd);
    const stats = await runPass(runners, 1);
    addPass2(stats, await runPass(runners, 2, stats));
    const elapsedS = progress.elapsedS;
    const mbPerS = (2 * sd.nImgs * sd.bytesPerImg) / 1e6 / elapsedS;
    progress.finish(`${sd.nImgs} images x 2 passes in ${elapsedS.toFixed(1)} s (${mbPerS.toFixed(0)} MB/s)`);
    const { doc, files } = await writeStatsFiles(sd, digest, stats, { plots: options.plots ?? true });
    return { doc, files, elapsedS, mbPerS };
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
}
