/**
 * Writes activations into saev shard files (DESIGN §4), one image row after
 * another in dataset order, for callers that have the whole dataset in one
 * stream (tests, small tools). Each shard is a `ShardFile`: written under
 * `acts000000.bin.partial`, zero-padded to full size, fsynced, then renamed,
 * so a file named `acts*.bin` is always complete. `finish` records the real
 * image count of every shard in the `shards.json` sidecar, in saev's later
 * format: `[{"name": "acts000000.bin", "n_examples": 12182}, ...]` (its text
 * per output format: src/shards/shard-metadata.ts).
 * (Resumable, multi-job extraction uses `ShardFile` with completion markers
 * directly; see src/extract/extract-shards.ts.)
 */
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { StorageDtype } from './dtype.js';
import { getImgsPerEachShard, getImgsPerShard, getShardFileName, getValuesPerImg, ShardGeometry } from './layout.js';
import { CommittedShard, ShardFile } from './shard-file.js';
import { nodeShardIo, ShardIo } from './shard-io.js';
import { formatShardsJson, ShardFormat } from './shard-metadata.js';

export const SHARDS_FILE = 'shards.json';

export interface ShardRecord {
  name: string;
  n_examples: number;
}

export interface ShardWriterOptions {
  /** Storage dtype (float32 by default); `geometry.bytesPerValue` must match it. */
  dtype?: StorageDtype;
  /** File operations (tests inject failures). */
  io?: ShardIo;
}

/** The `shards.json` text for `nImgs` images: one record per shard, in order. */
export function formatShardRecords(nImgs: number, geometry: ShardGeometry, format: ShardFormat = 'saev-0.1'): { records: ShardRecord[]; text: string } {
  const records = getImgsPerEachShard(nImgs, geometry).map((n, shard) => ({ name: getShardFileName(shard), n_examples: n }));
  return { records, text: formatShardsJson(format, records) };
}

export class ShardWriter {
  private file: ShardFile | null = null;
  private nextImg = 0;
  private readonly nImgsPerShard: number;
  private readonly valuesPerImg: number;
  private readonly committed: CommittedShard[] = [];

  constructor(
    /** The shard directory (`<dump-to>/<hash>`), which must exist. */
    readonly dir: string,
    readonly geometry: ShardGeometry,
    /** Total images; the writer checks that exactly this many arrive. */
    readonly nImgs: number,
    private readonly options: ShardWriterOptions = {},
  ) {
    this.nImgsPerShard = getImgsPerShard(geometry);
    this.valuesPerImg = getValuesPerImg(geometry);
  }

  /** Size and sha256 of every shard closed so far. */
  get committedShards(): readonly CommittedShard[] {
    return this.committed;
  }

  private async closeShard(): Promise<void> {
    const file = this.file!;
    this.file = null;
    this.committed.push(await file.commit());
  }

  /**
   * Writes images `[start, start + n)` from `acts_BLTD` (n whole image slabs,
   * float32). Calls must come in dataset order.
   */
  async write(start: number, acts_BLTD: Float32Array): Promise<void> {
    if (start !== this.nextImg) throw new Error(`shards: expected image ${this.nextImg} next, got ${start}`);
    const nNew = acts_BLTD.length / this.valuesPerImg;
    if (!Number.isInteger(nNew) || start + nNew > this.nImgs) {
      throw new Error(`shards: ${acts_BLTD.byteLength} bytes at image ${start} are not whole images within ${this.nImgs}`);
    }
    let done = 0;
    while (done < nNew) {
      const img = start + done;
      const shard = Math.floor(img / this.nImgsPerShard);
      if (this.file?.shard !== shard) {
        if (this.file) await this.closeShard();
        this.file = await ShardFile.open(this.dir, this.geometry, shard, this.options.dtype, this.options.io ?? nodeShardIo);
      }
      const nRows = Math.min(nNew - done, this.nImgsPerShard - (img % this.nImgsPerShard));
      await this.file.write(acts_BLTD.subarray(done * this.valuesPerImg, (done + nRows) * this.valuesPerImg));
      done += nRows;
    }
    this.nextImg += nNew;
  }

  /** Closes the last shard and writes `shards.json`; every image must have been written. */
  async finish(): Promise<ShardRecord[]> {
    if (this.nextImg !== this.nImgs) throw new Error(`shards: finished after ${this.nextImg} of ${this.nImgs} images`);
    if (this.file) await this.closeShard();
    const { records, text } = formatShardRecords(this.nImgs, this.geometry);
    await writeFileAtomic(path.join(this.dir, SHARDS_FILE), text);
    return records;
  }

  /** After a failure: closes and deletes the shard in progress, so no incomplete shard remains. */
  async abort(): Promise<void> {
    const file = this.file;
    this.file = null;
    await file?.abort();
  }
}
