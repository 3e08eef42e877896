/**
 * The activations `Dataset` (saev 0.1.0's reader, all nine modes): length, item
 * access, batched reads, an ordered iterator and a seeded shuffled iterator,
 * all async, with bounded memory, over files kept open in a small pool.
 *
 * Reads are planned per batch: each item needs one byte range of its image
 * slab; ranges are sorted and nearby ones merged, so a batch costs a few
 * large reads. The ordered iterator over whole-row modes (one stored float32
 * row per item) reads rows straight into batch memory, several reads in
 * flight (`direct-rows.ts`). Otherwise the iterators read chunks of images
 * (`chunkBytes`; only the chosen layer's `[T, D]` of each image when one
 * integer layer of a multi-layer shard is wanted) into two reused,
 * page-aligned buffers (`read-buffer.ts`), and prefetch the next chunk while
 * the current one is cut into items.
 */
import { decodeValues } from '../shards/dtype.js';
import { locateImg } from '../shards/layout.js';
import { ReaderConfig, validateReaderConfig } from './config.js';
import { IterateOptions, resolveOrderedOptions, resolveShuffleOptions, ShuffleOptions } from './iterate-options.js';
import { ActsBatch, ActsItem, copyRow, makeBatch, sliceBatch } from './batch.js';
import { canReadRowsDirect, iterateRowsDirect } from './direct-rows.js';
import { FilePool } from '../util/file-pool.js';
import { ReadBuffer } from '../util/read-buffer.js';
import { getItemRange, normalizeRow, SlabGeometry, writeItemValues } from './item-values.js';
import { getModeLength, ItemSource, locateItem, Mode, resolveMode } from './modes.js';
import { loadNormalization, Normalization } from './normalization.js';
import { getImgsPerChunk, openShardDir, ShardDir } from '../shards/shard-dir.js';
import { iterateShuffled } from './shuffle.js';

/** Largest gap (bytes) between two wanted ranges that is read through rather than split. */
const MERGE_GAP = 64 * 1024;

export class ActivationsDataset {
  readonly config: Readonly<ReaderConfig>;
  readonly length: number;
  private readonly pool = new FilePool();
  private readonly slab: SlabGeometry;
  private readonly sum_D: Float64Array;

  private constructor(
    readonly shards: ShardDir,
    readonly mode: Mode,
    config: Readonly<ReaderConfig>,
    readonly scale: Normalization,
  ) {
    this.config = config;
    this.length = getModeLength(mode, shards);
    this.slab = {
      nLayers: shards.nLayers,
      nTokensPerImg: shards.nTokensPerImg,
      dVit: shards.dVit,
      clsToken: shards.clsToken,
    };
    this.sum_D = new Float64Array(shards.dVit);
  }

  /** Opens `dir` (a shard directory) with a reader config; checks the files and loads any statistics. */
  static async open(dir: string, raw: Partial<ReaderConfig> = {}): Promise<ActivationsDataset> {
    const config = validateReaderConfig(raw);
    const shards = await openShardDir(dir);
    const mode = resolveMode(config.patches, config.layer, shards.metadata.layers, shards.clsToken);
    const scale = await loadNormalization(config, shards, mode);
    return new ActivationsDataset(shards, mode, config, scale);
  }

  get dVit(): number {
    return this.shards.dVit;
  }

  /** Files opened so far (the pool keeps a few open, so a long iteration may reopen some). */
  get nFilesOpened(): number {
    return this.pool.nOpened;
  }

  locate(i: number): ItemSource {
    return locateItem(i, this.mode, this.shards);
  }

  async get(i: number): Promise<ActsItem> {
    const b = await this.getBatch([i]);
    return { act: b.acts_BD, imageI: b.imageI[0], patchI: b.patchI[0], layerI: b.layerI[0] };
  }

  /** Items at `indices` (any order, repeats allowed), in that order. */
  async getBatch(indices: ArrayLike<number>): Promise<ActsBatch> {
    if (typeof indices !== 'object' || indices === null || !Number.isSafeInteger(indices.length)) {
      throw new Error(`reader: getBatch takes a list of indices, found ${JSON.stringify(indices)}`);
    }
    const D = this.dVit;
    const bpv = this.shards.bytesPerValue;
    const valuesPerImg = this.shards.bytesPerImg / bpv;
    const n = indices.length;
    const out = makeBatch(n, D);
    const wants = Array.from({ length: n }, (_, b) => {
      const src = this.locate(indices[b]);
      const { shard, row } = locateImg(src.imageI, this.shards.geometry);
      const slabStart = row * valuesPerImg;
      const range = getItemRange(src, this.mode, this.slab);
      return { b, src, shard, slabStart, start: slabStart + range.start, end: slabStart + range.end };
    });
    wants.sort((x, y) => x.shard - y.shard || x.start - y.start);
    let k = 0;
    while (k < wants.length) {
      const first = wants[k];
      let end = first.end;
      let j = k + 1;
      while (j < wants.length && wants[j].shard === first.shard && (wants[j].start - end) * bpv <= MERGE_GAP)
        end = Math.max(end, wants[j++].end);
      const bytes = await this.pool.read(
        this.shards.shards[first.shard].path,
        first.start * bpv,
        (end - first.start) * bpv,
      );
      const vals = decodeValues(bytes, this.shards.dtype);
      for (let q = k; q < j; q++) {
        const w = wants[q];
        writeItemValues(vals, w.slabStart - first.start, w.src, this.mode, this.slab, out.acts_BD, w.b * D, this.sum_D);
        this.finishRow(out, w.b, w.src);
      }
      k = j;
    }
    return out;
  }

  private finishRow(out: ActsBatch, b: number, src: ItemSource): void {
    out.imageI[b] = src.imageI;
    out.patchI[b] = src.patchI;
    out.layerI[b] = src.layerI;
    normalizeRow(out.acts_BD, b * out.dVit, out.dVit, this.config.clamp, this.scale.mean_D, this.scale.scalar);
  }

  /** Items in one image, in index order. */
  get nItemsPerImg(): number {
    return getModeLength(this.mode, { ...this.shards, nImgs: 1 });
  }

  /** Whether chunk reads fetch only the chosen layer of each image (an integer layer of multi-layer shards). */
  private get readsOneLayer(): boolean {
    return this.mode.layer === 'int' && this.shards.nLayers > 1;
  }

  /** Bytes a chunk read fetches per image: the chosen layer's `[T, D]`, or the whole slab `[L, T, D]`. */
  get bytesReadPerImg(): number {
    return this.readsOneLayer ? this.shards.bytesPerImg / this.shards.nLayers : this.shards.bytesPerImg;
  }

  /** Rows per chunk for a byte budget: at least one image, at most a shard. */
  getRowsPerChunk(chunkBytes: number): number {
    return getImgsPerChunk(this.shards, this.bytesReadPerImg, chunkBytes);
  }

  /** Rows a batch of up to `batchSize` items needs: no more than the dataset has. */
  getBatchRows(batchSize: number): number {
    return Math.max(1, Math.min(batchSize, this.length));
  }

  /**
   * Reads images `[row0, row1)` of one shard (what `bytesReadPerImg` says of each: one read per chunk,
   * or one per image when only one layer is wanted) and decodes them. With `into`, the bytes go there
   * (placed at the file position's page offset) and a float32 result is a view of it: use it up before
   * reusing `into`.
   */
  async readChunk(shard: number, row0: number, row1: number, into?: ReadBuffer): Promise<Float32Array> {
    const file = this.shards.shards[shard].path;
    const per = this.bytesReadPerImg;
    const n = row1 - row0;
    const first = this.readsOneLayer ? (row0 * this.shards.nLayers + this.mode.layerSlot) * per : row0 * per;
    const buffer = into && into.capacity >= n * per ? into.getTarget(first, n * per) : new Uint8Array(n * per);
    if (!this.readsOneLayer) {
      await this.pool.read(file, row0 * per, n * per, buffer);
    } else {
      const L = this.shards.nLayers;
      const slot = this.mode.layerSlot;
      await Promise.all(
        Array.from({ length: n }, (_, k) =>
          this.pool.read(file, ((row0 + k) * L + slot) * per, per, buffer.subarray(k * per, (k + 1) * per)),
        ),
      );
    }
    return decodeValues(buffer, this.shards.dtype);
  }

  /** Index in a chunk's values of the (possibly unread) start of its k-th image slab. */
  getChunkImgBase(k: number): number {
    const valuesRead = this.bytesReadPerImg / this.shards.bytesPerValue;
    return this.readsOneLayer ? (k - this.mode.layerSlot) * valuesRead : k * valuesRead;
  }

  /** Writes the items of image `imageI` (slab at `vals[imgBase..]`) into `out` from row `b`; returns the next row. */
  writeImgItems(vals: Float32Array, imgBase: number, imageI: number, out: ActsBatch, b: number): number {
    const { patches, layer, layerSlot } = this.mode;
    if (patches !== 'meanpool' && layer !== 'meanpool') {
      // Single tokens: each layer's items are one contiguous run of tokens, copied in one go.
      const { nTokensPerImg: T, dVit: D } = this.slab;
      const t0 = patches === 'cls' ? 0 : this.shards.clsToken ? 1 : 0;
      const n = patches === 'cls' ? 1 : this.shards.nPatchesPerImg;
      const nSlots = layer === 'all' ? this.shards.nLayers : 1;
      for (let k = 0; k < nSlots; k++) {
        const l = layer === 'all' ? k : layerSlot;
        const from = imgBase + (l * T + t0) * D;
        out.acts_BD.set(vals.subarray(from, from + n * D), b * D);
        for (let q = 0; q < n; q++) {
          out.imageI[b + q] = imageI;
          out.patchI[b + q] = patches === 'cls' ? -1 : q;
          out.layerI[b + q] = l;
        }
        normalizeRow(out.acts_BD, b * D, n * D, this.config.clamp, null, 1);
        if (this.scale.mean_D || this.scale.scalar !== 1) {
          for (let q = 0; q < n; q++)
            normalizeRow(out.acts_BD, (b + q) * D, D, Infinity, this.scale.mean_D, this.scale.scalar);
        }
        b += n;
      }
      return b;
    }
    const perImg = this.nItemsPerImg;
    for (let k = 0; k < perImg; k++, b++) {
      const src = locateItem(imageI * perImg + k, this.mode, this.shards);
      writeItemValues(vals, imgBase, src, this.mode, this.slab, out.acts_BD, b * this.dVit, this.sum_D);
      this.finishRow(out, b, src);
    }
    return b;
  }

  /**
   * Reads `chunks` (`[shard, row0, row1]`) in order through two alternating buffers: chunk c + 1 is
   * being read while the caller cuts chunk c into items. Each yielded view is valid until the next step.
   */
  async *readChunksAhead(
    chunks: ReadonlyArray<[number, number, number]>,
    rowsPerChunk: number,
  ): AsyncGenerator<[number, number, number, Float32Array]> {
    const buffers = [0, 1].map(() => new ReadBuffer(rowsPerChunk * this.bytesReadPerImg));
    let next = chunks.length ? this.readChunk(...chunks[0], buffers[0]) : null;
    for (let c = 0; c < chunks.length; c++) {
      const vals = await next!;
      next = c + 1 < chunks.length ? this.readChunk(...chunks[c + 1], buffers[(c + 1) % 2]) : null;
      yield [...chunks[c], vals];
    }
  }

  /**
   * Every item once, in index order, in batches of `batchSize` (the last may be smaller). Each batch
   * is the caller's to keep (the iterator never writes to a yielded batch again) unless
   * `reuseBatches` is set. Whole-row modes (`cls`/`patches` of one or all layers, float32) read file
   * rows straight into batch memory.
   */
  ordered(options: IterateOptions = {}): AsyncGenerator<ActsBatch> {
    const { batchSize, chunkBytes, readAhead, reuseBatches } = resolveOrderedOptions(options);
    if (canReadRowsDirect(this.mode, this.shards)) {
      return iterateRowsDirect(this.shards, this.mode, this.pool, this.length, {
        batchSize: this.getBatchRows(batchSize),
        spanBytes: chunkBytes,
        readAhead,
        clamp: this.config.clamp,
        scale: this.scale,
        reuseBatches,
      });
    }
    return this.orderedByImage(this.getBatchRows(batchSize), chunkBytes);
  }

  /** `ordered` for the other modes: chunks of whole images, read ahead by one, cut into items. */
  private async *orderedByImage(batchSize: number, chunkBytes: number): AsyncGenerator<ActsBatch> {
    const rowsPerChunk = this.getRowsPerChunk(chunkBytes);
    const chunks: Array<[number, number, number]> = [];
    this.shards.shards.forEach((s, shard) => {
      for (let r = 0; r < s.nImgs; r += rowsPerChunk) chunks.push([shard, r, Math.min(s.nImgs, r + rowsPerChunk)]);
    });
    const perImg = this.nItemsPerImg;
    let batch = makeBatch(batchSize, this.dVit);
    let fill = 0;
    for await (const [shard, row0, row1, vals] of this.readChunksAhead(chunks, rowsPerChunk)) {
      const one = makeBatch(perImg, this.dVit);
      for (let r = row0; r < row1; r++) {
        const imageI = shard * this.shards.nImgsPerShard + r;
        if (perImg <= batchSize - fill) {
          fill = this.writeImgItems(vals, this.getChunkImgBase(r - row0), imageI, batch, fill);
        } else {
          this.writeImgItems(vals, this.getChunkImgBase(r - row0), imageI, one, 0);
          for (let k = 0; k < perImg; k++) {
            copyRow(one, k, batch, fill++);
            if (fill === batchSize) {
              yield batch;
              batch = makeBatch(batchSize, this.dVit);
              fill = 0;
            }
          }
        }
        if (fill === batchSize) {
          yield batch;
          batch = makeBatch(batchSize, this.dVit);
          fill = 0;
        }
      }
    }
    if (fill > 0) yield sliceBatch(batch, fill);
  }

  /** Every item once, in a seeded random order (see `iterateShuffled`). */
  shuffled(options: ShuffleOptions = {}): AsyncGenerator<ActsBatch> {
    return iterateShuffled(this, resolveShuffleOptions(options));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
