/**
 * `saev activations stats`: two streaming passes over a shard directory
 * (pass 1: means, M2, norms, max |x|, NaN/Inf, histograms; pass 2: norms about
 * the final mean), split over `nJobs` worker threads by contiguous shard
 * ranges and merged in shard order, then the statistics files and plots
 * written beside the shards.
 */
import { Worker } from 'node:worker_threads';
import { Progress } from '../progress.js';
import { getShardDirDigest, openShardDir, ShardDir } from '../reader/shard-dir.js';
import { resolveWorkerScript } from '../worker-script.js';
import { addPass2, LayerStats, mergeStats, runStatsPass } from './stats-pass.js';
import { StatsDoc, writeStatsFiles } from './stats-file.js';

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
  return Array.from({ length: k }, (_, j) => [Math.floor((j * nShards) / k), Math.floor(((j + 1) * nShards) / k)] as [number, number]);
}

function runInWorker(job: object, onImgs: (n: number) => void): Promise<LayerStats[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(resolveWorkerScript('stats/stats-worker.js'), { workerData: job });
    worker.on('message', (msg: { imgs?: number; stats?: LayerStats[] }) => {
      if (msg.imgs) onImgs(msg.imgs);
      if (msg.stats) resolve(msg.stats);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => code !== 0 && reject(new Error(`stats: worker exited with code ${code}`)));
  });
}

/** Runs one pass over all shards, split over jobs, merged in shard order. */
async function runPass(sd: ShardDir, pass: 1 | 2, prior: LayerStats[] | undefined, options: StatsOptions, progress: Progress): Promise<LayerStats[]> {
  const ranges = splitShards(sd.shards.length, options.nJobs ?? 1);
  const onImgs = (n: number) => progress.tick(n);
  const parts =
    ranges.length === 1
      ? [await runStatsPass(sd, { shard0: ranges[0][0], shard1: ranges[0][1], pass, prior, chunkBytes: options.chunkBytes, onImgs })]
      : await Promise.all(ranges.map(([shard0, shard1]) => runInWorker({ dir: sd.dir, shard0, shard1, pass, prior, chunkBytes: options.chunkBytes }, onImgs)));
  const [first, ...rest] = parts;
  for (const part of rest) mergeStats(first, part);
  return first;
}

export async function runStats(dir: string, options: StatsOptions = {}): Promise<StatsResult> {
  const sd = await openShardDir(dir);
  const digest = await getShardDirDigest(sd);
  const progress = new Progress({ label: 'stats', unit: 'images', total: 2 * sd.nImgs, stream: options.progressStream });
  const stats = await runPass(sd, 1, undefined, options, progress);
  const pass2 = await runPass(sd, 2, stats, options, progress);
  addPass2(stats, pass2);
  const elapsedS = progress.elapsedS;
  const bytesRead = 2 * sd.nImgs * sd.bytesPerImg;
  const mbPerS = bytesRead / 1e6 / elapsedS;
  progress.finish(`${sd.nImgs} images x 2 passes in ${elapsedS.toFixed(1)} s (${mbPerS.toFixed(0)} MB/s)`);
  const { doc, files } = await writeStatsFiles(sd, digest, stats, { plots: options.plots ?? true });
  return { doc, files, elapsedS, mbPerS };
}
