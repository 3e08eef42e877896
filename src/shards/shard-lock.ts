/**
 * Exclusive locks on shards, so two processes never write the same shard,
 * robust to a holder killed with SIGKILL. A lock is a file created whole and
 * exclusively (hard link of a private temporary file) holding its owner:
 *
 *   {"pid": 4242, "host": "node17", "start": "123456", "token": "...", "leaseUntil": 1764240000000}
 *
 * It is stale when its host is this host and the process is gone (or the pid
 * was reused: `start` is the process start time from /proc), or, for another
 * host, when its lease ran out; the holder renews the lease while it works.
 * A stale lock is moved aside with one atomic rename (so only one taker wins),
 * removed, and the takeover is logged.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import os from 'node:os';
import { getPrivateTmpPath } from '../util/create-once.js';

export interface LockOwner {
  pid: number;
  host: string;
  /** Process start time (from /proc/<pid>/stat), or null where unknown. */
  start: string | null;
  token: string;
  /** Epoch ms until which the lock holds without renewal. */
  leaseUntil: number;
}

export interface LockOptions {
  /** Lease length; renewed every third of it. */
  leaseMs: number;
  /** Log lines (takeovers). */
  log: (line: string) => void;
  now?: () => number;
}

/** Start time of `pid` (clock ticks since boot) on Linux, else null. Null too for a zombie or a missing process. */
export function getProcessStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : fields[19];
  } catch {
    return null;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return process.platform !== 'linux' || getProcessStart(pid) !== null;
}

/** Why `owner` no longer holds its lock, or null if it still does. */
export function getStaleReason(owner: LockOwner, now: number): string | null {
  if (owner.host === os.hostname()) {
    if (!isProcessAlive(owner.pid)) return `pid ${owner.pid} on ${owner.host} is gone`;
    if (owner.start !== null && process.platform === 'linux' && getProcessStart(owner.pid) !== owner.start)
      return `pid ${owner.pid} on ${owner.host} was reused`;
    return null;
  }
  return now > owner.leaseUntil
    ? `lease of pid ${owner.pid} on ${owner.host} expired ${Math.round((now - owner.leaseUntil) / 1000)} s ago`
    : null;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const raw = JSON.parse(text);
    return Number.isSafeInteger(raw.pid) &&
      typeof raw.host === 'string' &&
      typeof raw.token === 'string' &&
      Number.isFinite(raw.leaseUntil)
      ? raw
      : null;
  } catch {
    return null;
  }
}

async function readOwner(lockPath: string): Promise<LockOwner | 'absent' | 'corrupt'> {
  try {
    return parseOwner(await fs.readFile(lockPath, 'utf8')) ?? 'corrupt';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
}

async function createExclusive(lockPath: string, text: string): Promise<boolean> {
  const tmpPath = getPrivateTmpPath(lockPath);
  await fs.writeFile(tmpPath, text, { flag: 'wx' });
  try {
    await fs.link(tmpPath, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(tmpPath, { force: true });
  }
}

export class ShardLock {
  private timer: NodeJS.Timeout | null = null;
  private lostReason: string | null = null;
  private renewing: Promise<void> = Promise.resolve();

  private constructor(
    readonly lockPath: string,
    private owner: LockOwner,
    private readonly options: LockOptions,
  ) {}

  /**
   * Takes the lock at `lockPath`, taking over a stale one. Returns the lock,
   * or the live owner when someone else holds it.
   */
  static async tryAcquire(lockPath: string, options: LockOptions): Promise<ShardLock | { heldBy: LockOwner }> {
    const now = options.now ?? Date.now;
    const token = randomBytes(12).toString('hex');
    for (let attempt = 0; attempt < 20; attempt++) {
      const owner: LockOwner = {
        pid: process.pid,
        host: os.hostname(),
        start: getProcessStart(process.pid),
        token,
        leaseUntil: now() + options.leaseMs,
      };
      if (await createExclusive(lockPath, JSON.stringify(owner) + '\n')) {
        const lock = new ShardLock(lockPath, owner, options);
        lock.startRenewing();
        return lock;
      }
      const current = await readOwner(lockPath);
      if (current === 'absent') continue; // released in between
      const reason = current === 'corrupt' ? 'the lock file is unreadable' : getStaleReason(current, now());
      if (reason === null) return { heldBy: current as LockOwner };
      const asidePath = `${lockPath}.stale-${token}`;
      try {
        await fs.rename(lockPath, asidePath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another taker won
        throw error;
      }
      const moved = await readOwner(asidePath);
      if (current !== 'corrupt' && moved !== 'absent' && moved !== 'corrupt' && moved.token !== current.token) {
        // We moved a lock created after our read: put it back and treat it as held.
        await fs.link(asidePath, lockPath).catch(() => undefined);
        await fs.rm(asidePath, { force: true });
        continue;
      }
      await fs.rm(asidePath, { force: true });
      options.log(`lock: took over stale lock ${lockPath} (${reason})`);
    }
    throw new Error(`lock: could not take ${lockPath} after 20 attempts; check for jobs fighting over it`);
  }

  private startRenewing(): void {
    const every = Math.max(50, Math.floor(this.options.leaseMs / 3));
    this.timer = setInterval(() => void this.renew().catch(() => undefined), every);
    this.timer.unref();
  }

  /** Extends the lease; notes the loss if another process took the lock meanwhile. Renewals never overlap. */
  renew(): Promise<void> {
    this.renewing = this.renewing.then(() => this.renewOnce()).catch(() => undefined);
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    if (this.lostReason !== null || this.timer === null) return;
    const current = await readOwner(this.lockPath);
    if (current === 'absent' || current === 'corrupt' || current.token !== this.owner.token) {
      this.lostReason =
        current === 'absent' || current === 'corrupt'
          ? 'its file disappeared'
          : `pid ${current.pid} on ${current.host} took it over`;
      return;
    }
    this.owner = { ...this.owner, leaseUntil: (this.options.now ?? Date.now)() + this.options.leaseMs };
    const tmpPath = getPrivateTmpPath(this.lockPath);
    await fs.writeFile(tmpPath, JSON.stringify(this.owner) + '\n');
    await fs.rename(tmpPath, this.lockPath);
  }

  /** Throws if the lock was lost (its lease ran out and another process took it). */
  async assertHeld(): Promise<void> {
    await this.renew();
    if (this.lostReason !== null)
      throw new Error(
        `lock: lost ${this.lockPath} (${this.lostReason}); this job's shard was not marked complete, the new holder redoes it`,
      );
  }

  /** Stops renewing and removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.renewing;
    const current = await readOwner(this.lockPath).catch(() => 'absent' as const);
    if (current !== 'absent' && current !== 'corrupt' && current.token === this.owner.token)
      await fs.rm(this.lockPath, { force: true });
  }
}
