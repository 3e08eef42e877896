// Tests src/util/file-pool.ts: exact positional reads, a truncated file named in the error, files kept
// open up to maxOpen (least recently used closed first), and a read of an open file that starts inside
// the read() call, so read-ahead runs during the caller's next synchronous step.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FilePool } from '../../src/util/file-pool.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-file-pool-'));
const files = [0, 1, 2].map((i) => {
  const file = path.join(dir, `f${i}.bin`);
  writeFileSync(
    file,
    Uint8Array.from({ length: 1000 }, (_, j) => (j * 3 + i) & 0xff),
  );
  return file;
});

describe('FilePool', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads exact bytes into the given buffer and names a truncated file', async () => {
    const pool = new FilePool();
    const into = new Uint8Array(64);
    const got = await pool.read(files[1], 990, 10, into);
    expect(got.buffer).toBe(into.buffer);
    expect([...got]).toEqual(Array.from({ length: 10 }, (_, j) => ((990 + j) * 3 + 1) & 0xff));
    await expect(pool.read(files[1], 995, 10)).rejects.toThrow(
      `reader: ${files[1]} ended at byte 1000, expected 1005; the shard is truncated`,
    );
    await pool.close();
  });

  it('keeps at most maxOpen files open and re-opens an evicted one', async () => {
    const pool = new FilePool(2);
    for (const f of [files[0], files[1], files[0], files[1], files[0]]) await pool.read(f, 0, 4);
    expect(pool.nOpened).toBe(2);
    await pool.read(files[2], 0, 4); // evicts files[1], the least recently used
    await pool.read(files[0], 0, 4);
    expect(pool.nOpened).toBe(3);
    const got = await pool.read(files[1], 5, 3);
    expect(pool.nOpened).toBe(4);
    expect([...got]).toEqual([16, 19, 22]);
    await pool.close();
  });

  it('starts the read of an open file before read() returns', async () => {
    const pool = new FilePool();
    await pool.read(files[0], 0, 1);
    const handle = await fs.open(files[0], 'r');
    const readSpy = vi.spyOn(Object.getPrototypeOf(handle), 'read');
    await handle.close();
    const pending = pool.read(files[0], 100, 8);
    expect(readSpy).toHaveBeenCalledTimes(1); // synchronously, not a microtask later
    expect([...(await pending)]).toEqual(Array.from({ length: 8 }, (_, j) => ((100 + j) * 3) & 0xff));
    await pool.close();
  });
});
