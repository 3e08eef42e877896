/**
 * The WebAssembly memory of one stats pass, shared by its reads and its
 * kernels (a module sees one memory): chunks are read straight into memory the
 * kernels scan. Layout, from byte 0:
 *
 *   sumX_D, mean_D, sumEE_D            float64 x D each (pass-1 sums; pass-2 mean and squared deviations)
 *   offsets                            int32 x maxTokens (value index of each token of a call)
 *   sumSq                              float64 x maxTokens (each token's sum of squares)
 *   read buffer 0, read buffer 1       page-aligned (see read-buffer.ts)
 *   decoded 0, decoded 1               float32 values of half-precision shards only
 */
import { decodeValues, StorageDtype } from '../shards/dtype.js';
import { PAGE, ReadBuffer, WASM_PAGE } from '../util/read-buffer.js';
import { makeStatsKernels, StatsKernels } from './stats-kernels.js';

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;
/** 32-bit WebAssembly: 65536 pages. */
const MAX_WASM_BYTES = 65536 * WASM_PAGE;

export class StatsMemory {
  readonly sumX_D: Float64Array;
  readonly mean_D: Float64Array;
  readonly sumEE_D: Float64Array;
  /** Value index (into the chunk's values) of each token a kernel call walks. */
  readonly offsets: Int32Array;
  /** Per token: Σx² after `pass1`, Σ(x - mean)² after `centred`. */
  readonly sumSq: Float64Array;
  readonly reads: ReadBuffer[];
  private readonly decoded: Float32Array[];
  private readonly kernels: StatsKernels;

  /** For `dVit`-wide tokens, at most `maxTokens` per kernel call, and chunk reads of up to `readCapacity` bytes. */
  constructor(
    readonly dVit: number,
    readonly maxTokens: number,
    readCapacity: number,
    readonly dtype: StorageDtype,
  ) {
    const vecBytes = roundUp(8 * dVit, 16);
    const sumSqAt = 3 * vecBytes + roundUp(4 * maxTokens, 16);
    const readAt = roundUp(sumSqAt + 8 * maxTokens, PAGE);
    const readBytes = roundUp(ReadBuffer.getFootprint(readCapacity), PAGE);
    const decodedAt = readAt + 2 * readBytes;
    const nHalfValues = dtype === 'float32' ? 0 : readCapacity / 2;
    const end = decodedAt + 2 * 4 * nHalfValues;
    if (end > MAX_WASM_BYTES) {
      const gib = (n: number) => (n / 2 ** 30).toFixed(1);
      throw new Error(
        `stats: chunks of ${readCapacity} bytes need ${gib(end)} GiB of WebAssembly memory, more than the ${gib(MAX_WASM_BYTES)} GiB it can address; lower --chunk-mb`,
      );
    }
    const memory = new WebAssembly.Memory({ initial: Math.ceil(end / WASM_PAGE) });
    const { buffer } = memory;
    [this.sumX_D, this.mean_D, this.sumEE_D] = [0, 1, 2].map((i) => new Float64Array(buffer, i * vecBytes, dVit));
    this.offsets = new Int32Array(buffer, 3 * vecBytes, maxTokens);
    this.sumSq = new Float64Array(buffer, sumSqAt, maxTokens);
    this.reads = [0, 1].map((i) => new ReadBuffer(readCapacity, { buffer, byteOffset: readAt + i * readBytes }));
    this.decoded = nHalfValues
      ? [0, 1].map((i) => new Float32Array(buffer, decodedAt + i * 4 * nHalfValues, nHalfValues))
      : [];
    this.kernels = makeStatsKernels(memory);
  }

  /** The float32 values of bytes read into `reads[i]`: a view of them, or decoded into this memory. */
  decode(bytes: Uint8Array, i: number): Float32Array {
    const vals = decodeValues(bytes, this.dtype, this.decoded[i]);
    this.checkInMemory(vals);
    return vals;
  }

  /** Over the first `nTok` tokens of `offsets`: Σx added into sumX_D, Σx² per token into sumSq. Returns max x². */
  pass1(vals: Float32Array, nTok: number): number {
    this.checkTokens(vals, nTok);
    return this.kernels.pass1(
      vals.byteOffset,
      this.offsets.byteOffset,
      nTok,
      this.dVit,
      this.sumX_D.byteOffset,
      this.sumSq.byteOffset,
    );
  }

  /**
   * Over the first `nTok` tokens of `offsets`, with e = x - mean_D: Σe² added into sumEE_D, Σe² per token into sumSq.
   */
  centred(vals: Float32Array, nTok: number): void {
    this.checkTokens(vals, nTok);
    this.kernels.centred(
      vals.byteOffset,
      this.offsets.byteOffset,
      nTok,
      this.dVit,
      this.mean_D.byteOffset,
      this.sumEE_D.byteOffset,
      this.sumSq.byteOffset,
    );
  }

  private checkInMemory(vals: Float32Array): void {
    if (vals.buffer !== this.sumX_D.buffer)
      throw new Error('stats: chunk values must lie in the pass memory (read into its read buffers)');
  }

  private checkTokens(vals: Float32Array, nTok: number): void {
    this.checkInMemory(vals);
    if (nTok > this.maxTokens)
      throw new Error(`stats: ${nTok} tokens exceed the ${this.maxTokens} a kernel call holds`);
  }
}
