/**
 * The weight files of a converted model directory: all weights as one byte
 * stream (float32, little-endian, in `model.json`'s weightsManifest order),
 * cut into files of at most `maxFileBytes` (1 GiB by default), as tfjs's own
 * sharded weights are: a weight may run on from one file into the next.
 * One file is `weights.bin`; several are `weights-1-of-3.bin`, ... Writing
 * takes the stream piece by piece and reading returns any byte range, so no
 * file, let alone the whole set, is ever one buffer (Node's `fs.readFile`
 * refuses files over 2 GiB, and a Buffer holds at most 4 GiB).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** The largest weight file written: 1 GiB. */
export const MAX_WEIGHT_FILE_BYTES = 2 ** 30;

/** The most bytes one read or write call hands the file system (Node refuses more than 2 GiB - 1 at once). */
export const MAX_IO_BYTES = 2 ** 28;

/** File names for `totalBytes` of weights, cut every `maxFileBytes`. */
export function getWeightFileNames(totalBytes: number, maxFileBytes = MAX_WEIGHT_FILE_BYTES): string[] {
  if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1) {
    throw new Error(`weights: the weight file size limit must be a positive integer, found ${maxFileBytes}`);
  }
  const n = Math.max(1, Math.ceil(totalBytes / maxFileBytes));
  return n === 1 ? ['weights.bin'] : Array.from({ length: n }, (_, i) => `weights-${i + 1}-of-${n}.bin`);
}

/** Writes a known number of bytes into `dir` as weight files, in order; `close` checks that exactly that many came. */
export class WeightFilesWriter {
  readonly paths: string[];
  private fileIndex = 0;
  private fileBytes = 0;
  private written = 0;
  private handle: fs.FileHandle | null = null;

  constructor(
    private readonly dir: string,
    private readonly totalBytes: number,
    private readonly maxFileBytes = MAX_WEIGHT_FILE_BYTES,
  ) {
    this.paths = getWeightFileNames(totalBytes, maxFileBytes);
  }

  /** Appends `bytes` (any length; split across files where a file fills up). */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.written + bytes.byteLength > this.totalBytes) {
      throw new Error(
        `weights: ${this.written + bytes.byteLength} bytes written to ${this.dir}, more than the ${this.totalBytes} the manifest lists`,
      );
    }
    let done = 0;
    while (done < bytes.byteLength) {
      if (this.handle === null) this.handle = await this.create();
      const n = Math.min(bytes.byteLength - done, this.maxFileBytes - this.fileBytes, MAX_IO_BYTES);
      await this.handle.write(bytes, done, n);
      done += n;
      this.fileBytes += n;
      this.written += n;
      if (this.fileBytes === this.maxFileBytes) await this.nextFile();
    }
  }

  private async create(): Promise<fs.FileHandle> {
    const file = path.join(this.dir, this.paths[this.fileIndex]);
    return fs.open(file, 'wx').catch((error: Error) => {
      throw new Error(`weights: cannot create ${file} (${error.message.split('\n')[0]})`);
    });
  }

  private async nextFile(): Promise<void> {
    await this.handle?.sync();
    await this.handle?.close();
    this.handle = null;
    this.fileIndex++;
    this.fileBytes = 0;
  }

  /** Flushes and closes the last file; returns the file names, in order. */
  async close(): Promise<string[]> {
    if (this.written !== this.totalBytes) {
      await this.handle?.close();
      throw new Error(
        `weights: ${this.written} bytes written to ${this.dir}, but the manifest lists ${this.totalBytes}`,
      );
    }
    if (this.handle !== null || this.fileIndex < this.paths.length) {
      if (this.handle === null) this.handle = await this.create(); // an empty model
      await this.nextFile();
    }
    return this.paths;
  }

  /** Closes without the size check (on an error; the caller removes the directory). */
  async abort(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}

/** Random access to the byte stream of several weight files. */
export interface WeightFilesReader {
  /** Total size of all files. */
  readonly totalBytes: number;
  /** Exactly `length` bytes from `offset` of the stream, in a fresh buffer (a Float32Array may view it). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens `paths` (relative to `dir`) as one stream; `maxReadBytes` bounds each file-system read. */
export async function openWeightFiles(
  dir: string,
  paths: readonly string[],
  maxReadBytes = MAX_IO_BYTES,
): Promise<WeightFilesReader> {
  const files: Array<{ file: string; handle: fs.FileHandle; start: number; end: number }> = [];
  let start = 0;
  try {
    for (const name of paths) {
      const file = path.join(dir, name);
      const handle = await fs.open(file, 'r').catch((error: Error) => {
        throw new Error(
          `weights: cannot open weight file ${file} (${error.message.split('\n')[0]}); the model directory is incomplete`,
        );
      });
      const { size } = await handle.stat();
      files.push({ file, handle, start, end: start + size });
      start += size;
    }
  } catch (error) {
    await Promise.all(files.map((f) => f.handle.close()));
    throw error;
  }
  const totalBytes = start;
  return {
    totalBytes,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > totalBytes) {
        const files = `${paths.join(', ')} in ${dir}`;
        throw new Error(
          `weights: bytes ${offset}..${offset + length} asked of weight files holding ${totalBytes} (${files}); is a file truncated?`,
        );
      }
      const out = new Uint8Array(length);
      let done = 0;
      for (const f of files) {
        if (done === length) break;
        if (offset + done >= f.end) continue;
        while (done < length && offset + done < f.end) {
          const n = Math.min(length - done, f.end - (offset + done), maxReadBytes);
          const { bytesRead } = await f.handle.read(out, done, n, offset + done - f.start);
          if (bytesRead === 0)
            throw new Error(`weights: ${f.file} shrank while being read; is another process writing it?`);
          done += bytesRead;
        }
      }
      return out;
    },
    async close() {
      await Promise.all(files.map((f) => f.handle.close()));
    },
  };
}
