/**
 * The end of a job: if every shard of the directory is complete (by its
 * marker), write `shards.json` in the directory's format (the same bytes
 * whichever job writes it, so concurrent finishers agree); and the start of a job: remove temporary
 * files that dead processes of this host left behind.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { parsePrivateTmpName } from '../util/create-once.js';
import { getBytesPerShard, getImgsPerEachShard, getShardFileName } from '../shards/layout.js';
import { STATE_DIR } from '../shards/shard-marker.js';
import { getShardStatus } from '../shards/shard-status.js';
import { formatShardRecords, ShardRecord, SHARDS_FILE } from '../shards/shard-metadata.js';
import { getStaleReason, ShardLock } from '../shards/shard-lock.js';
import type { PreparedRun } from './prepare-run.js';

export interface RunCompletion {
  /** All shards complete and `shards.json` written. */
  complete: boolean;
  /** Names of shards not complete yet. */
  missing: string[];
  records: ShardRecord[];
}

/** Removes the lock files that dead holders left on shards (only called once every shard is complete). */
async function removeStaleLocks(shardDir: string, log: (line: string) => void): Promise<void> {
  const stateDir = path.join(shardDir, STATE_DIR);
  const names = await fs.readdir(stateDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.lock'))) {
    const lock = await ShardLock.tryAcquire(path.join(stateDir, name), { leaseMs: 60_000, log });
    if (lock instanceof ShardLock) await lock.release();
  }
}

export async function finishIfComplete(
  run: PreparedRun,
  dtype: string,
  log: (line: string) => void,
): Promise<RunCompletion> {
  const counts = getImgsPerEachShard(run.metadata.nImgs, run.geometry);
  const missing: string[] = [];
  for (let shard = 0; shard < counts.length; shard++) {
    const name = getShardFileName(shard);
    const status = await getShardStatus(run.shardDir, {
      name,
      nExamples: counts[shard],
      bytes: getBytesPerShard(run.geometry),
      dtype,
    });
    if (!status.complete) missing.push(name);
  }
  const { records, text } = formatShardRecords(run.metadata.nImgs, run.geometry, run.metadata.format);
  if (missing.length > 0) return { complete: false, missing, records };
  await removeStaleLocks(run.shardDir, log);
  await writeFileAtomic(path.join(run.shardDir, SHARDS_FILE), text);
  return { complete: true, missing, records };
}

/** Deletes `.<name>.tmp-<host>-<pid>-*` files of this host whose process is gone; returns how many. */
export async function removeDeadTmpFiles(shardDir: string): Promise<number> {
  let removed = 0;
  for (const dir of [shardDir, path.join(shardDir, STATE_DIR)]) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const owner = parsePrivateTmpName(name);
      if (!owner || owner.host !== os.hostname()) continue;
      if (
        getStaleReason({ pid: owner.pid, host: owner.host, start: null, token: '', leaseUntil: 0 }, Date.now()) === null
      )
        continue;
      await fs.rm(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}
