/**
 * The inner loops of the Pillow-exact resize (resample.ts) in WebAssembly
 * SIMD, over one memory. Both passes compute Pillow's integer arithmetic
 * exactly: 8-bit pixels times 22-bit fixed-point weights summed in 32-bit
 * lanes from half a unit, shifted right by PRECISION_BITS and clipped to
 * 0..255 (two saturating narrows), so their bytes equal resample.ts's.
 *
 * Addresses and offsets are bytes. A filter is three tables for `nOut`
 * outputs: `offsets[i]` (int32, where output i's first input pixel starts,
 * relative to the row or column base), `counts[i]` (int32 taps used) and
 * `weights[i * taps + k]` (int32).
 *
 * - `vpass(src, srcStride, dst, dstStride, rowBytes, nOut, offsets, counts, weights, taps)`:
 *   the vertical pass. Output row y (`rowBytes` bytes at `dst + y * dstStride`) sums input rows
 *   `src + offsets[y] + k * srcStride`, 16 bytes (any mix of channels) at a time.
 * - `hpass(src, srcStride, dst, dstStride, nRows, nOut, offsets, counts, weights, taps)`:
 *   the horizontal pass over `nRows` rows of RGB pixels: output pixel x of row r sums the pixels at
 *   `src + r * srcStride + offsets[x] + 3k`, one pixel (three channels in 32-bit lanes) at a time,
 *   in `HPASS_ROWS` rows at once: it reads and writes whole blocks of rows, up to `HPASS_ROWS - 1`
 *   rows past `nRows` (whose results are never used).
 * - `normalize(src, dst, nPixels, consts)`: float32 `(x / 255 - mean[c]) / std[c]` of `nPixels` RGB
 *   pixels, four at a time; `consts` holds seven float32x4 vectors: 255, then the mean and the std
 *   each in the three channel phases of a 12-value group (RGBR, GBRG, BRGB). Each operation is an
 *   IEEE float32 one, as torch's float32 `ToTensor` + `Normalize` round.
 *
 * Kernels read up to 16 bytes past the last value they use; `vpass` writes up to 15 bytes past a row's
 * end (rows are written in order, so the next row overwrites them) and `normalize` up to 48 past its
 * output, so buffers need that much slack after them. `hpass` writes exactly its pixels' bytes.
 */
import { encodeModule, I32, op, V128, WasmFunction } from '../wasm/encode.js';
import { PRECISION_BITS } from './resample.js';

type Code = number[][];

const get = op.localGet;
const set = op.localSet;

/** `for (i = 0; i < end; i += 1) body` with `i` and `end` locals. */
function countLoop(i: number, end: number, body: Code): Code {
  return [
    op.i32Const(0),
    set(i),
    op.block,
    op.loop,
    get(i),
    get(end),
    op.i32GeU,
    op.brIf(1),
    ...body,
    get(i),
    op.i32Const(1),
    op.i32Add,
    set(i),
    op.br(0),
    op.end,
    op.end,
  ];
}

/** `while (p < end) { body; p += step }`. */
function pointerLoop(p: number, end: number, step: number[][], body: Code): Code {
  return [op.block, op.loop, get(p), get(end), op.i32GeU, op.brIf(1), ...body, ...step, op.br(0), op.end, op.end];
}

const addTo = (local: number, n: number[]) => [get(local), n, op.i32Add, set(local)];

/** Pillow's `clip8` of 16 sums (four int32x4 locals): one vector of 16 bytes. */
function clip4x4(a: number[]): Code {
  const shifted = (x: number) => [get(x), op.i32Const(PRECISION_BITS), op.i32x4ShrS];
  return [
    ...shifted(a[0]),
    ...shifted(a[1]),
    op.i16x8NarrowI32x4S,
    ...shifted(a[2]),
    ...shifted(a[3]),
    op.i16x8NarrowI32x4S,
    op.i8x16NarrowI16x8U,
  ];
}

function makeVpass(): WasmFunction {
  const [src, srcStride, dst, dstStride, rowBytes, nOut, offsets, counts, weights, taps] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  ];
  const [y, x, p, wp, wEnd, rowBase, outRow, wRow] = [10, 11, 12, 13, 14, 15, 16, 17];
  const [half, w, lo, hi] = [18, 19, 20, 21];
  const acc = [22, 23, 24, 25];
  const madd = (a: number, from: number, extend: number[]) => [
    get(a),
    get(from),
    extend,
    get(w),
    op.i32x4Mul,
    op.i32x4Add,
    set(a),
  ];
  const tap: Code = [
    get(wp),
    op.v128Load32Splat(),
    set(w),
    get(p),
    op.v128Load(),
    op.localTee(hi),
    op.i16x8ExtendLowI8x16U,
    set(lo),
    get(hi),
    op.i16x8ExtendHighI8x16U,
    set(hi),
    ...madd(acc[0], lo, op.i32x4ExtendLowI16x8U),
    ...madd(acc[1], lo, op.i32x4ExtendHighI16x8U),
    ...madd(acc[2], hi, op.i32x4ExtendLowI16x8U),
    ...madd(acc[3], hi, op.i32x4ExtendHighI16x8U),
    ...addTo(p, get(srcStride)),
  ];
  const chunk: Code = [
    ...acc.flatMap((a) => [get(half), set(a)]),
    get(rowBase),
    get(x),
    op.i32Add,
    set(p),
    get(wRow),
    set(wp),
    ...pointerLoop(wp, wEnd, addTo(wp, op.i32Const(4)), tap),
    get(outRow),
    get(x),
    op.i32Add,
    ...clip4x4(acc),
    op.v128Store(),
  ];
  const row: Code = [
    get(src),
    get(offsets),
    get(y),
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    op.i32Load(),
    op.i32Add,
    set(rowBase),
    get(weights),
    get(y),
    get(taps),
    op.i32Mul,
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    set(wRow),
    get(wRow),
    get(counts),
    get(y),
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    op.i32Load(),
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    set(wEnd),
    get(dst),
    get(y),
    get(dstStride),
    op.i32Mul,
    op.i32Add,
    set(outRow),
    op.i32Const(0),
    set(x),
    ...pointerLoop(x, rowBytes, addTo(x, op.i32Const(16)), chunk),
  ];
  return {
    name: 'vpass',
    params: new Array(10).fill(I32),
    results: [],
    locals: [...new Array(8).fill(I32), ...new Array(8).fill(V128)],
    body: [op.i32Const(1 << (PRECISION_BITS - 1)), op.i32x4Splat, set(half), ...countLoop(y, nOut, row)],
  };
}

/** Rows the horizontal pass computes at once: they share each tap's weight and the loop overhead. */
export const HPASS_ROWS = 4;

function makeHpass(): WasmFunction {
  const [src, srcStride, dst, dstStride, nRows, nOut, offsets, counts, weights, taps] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [r, x, p, wp, wEnd, rowBase, outP] = [10, 11, 12, 13, 14, 15, 16];
  const srcAt = [-1, 17, 18, 19]; // j * srcStride
  const dstAt = [-1, 20, 21, 22]; // j * dstStride
  const [half, w] = [23, 24];
  const acc = [25, 26, 27, 28];
  const rows = [0, 1, 2, 3];
  const plus = (base: number, j: number, at: number[]) => (j === 0 ? [get(base)] : [get(base), get(at[j]), op.i32Add]);
  const tap: Code = [
    get(wp),
    op.v128Load32Splat(),
    set(w),
    ...rows.flatMap((j) => [
      get(acc[j]),
      ...plus(p, j, srcAt),
      op.v128Load8x8U(),
      op.i32x4ExtendLowI16x8U,
      get(w),
      op.i32x4Mul,
      op.i32x4Add,
      set(acc[j]),
    ]),
    ...addTo(p, op.i32Const(3)),
  ];
  // One pixel's clip8: the vector's first three bytes, stored as two and one (exactly the pixel: a fourth byte would
  // land on the next row's first pixel after the last one, and that row is already written).
  const store = (j: number) => [
    ...plus(outP, j, dstAt),
    get(acc[j]),
    op.i32Const(PRECISION_BITS),
    op.i32x4ShrS,
    op.localTee(acc[j]),
    get(acc[j]),
    op.i16x8NarrowI32x4S,
    op.localTee(acc[j]),
    get(acc[j]),
    op.i8x16NarrowI16x8U,
    op.localTee(acc[j]),
    op.v128Store16Lane(0, 0),
    ...plus(outP, j, dstAt),
    get(acc[j]),
    op.v128Store8Lane(2, 2),
  ];
  const pixel: Code = [
    ...acc.flatMap((a) => [get(half), set(a)]),
    get(rowBase),
    get(offsets),
    get(x),
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    op.i32Load(),
    op.i32Add,
    set(p),
    get(weights),
    get(x),
    get(taps),
    op.i32Mul,
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    set(wp),
    get(wp),
    get(counts),
    get(x),
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    op.i32Load(),
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    set(wEnd),
    ...pointerLoop(wp, wEnd, addTo(wp, op.i32Const(4)), tap),
    ...rows.flatMap(store),
    ...addTo(outP, op.i32Const(3)),
  ];
  const rowBlock: Code = [
    get(src),
    get(r),
    get(srcStride),
    op.i32Mul,
    op.i32Add,
    set(rowBase),
    get(dst),
    get(r),
    get(dstStride),
    op.i32Mul,
    op.i32Add,
    set(outP),
    ...countLoop(x, nOut, pixel),
  ];
  return {
    name: 'hpass',
    params: new Array(10).fill(I32),
    results: [],
    locals: [...new Array(13).fill(I32), ...new Array(6).fill(V128)],
    body: [
      op.i32Const(1 << (PRECISION_BITS - 1)),
      op.i32x4Splat,
      set(half),
      ...[1, 2, 3].flatMap((j) => [
        get(srcStride),
        op.i32Const(j),
        op.i32Mul,
        set(srcAt[j]),
        get(dstStride),
        op.i32Const(j),
        op.i32Mul,
        set(dstAt[j]),
      ]),
      op.i32Const(0),
      set(r),
      ...pointerLoop(r, nRows, addTo(r, op.i32Const(HPASS_ROWS)), rowBlock),
    ],
  };
}

function makeNormalize(): WasmFunction {
  const [src, dst, nPixels, consts] = [0, 1, 2, 3];
  const [end] = [4];
  const [scale, bytes, lo, hi] = [5, 6, 7, 8];
  const mean = [9, 10, 11];
  const std = [12, 13, 14];
  const store = (j: number, from: number, extend: number[]) => [
    get(dst),
    get(from),
    extend,
    op.f32x4ConvertI32x4S,
    get(scale),
    op.f32x4Div,
    get(mean[j]),
    op.f32x4Sub,
    get(std[j]),
    op.f32x4Div,
    op.v128Store(16 * j),
  ];
  const group: Code = [
    get(src),
    op.v128Load(),
    op.localTee(bytes),
    op.i16x8ExtendLowI8x16U,
    set(lo),
    get(bytes),
    op.i16x8ExtendHighI8x16U,
    set(hi),
    ...store(0, lo, op.i32x4ExtendLowI16x8U),
    ...store(1, lo, op.i32x4ExtendHighI16x8U),
    ...store(2, hi, op.i32x4ExtendLowI16x8U),
    ...addTo(dst, op.i32Const(48)),
  ];
  return {
    name: 'normalize',
    params: [I32, I32, I32, I32],
    results: [],
    locals: [I32, ...new Array(10).fill(V128)],
    body: [
      get(consts),
      op.v128Load(0),
      set(scale),
      ...[0, 1, 2].flatMap((j) => [
        get(consts),
        op.v128Load(16 + 16 * j),
        set(mean[j]),
        get(consts),
        op.v128Load(64 + 16 * j),
        set(std[j]),
      ]),
      get(src),
      get(nPixels),
      op.i32Const(3),
      op.i32Mul,
      op.i32Add,
      set(end),
      ...pointerLoop(src, end, addTo(src, op.i32Const(12)), group),
    ],
  };
}

export interface ResampleKernels {
  vpass(
    src: number,
    srcStride: number,
    dst: number,
    dstStride: number,
    rowBytes: number,
    nOut: number,
    offsets: number,
    counts: number,
    weights: number,
    taps: number,
  ): void;
  hpass(
    src: number,
    srcStride: number,
    dst: number,
    dstStride: number,
    nRows: number,
    nOut: number,
    offsets: number,
    counts: number,
    weights: number,
    taps: number,
  ): void;
  normalize(src: number, dst: number, nPixels: number, consts: number): void;
}

let resampleModule: WebAssembly.Module | null = null;

/** The kernels over `memory` (the module is compiled once per thread). */
export function makeResampleKernels(memory: WebAssembly.Memory): ResampleKernels {
  if (!resampleModule) {
    const bytes = encodeModule([makeVpass(), makeHpass(), makeNormalize()]);
    if (!WebAssembly.validate(bytes))
      throw new Error('resample: this runtime lacks WebAssembly SIMD (Node.js 16.4 or later has it)');
    resampleModule = new WebAssembly.Module(bytes);
  }
  return new WebAssembly.Instance(resampleModule, { env: { memory } }).exports as unknown as ResampleKernels;
}
