/**
 * One shard file, written once from its first row to its last (docs/format.md#shard-files):
 * rows go to `acts000042.bin.partial` in the storage dtype, the file is
 * zero-padded to full size, fsynced and renamed to `acts000042.bin`, and the
 * directory is fsynced. The sha256 of the real rows (the file's bytes up to
 * the zero padding) is computed while writing, on a worker thread
 * (`Sha256Stream`), so no shard is ever read back
 * and a mostly-empty last shard costs nothing to digest.
 * Any I/O error closes and deletes the partial file and is rethrown as one
 * line (see `describeWriteError`).
 */
import path from 'node:path';
import { crashPoint } from '../util/crash-point.js';
import { encodeValues, StorageDtype } from './dtype.js';
import { getBytesPerShard, getShardFileName, getValuesPerImg, ShardGeometry } from './layout.js';
import { Sha256Stream } from '../util/sha256-stream.js';
import { describeWriteError, nodeShardIo, ShardFileHandle, ShardIo, writeFully } from './shard-io.js';

export const PARTIAL_SUFFIX = '.partial';

export interface CommittedShard {
  /** `acts000042.bin`. */
  name: string;
  /** Full file size in bytes. */
  bytes: number;
  /** Bytes of real rows (the rest of the file is zero padding). */
  rowBytes: number;
  /** sha256 hex of the real rows, i.e. of the file's first `rowBytes` bytes. */
  rowsSha256: string;
}

export class ShardFile {
  private nextRow = 0;
  private closed = false;
  private readonly hash = new Sha256Stream();
  private readonly bytesPerImg: number;
  readonly name: string;
  readonly partialPath: string;

  private constructor(
    readonly dir: string,
    readonly geometry: ShardGeometry,
    readonly shard: number,
    readonly dtype: StorageDtype,
    private readonly io: ShardIo,
    private readonly handle: ShardFileHandle,
  ) {
    this.name = getShardFileName(shard);
    this.partialPath = path.join(dir, this.name + PARTIAL_SUFFIX);
    this.bytesPerImg = getValuesPerImg(geometry) * geometry.bytesPerValue;
  }

  /** Creates (or truncates a leftover) `acts<shard>.bin.partial`. `geometry.bytesPerValue` must match `dtype`. */
  static async open(
    dir: string,
    geometry: ShardGeometry,
    shard: number,
    dtype: StorageDtype = 'float32',
    io: ShardIo = nodeShardIo,
  ): Promise<ShardFile> {
    const partialPath = path.join(dir, getShardFileName(shard) + PARTIAL_SUFFIX);
    let handle: ShardFileHandle;
    try {
      handle = await io.open(partialPath);
    } catch (error) {
      throw describeWriteError(error, partialPath);
    }
    return new ShardFile(dir, geometry, shard, dtype, io, handle);
  }

  /** Rows written so far. */
  get nRows(): number {
    return this.nextRow;
  }

  /** Appends whole image rows `acts_SLTD` (float32, converted to the storage dtype). */
  async write(acts_SLTD: Float32Array): Promise<void> {
    const bytes = encodeValues(acts_SLTD, this.dtype);
    const nRows = bytes.byteLength / this.bytesPerImg;
    if (!Number.isInteger(nRows) || (this.nextRow + nRows) * this.bytesPerImg > getBytesPerShard(this.geometry)) {
      await this.abort();
      throw new Error(
        `shards: ${acts_SLTD.length} values at row ${this.nextRow} of ${this.name} are not whole images within the shard`,
      );
    }
    // The write runs on libuv's thread pool while a worker thread hashes a copy of the same bytes.
    const [written, hashed] = await Promise.allSettled([
      writeFully(this.handle, bytes, this.nextRow * this.bytesPerImg),
      this.hash.update(bytes),
    ]);
    const failed = [written, hashed].find((outcome) => outcome.status === 'rejected');
    if (failed) {
      await this.abort();
      throw describeWriteError((failed as PromiseRejectedResult).reason, this.partialPath);
    }
    this.nextRow += nRows;
  }

  /** Pads to full size, makes the data durable, renames it into place; returns its size and digest. */
  async commit(): Promise<CommittedShard> {
    const full = getBytesPerShard(this.geometry);
    const finalPath = path.join(this.dir, this.name);
    const digest = this.hash.digest();
    digest.catch(() => undefined); // awaited below, after the padding and fsync it overlaps
    let rowsSha256: string;
    try {
      await this.handle.truncate(full);
      await this.handle.sync();
      rowsSha256 = await digest;
      crashPoint('shard-synced');
      this.closed = true;
      await this.handle.close();
      await this.io.rename(this.partialPath, finalPath);
      await this.io.syncDir(this.dir);
      crashPoint('shard-renamed');
    } catch (error) {
      await this.abort();
      throw describeWriteError(error, this.partialPath);
    }
    return { name: this.name, bytes: full, rowBytes: this.nextRow * this.bytesPerImg, rowsSha256 };
  }

  /** Closes and deletes the partial file; never throws. */
  async abort(): Promise<void> {
    void this.hash.drop().catch(() => undefined);
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await this.io.remove(this.partialPath).catch(() => undefined);
  }
}
