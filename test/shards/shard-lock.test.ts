// Tests src/shards/shard-lock.ts with real processes: a live holder blocks, a holder killed with
// SIGKILL (or a pid reused by another process, or an expired lease on another host) is taken over
// with a log line, the lease is renewed while held, and a lost lock is noticed before commit.
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getProcessStart, LockOwner, ShardLock } from '../../src/shards/shard-lock.js';

const tmpDir = () => fs.mkdtemp(path.join(os.tmpdir(), 'saev-lock-'));
const owner = (o: Partial<LockOwner>): string =>
  JSON.stringify({ pid: 1, host: os.hostname(), start: null, token: 'theirs', leaseUntil: Date.now() + 60_000, ...o });
const sleeper = spawn('sleep', ['60']);
afterAll(() => sleeper.kill('SIGKILL'));

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('ShardLock', () => {
  it('is exclusive within one process: a second taker sees the first as the holder', async () => {
    const lockPath = path.join(await tmpDir(), 'acts000000.bin.lock');
    const lines: string[] = [];
    const first = await ShardLock.tryAcquire(lockPath, { leaseMs: 60_000, log: (l) => lines.push(l) });
    expect(first).toBeInstanceOf(ShardLock);
    const second = await ShardLock.tryAcquire(lockPath, { leaseMs: 60_000, log: (l) => lines.push(l) });
    expect(second).toEqual({ heldBy: expect.objectContaining({ pid: process.pid, host: os.hostname() }) });
    await (first as ShardLock).release();
    await expect(fs.stat(lockPath)).rejects.toThrow(/ENOENT/);
    expect(lines).toEqual([]);
  });

  it('waits behind a live holder of this host', async () => {
    const lockPath = path.join(await tmpDir(), 'a.lock');
    await fs.writeFile(lockPath, owner({ pid: sleeper.pid!, start: getProcessStart(sleeper.pid!) }));
    expect(await ShardLock.tryAcquire(lockPath, { leaseMs: 1000, log: () => undefined })).toEqual({
      heldBy: expect.objectContaining({ pid: sleeper.pid }),
    });
  });

  it('takes over the lock of a process that was killed, and logs it', async () => {
    const lockPath = path.join(await tmpDir(), 'a.lock');
    const pid = deadPid();
    await fs.writeFile(lockPath, owner({ pid, leaseUntil: Date.now() + 3_600_000 }));
    const lines: string[] = [];
    const lock = await ShardLock.tryAcquire(lockPath, { leaseMs: 60_000, log: (l) => lines.push(l) });
    expect(lock).toBeInstanceOf(ShardLock);
    expect(lines).toEqual([`lock: took over stale lock ${lockPath} (pid ${pid} on ${os.hostname()} is gone)`]);
    expect(JSON.parse(await fs.readFile(lockPath, 'utf8')).pid).toBe(process.pid);
    await (lock as ShardLock).release();
    expect(await fs.readdir(path.dirname(lockPath))).toEqual([]);
  });

  it('takes over a lock whose pid now belongs to another process (start time differs)', async () => {
    const lockPath = path.join(await tmpDir(), 'a.lock');
    await fs.writeFile(lockPath, owner({ pid: sleeper.pid!, start: '1' }));
    const lines: string[] = [];
    const lock = await ShardLock.tryAcquire(lockPath, { leaseMs: 60_000, log: (l) => lines.push(l) });
    expect(lock).toBeInstanceOf(ShardLock);
    expect(lines[0]).toMatch(/was reused\)$/);
    await (lock as ShardLock).release();
  });

  it('on another host, respects a running lease and takes over an expired one', async () => {
    const dir = await tmpDir();
    const live = path.join(dir, 'live.lock');
    await fs.writeFile(live, owner({ host: 'elsewhere', pid: 5, leaseUntil: Date.now() + 60_000 }));
    expect(await ShardLock.tryAcquire(live, { leaseMs: 1000, log: () => undefined })).toEqual({
      heldBy: expect.objectContaining({ host: 'elsewhere' }),
    });
    const expired = path.join(dir, 'expired.lock');
    await fs.writeFile(expired, owner({ host: 'elsewhere', pid: 5, leaseUntil: Date.now() - 5_000 }));
    const lines: string[] = [];
    const lock = await ShardLock.tryAcquire(expired, { leaseMs: 1000, log: (l) => lines.push(l) });
    expect(lock).toBeInstanceOf(ShardLock);
    expect(lines[0]).toMatch(/\(lease of pid 5 on elsewhere expired \d+ s ago\)$/);
    await (lock as ShardLock).release();
  });

  it('renews its lease while held', async () => {
    const lockPath = path.join(await tmpDir(), 'a.lock');
    const lock = (await ShardLock.tryAcquire(lockPath, { leaseMs: 300, log: () => undefined })) as ShardLock;
    const first = JSON.parse(await fs.readFile(lockPath, 'utf8')).leaseUntil;
    await new Promise((r) => setTimeout(r, 400));
    expect(JSON.parse(await fs.readFile(lockPath, 'utf8')).leaseUntil).toBeGreaterThan(first);
    await lock.release();
  });

  it("notices when another process took the lock over, and does not delete the new holder's lock", async () => {
    const lockPath = path.join(await tmpDir(), 'a.lock');
    const lock = (await ShardLock.tryAcquire(lockPath, { leaseMs: 60_000, log: () => undefined })) as ShardLock;
    await fs.writeFile(lockPath, owner({ host: 'elsewhere', pid: 9, token: 'new' }));
    await expect(lock.assertHeld()).rejects.toThrow(`lock: lost ${lockPath} (pid 9 on elsewhere took it over)`);
    await lock.release();
    expect(JSON.parse(await fs.readFile(lockPath, 'utf8')).token).toBe('new');
  });

  it("of 8 concurrent takers of a dead holder's lock, exactly one wins", async () => {
    const lockPath = path.join(await tmpDir(), 'a.lock');
    await fs.writeFile(lockPath, owner({ pid: deadPid() }));
    const results = await Promise.all(
      Array.from({ length: 8 }, () => ShardLock.tryAcquire(lockPath, { leaseMs: 60_000, log: () => undefined })),
    );
    const winners = results.filter((r) => r instanceof ShardLock) as ShardLock[];
    expect(winners).toHaveLength(1);
    await winners[0].release();
  });
});
