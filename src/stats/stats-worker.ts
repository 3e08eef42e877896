/** Worker thread for `saev activations stats --n-jobs`: runs one pass over a shard range and posts the result back. */
import { parentPort, workerData } from 'node:worker_threads';
import { openShardDir } from '../reader/shard-dir.js';
import { LayerStats, runStatsPass } from './stats-pass.js';

interface Job {
  dir: string;
  shard0: number;
  shard1: number;
  pass: 1 | 2;
  prior?: LayerStats[];
  chunkBytes?: number;
}

const job = workerData as Job;
const sd = await openShardDir(job.dir);
const stats = await runStatsPass(sd, { ...job, onImgs: (n) => parentPort!.postMessage({ imgs: n }) });
parentPort!.postMessage({ stats });
