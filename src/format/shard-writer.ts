/**
 * Writes activations into saev shard files (DESIGN §4), one image row after
 * another in dataset order. A shard is written under a temporary name
 * (`acts000000.bin.partial`), zero-padded to full size, fsynced, then renamed,
 * so a file named `acts*.bin` is always complete. `finish` records the real
 * image count of every shard in the `shards.json` sidecar, in saev's later
 * format: `[{"name": "acts000000.bin", "n_examples": 12182}, ...]`.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { getBytesPerShard, getImgsPerEachShard, getImgsPerShard, getShardFileName, getValuesPerImg, ShardGeometry } from './layout.js';

export const SHARDS_FILE = 'shards.json';
const PARTIAL_SUFFIX = '.partial';

export interface ShardRecord {
  name: string;
  n_examples: number;
}

export class ShardWriter {
  private handle: FileHandle | null = null;
  private shard = -1;
  private nextImg = 0;
  private readonly nImgsPerShard: number;
  private readonly bytesPerImg: number;

  constructor(
    /** The shard directory (`<dump-to>/<hash>`), which must exist. */
    readonly dir: string,
    readonly geometry: ShardGeometry,
    /** Total images; the writer checks that exactly this many arrive. */
    readonly nImgs: number,
  ) {
    this.nImgsPerShard = getImgsPerShard(geometry);
    this.bytesPerImg = getValuesPerImg(geometry) * geometry.bytesPerValue;
  }

  private partialPath(shard: number): string {
    return path.join(this.dir, getShardFileName(shard) + PARTIAL_SUFFIX);
  }

  private async openShard(shard: number): Promise<void> {
    this.shard = shard;
    this.handle = await fs.open(this.partialPath(shard), 'w');
  }

  /** Pads the open shard to full size, makes it durable, and gives it its final name. */
  private async closeShard(): Promise<void> {
    const handle = this.handle!;
    this.handle = null;
    try {
      await handle.truncate(getBytesPerShard(this.geometry));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(this.partialPath(this.shard), path.join(this.dir, getShardFileName(this.shard)));
  }

  /**
   * Writes images `[start, start + n)` from `acts_BLTD` (n whole image slabs,
   * little-endian float32). Calls must come in dataset order.
   */
  async write(start: number, acts_BLTD: Float32Array): Promise<void> {
    if (start !== this.nextImg) throw new Error(`shards: expected image ${this.nextImg} next, got ${start}`);
    const bytes = new Uint8Array(acts_BLTD.buffer, acts_BLTD.byteOffset, acts_BLTD.byteLength);
    const nNew = bytes.byteLength / this.bytesPerImg;
    if (!Number.isInteger(nNew) || start + nNew > this.nImgs) {
      throw new Error(`shards: ${bytes.byteLength} bytes at image ${start} are not whole images within ${this.nImgs}`);
    }
    let done = 0;
    while (done < nNew) {
      const img = start + done;
      const shard = Math.floor(img / this.nImgsPerShard);
      if (shard !== this.shard) {
        if (this.handle) await this.closeShard();
        await this.openShard(shard);
      }
      const row = img % this.nImgsPerShard;
      const nRows = Math.min(nNew - done, this.nImgsPerShard - row);
      const chunk = bytes.subarray(done * this.bytesPerImg, (done + nRows) * this.bytesPerImg);
      await this.handle!.write(chunk, 0, chunk.byteLength, row * this.bytesPerImg);
      done += nRows;
    }
    this.nextImg += nNew;
  }

  /** Closes the last shard and writes `shards.json`; every image must have been written. */
  async finish(): Promise<ShardRecord[]> {
    if (this.nextImg !== this.nImgs) throw new Error(`shards: finished after ${this.nextImg} of ${this.nImgs} images`);
    if (this.handle) await this.closeShard();
    const records = getImgsPerEachShard(this.nImgs, this.geometry).map((n, shard) => ({ name: getShardFileName(shard), n_examples: n }));
    await writeFileAtomic(path.join(this.dir, SHARDS_FILE), JSON.stringify(records, null, 4) + '\n');
    return records;
  }

  /** After a failure: closes and deletes the shard in progress, so no incomplete shard remains. */
  async abort(): Promise<void> {
    if (!this.handle) return;
    const handle = this.handle;
    this.handle = null;
    await handle.close().catch(() => undefined);
    await fs.rm(this.partialPath(this.shard), { force: true });
  }
}
