/**
 * Taking a lock that another process may hold, and waiting for it: many jobs
 * of one Slurm array start at once, one of them downloads (or converts) and
 * the others wait, then find the result in the cache. Built on the shard
 * lock (src/shards/shard-lock.ts): created exclusively, renewed while held,
 * taken over when its holder died (same host) or its lease ran out.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ShardLock } from '../shards/shard-lock.js';

export interface WaitOptions {
  log: (line: string) => void;
  /** What the holder is doing, for the waiting line, e.g. `downloading timm/ViT-B-16-SigLIP`. */
  what: string;
  /** Lease of a held lock (default 120 s; renewed every third of it); it matters only to waiters on other hosts. */
  leaseMs?: number;
  pollMs?: number;
}

export async function acquireLock(lockPath: string, options: WaitOptions): Promise<ShardLock> {
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  let told = false;
  for (;;) {
    const lock = await ShardLock.tryAcquire(lockPath, { leaseMs: options.leaseMs ?? 120_000, log: options.log });
    if (lock instanceof ShardLock) return lock;
    if (!told)
      options.log(
        `hub: waiting for pid ${lock.heldBy.pid} on ${lock.heldBy.host}, which is ${options.what} (lock ${lockPath})`,
      );
    told = true;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

/** Runs `work` holding the lock at `lockPath`; the lock goes whatever happens. */
export async function withLock<T>(lockPath: string, options: WaitOptions, work: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(lockPath, options);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
