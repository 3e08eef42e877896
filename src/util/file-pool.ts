/**
 * Open shard files, kept open across reads (never one open per item), at most
 * `maxOpen` at once (least recently used closed first), and positional reads
 * that insist on getting every byte asked for. A read of an open file starts
 * within the `read()` call itself, not a microtask later: read-ahead issued
 * before a long synchronous step (summarising the current chunk) then runs
 * during that step instead of after it.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export class FilePool {
  private readonly handles = new Map<string, Promise<FileHandle>>();
  /** The handles of `handles` whose open has finished. */
  private readonly opened = new Map<string, FileHandle>();
  /** Files opened so far (tests check reads do not re-open per item). */
  nOpened = 0;

  constructor(private readonly maxOpen = 16) {}

  /** The open handle (synchronously when its open has finished). */
  private get(filePath: string): FileHandle | Promise<FileHandle> {
    let handle = this.handles.get(filePath);
    if (handle) {
      this.handles.delete(filePath);
      this.handles.set(filePath, handle); // most recently used last
      return this.opened.get(filePath) ?? handle;
    }
    handle = fs.open(filePath, 'r');
    const opening = handle;
    void opening
      .then((h) => this.handles.get(filePath) === opening && this.opened.set(filePath, h))
      .catch(() => undefined);
    this.nOpened++;
    this.handles.set(filePath, handle);
    if (this.handles.size > this.maxOpen) {
      const [oldest, old] = this.handles.entries().next().value as [string, Promise<FileHandle>];
      this.handles.delete(oldest);
      this.opened.delete(oldest);
      void old.then((h) => h.close()).catch(() => undefined);
    }
    return handle;
  }

  /** Reads exactly `length` bytes at `position` into `into` (reused by the caller) or a fresh buffer. */
  async read(filePath: string, position: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const got = this.get(filePath);
    const handle = got instanceof Promise ? await got : got;
    const buffer = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0)
        throw new Error(
          `reader: ${filePath} ended at byte ${position + done}, expected ${position + length}; the shard is truncated`,
        );
      done += bytesRead;
    }
    return buffer;
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    this.opened.clear();
    await Promise.all(all.map((h) => h.then((x) => x.close()).catch(() => undefined)));
  }
}
