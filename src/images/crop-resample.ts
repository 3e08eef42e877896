/**
 * Pillow's resize followed by a crop, computing only the pixels the crop
 * keeps, in WebAssembly SIMD (resample-kernels.ts). Every output pixel of
 * Pillow's separable resize depends only on its own filter taps, and the
 * uint8 intermediate of the first pass is the same whichever of its pixels
 * are computed, so resizing then cropping equals running the second pass
 * for the kept pixels over the first pass's pixels that they read: the
 * bytes equal resample.ts's `resizeLikePillow` + `cropRgb`. Pillow itself
 * runs the first pass only over the rows (or columns) the second one reads.
 *
 * A `Resampler` owns one WebAssembly memory that grows to the largest image
 * it has seen, up to `KEPT_MEMORY_BYTES`; a larger image gets a memory of
 * its own for that call, so one huge photo does not pin its size for good.
 */
import { HPASS_ROWS, makeResampleKernels, ResampleKernels } from './resample-kernels.js';
import { Coefficients, getCoefficients, ResampleFilter, RgbImage } from './resample.js';

/** A box of the resized image, in its pixels. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Per-channel RGB mean and standard deviation, applied after scaling to [0, 1]. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

const PAGE_BYTES = 65536;
/** A 32-bit WebAssembly memory's limit. */
const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;
/** Memory a resampler keeps between calls at most. */
const KEPT_MEMORY_BYTES = 64 << 20;
/** What a kernel may read or write past a buffer's end (resample-kernels.ts), rounded up. */
const SLACK_BYTES = 64;

interface Arena {
  memory: WebAssembly.Memory;
  kernels: ResampleKernels;
}

function makeArena(bytes: number): Arena {
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE_BYTES)) });
  return { memory, kernels: makeResampleKernels(memory) };
}

/** A bump allocator over one call's memory: each buffer 16-byte aligned, with slack after it. */
function makeLayout() {
  let top = 0;
  return {
    alloc(bytes: number): number {
      const at = top;
      top = Math.ceil((top + bytes + SLACK_BYTES) / 16) * 16;
      return at;
    },
    get size() {
      return top;
    },
  };
}

/** One pass's filter for the kept outputs: input offsets in bytes from the pass's row or column base. */
interface PassFilter {
  offsets: Int32Array;
  counts: Int32Array;
  weights: Int32Array;
  taps: number;
}

/** Outputs [first, first + n) of `c`; output i's offset is (its first input - origin) * step bytes. */
function selectFilter(c: Coefficients, first: number, n: number, origin: number, step: number): PassFilter {
  const offsets = new Int32Array(n);
  for (let i = 0; i < n; i++) offsets[i] = (c.starts[first + i] - origin) * step;
  const weights = c.weights.subarray(first * c.taps, (first + n) * c.taps);
  return { offsets, counts: c.counts.subarray(first, first + n), weights, taps: c.taps };
}

/** The input span [first, end) that outputs [from, from + n) of `c` read. */
function inputSpan(c: Coefficients, from: number, n: number): [number, number] {
  let first = Infinity;
  let end = 0;
  for (let i = from; i < from + n; i++) {
    first = Math.min(first, c.starts[i]);
    end = Math.max(end, c.starts[i] + c.counts[i]);
  }
  return [first, end];
}

function checkArgs(src: RgbImage, width: number, height: number, box: CropBox): void {
  if (width < 1 || height < 1) throw new Error(`resample: target size ${width}x${height} must be positive`);
  const { left, top, width: bw, height: bh } = box;
  if (left < 0 || top < 0 || bw < 1 || bh < 1 || left + bw > width || top + bh > height) {
    throw new Error(`resample: crop ${bw}x${bh}+${left}+${top} falls outside a ${width}x${height} image`);
  }
  const nBytes = src.width * src.height * 3;
  if (src.data.length !== nBytes) {
    throw new Error(`resample: a ${src.width}x${src.height} RGB image needs ${nBytes} bytes, found ${src.data.length}`);
  }
}

/** Filters kept per resampler: a dataset has a few common image sizes, and each filter costs ~10 us to compute. */
const MAX_CACHED_FILTERS = 256;

export class Resampler {
  private kept: Arena = makeArena(PAGE_BYTES);
  private readonly filters = new Map<string, Coefficients>();

  /** `maxKeptBytes`: the most memory kept between calls (tests lower it). */
  constructor(private readonly maxKeptBytes = KEPT_MEMORY_BYTES) {}

  /** Bytes of the memory kept between calls. */
  get keptBytes(): number {
    return this.kept.memory.buffer.byteLength;
  }

  /** `img.resize((width, height), filter).crop(box)` on an RGB image, as Pillow computes it. */
  resizeCrop(src: RgbImage, width: number, height: number, filter: ResampleFilter, box: CropBox): RgbImage {
    const { memory, at } = this.run(src, width, height, filter, box, null);
    const data = new Uint8Array(memory.buffer, at, box.width * box.height * 3).slice();
    return { width: box.width, height: box.height, data };
  }

  /** The same pixels as float32 `(x / 255 - mean) / std`, `pixels_HWC` written into `out` at `offset`. */
  resizeCropNormalizeInto(
    src: RgbImage,
    width: number,
    height: number,
    filter: ResampleFilter,
    box: CropBox,
    norm: Normalization,
    out: Float32Array,
    offset: number,
  ): void {
    const { memory, at } = this.run(src, width, height, filter, box, norm);
    out.set(new Float32Array(memory.buffer, at, box.width * box.height * 3), offset);
  }

  private getFilter(inSize: number, outSize: number, filter: ResampleFilter): Coefficients | null {
    if (inSize === outSize) return null; // Pillow skips a pass whose size does not change
    const key = `${inSize} ${outSize} ${filter}`;
    let c = this.filters.get(key);
    if (!c) {
      if (this.filters.size >= MAX_CACHED_FILTERS) this.filters.clear();
      c = getCoefficients(inSize, outSize, filter);
      this.filters.set(key, c);
    }
    return c;
  }

  private arena(bytes: number, src: RgbImage): Arena {
    if (bytes > MAX_MEMORY_BYTES) {
      throw new Error(
        `resample: a ${src.width}x${src.height} image needs ${bytes} bytes, more than WebAssembly's 4 GiB memory`,
      );
    }
    if (bytes > this.maxKeptBytes) return makeArena(bytes);
    const { memory } = this.kept;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
    return this.kept;
  }

  /** Runs the passes; `at` is the address of the 8-bit result, or of the float32 one with `norm`. */
  private run(
    src: RgbImage,
    width: number,
    height: number,
    filter: ResampleFilter,
    box: CropBox,
    norm: Normalization | null,
  ) {
    checkArgs(src, width, height, box);
    const { left, top, width: bw, height: bh } = box;
    const horizontal = this.getFilter(src.width, width, filter);
    const vertical = this.getFilter(src.height, height, filter);
    // Same rule as resizeLikePillow (Pillow 13's `horizontal_first`), on the whole resized size.
    const shrinkH = src.height - height;
    const verticalFirst = shrinkH > 0 && shrinkH > 2 * (src.width - width);
    // Source columns [c0, c1) and rows [r0, r1) that the kept pixels read; the intermediate between the passes.
    const [c0, c1] = horizontal ? inputSpan(horizontal, left, bw) : [left, left + bw];
    const [r0, r1] = vertical ? inputSpan(vertical, top, bh) : [top, top + bh];
    const srcStride = src.width * 3;
    const interStride = (verticalFirst ? c1 - c0 : bw) * 3;
    const interRows = verticalFirst ? bh : r1 - r0;
    const hFilter = horizontal && selectFilter(horizontal, left, bw, verticalFirst ? c0 : 0, 3);
    const vStride = verticalFirst || !horizontal ? srcStride : interStride;
    const vFilter = vertical && selectFilter(vertical, top, bh, r0, vStride);

    const layout = makeLayout();
    const place = (f: PassFilter | null) => {
      if (!f) return null;
      return {
        f,
        offsets: layout.alloc(4 * f.offsets.length),
        counts: layout.alloc(4 * f.counts.length),
        weights: layout.alloc(4 * f.weights.length),
      };
    };
    const [hTable, vTable] = [place(hFilter), place(vFilter)];
    const consts = layout.alloc(7 * 16);
    // The horizontal pass works in blocks of rows, past the last row of its input and its output.
    const extraRows = HPASS_ROWS - 1;
    const srcAt = layout.alloc((r1 - r0 + extraRows) * srcStride);
    const interAt = horizontal && vertical ? layout.alloc((interRows + extraRows) * interStride) : -1;
    const outAt = layout.alloc((bh + extraRows) * bw * 3);
    const floatAt = norm ? layout.alloc(bw * bh * 3 * 4 + 48) : -1;
    const { memory, kernels } = this.arena(layout.size, src);

    const bytes = new Uint8Array(memory.buffer);
    const ints = new Int32Array(memory.buffer);
    for (const t of [hTable, vTable]) {
      if (!t) continue;
      ints.set(t.f.offsets, t.offsets / 4);
      ints.set(t.f.counts, t.counts / 4);
      ints.set(t.f.weights, t.weights / 4);
    }
    bytes.set(src.data.subarray(r0 * srcStride, r1 * srcStride), srcAt);

    const hpass = (from: number, fromStride: number, to: number, nRows: number) => {
      const t = hTable!;
      kernels.hpass(from, fromStride, to, bw * 3, nRows, bw, t.offsets, t.counts, t.weights, t.f.taps);
    };
    const vpass = (from: number, fromStride: number, to: number, rowBytes: number) => {
      const t = vTable!;
      kernels.vpass(from, fromStride, to, rowBytes, rowBytes, bh, t.offsets, t.counts, t.weights, t.f.taps);
    };
    if (horizontal && vertical && verticalFirst) {
      vpass(srcAt + c0 * 3, srcStride, interAt, interStride);
      hpass(interAt, interStride, outAt, bh);
    } else if (horizontal && vertical) {
      hpass(srcAt, srcStride, interAt, interRows);
      vpass(interAt, interStride, outAt, bw * 3);
    } else if (horizontal) {
      hpass(srcAt, srcStride, outAt, bh);
    } else if (vertical) {
      vpass(srcAt + left * 3, srcStride, outAt, bw * 3);
    } else {
      for (let y = 0; y < bh; y++) {
        const from = srcAt + y * srcStride + left * 3;
        bytes.copyWithin(outAt + y * bw * 3, from, from + bw * 3);
      }
    }
    if (!norm) return { memory, at: outAt };

    // torch holds mean and std as float32 tensors; each group of four pixels cycles the channels RGBR, GBRG, BRGB.
    const floats = new Float32Array(memory.buffer, consts, 28);
    floats.fill(255, 0, 4);
    for (let i = 0; i < 12; i++) {
      floats[4 + i] = norm.mean[i % 3];
      floats[16 + i] = norm.std[i % 3];
    }
    kernels.normalize(outAt, floatAt, bw * bh, consts);
    return { memory, at: floatAt };
  }
}
