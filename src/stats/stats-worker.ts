/**
 * Worker thread for `saev activations stats --n-jobs`: owns one shard range
 * for both passes. Each request `{ id, pass, prior }` is answered with
 * `{ id, stats }` (or `{ id, error }`); `{ imgs }` messages report progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openShardDir } from '../shards/shard-dir.js';
import { LayerStats, runStatsPass } from './stats-pass.js';

interface Job {
  dir: string;
  shard0: number;
  shard1: number;
  chunkBytes?: number;
}

interface PassRequest {
  id: number;
  pass: 1 | 2;
  prior?: LayerStats[];
}

const job = workerData as Job;
const opening = openShardDir(job.dir);
opening.catch(() => undefined); // reported in the reply to each request, not as an unhandled rejection
parentPort!.on('message', async ({ id, pass, prior }: PassRequest) => {
  try {
    const stats = await runStatsPass(await opening, {
      ...job,
      pass,
      prior,
      onImgs: (n) => parentPort!.postMessage({ imgs: n }),
    });
    parentPort!.postMessage({ id, stats });
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
