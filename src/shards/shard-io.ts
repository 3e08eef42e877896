/**
 * The narrow file interface the shard writer uses, so tests can fake a disk
 * that fills up or fails. `nodeShardIo` is the real one. Every write loops
 * until all bytes are written: on a full disk `write(2)` first returns a
 * short count and only then ENOSPC, and a short count must never be taken
 * for success.
 */
import { promises as fs } from 'node:fs';

export interface ShardFileHandle {
  /** Writes some of `data` at `position`; returns how many bytes were written. */
  write(data: Uint8Array, position: number): Promise<number>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface ShardIo {
  /** Creates or truncates `filePath` for writing. */
  open(filePath: string): Promise<ShardFileHandle>;
  rename(from: string, to: string): Promise<void>;
  /** Makes a rename inside `dirPath` durable (best effort where directories cannot be fsynced). */
  syncDir(dirPath: string): Promise<void>;
  remove(filePath: string): Promise<void>;
}

export const nodeShardIo: ShardIo = {
  async open(filePath) {
    const handle = await fs.open(filePath, 'w');
    return {
      write: async (data, position) => (await handle.write(data, 0, data.byteLength, position)).bytesWritten,
      truncate: (length) => handle.truncate(length),
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  rename: (from, to) => fs.rename(from, to),
  async syncDir(dirPath) {
    const handle = await fs.open(dirPath, 'r');
    try {
      await handle.sync();
    } catch {
      // Some filesystems refuse fsync on a directory; the rename is still atomic there.
    } finally {
      await handle.close();
    }
  },
  remove: (filePath) => fs.rm(filePath, { force: true }),
};

/** Writes all of `data` at `position`, looping over short writes; a write of 0 bytes is an error. */
export async function writeFully(handle: ShardFileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.byteLength) {
    const n = await handle.write(data.subarray(done), position + done);
    if (n <= 0) throw Object.assign(new Error('short write (0 bytes written)'), { code: 'ENOSPC' });
    done += n;
  }
}

/** One clear line for an I/O failure on `filePath`, naming disk-full explicitly. */
export function describeWriteError(
  error: unknown,
  filePath: string,
  consequence = 'that shard was not marked complete',
): Error {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new Error(
      `shards: disk full writing ${filePath} (${code}); ${consequence}; free space and rerun the same command to resume`,
    );
  }
  const message = (error as Error)?.message ?? String(error);
  return new Error(
    `shards: cannot write ${filePath} (${code ?? message.split('\n')[0]}); ${consequence}; fix it and rerun the same command to resume`,
  );
}
