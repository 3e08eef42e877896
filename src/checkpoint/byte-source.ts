/**
 * Random access to a checkpoint's bytes, the only I/O the readers do. A file
 * source reads ranges on demand (multi-GB checkpoints are never loaded whole;
 * each tensor is read when its values are asked for); a memory source wraps a
 * Uint8Array, which is what tests hand-build.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ByteSource {
  /** Name used in error messages (the file path, or a label for memory sources). */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes from `offset`; throws if the range is outside the source. */
  read(offset: number, length: number): Uint8Array;
}

function checkRange(source: { name: string; size: number }, offset: number, length: number): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > source.size
  ) {
    throw new Error(
      `checkpoint: ${source.name} is truncated or corrupt (wanted bytes ${offset}..${offset + length} of a ${source.size}-byte file)`,
    );
  }
}

export function makeMemorySource(bytes: Uint8Array, name = '<memory>'): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    read(offset, length) {
      checkRange(this, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** Reads `path` range by range, opening it for each read, so nothing stays open between reads. */
export function makeFileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`checkpoint: ${path} is not a file (pass the checkpoint file itself)`);
    size = stat.size;
  } finally {
    closeSync(fd);
  }
  return {
    name: path,
    size,
    read(offset, length) {
      checkRange(this, offset, length);
      const out = new Uint8Array(length);
      const handle = openSync(path, 'r');
      try {
        let done = 0;
        while (done < length) {
          const n = readSync(handle, out, done, length - done, offset + done);
          if (n === 0)
            throw new Error(
              `checkpoint: ${path} shrank while being read (at byte ${offset + done}); is another process writing it?`,
            );
          done += n;
        }
      } finally {
        closeSync(handle);
      }
      return out;
    },
  };
}
