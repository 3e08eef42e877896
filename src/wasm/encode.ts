/**
 * A small WebAssembly binary encoder: modules of exported functions over one
 * imported memory (`env.memory`), and the instructions our kernels use, by
 * their text-format names (`op.f64x2Add` is `f64x2.add`). Kernels are written
 * as arrays of these, so they read like WebAssembly text and need no tool at
 * build or run time. Opcodes: WebAssembly core spec 2.0, §5.4 (SIMD: 0xfd
 * prefix followed by a LEB128 opcode).
 */

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F64 | typeof V128;

/** Unsigned LEB128. */
export function u32(n: number): number[] {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function s32(n: number): number[] {
  const out = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]) => [...u32(items.length), ...items.flat()];
const name = (s: string) => [...u32(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, bytes: number[]) => [id, ...u32(bytes.length), ...bytes];
/** Memory immediate: log2 of the alignment hint, then the static byte offset. */
const memarg = (log2Align: number, offset: number) => [log2Align, ...u32(offset)];
const simd = (opcode: number) => [0xfd, ...u32(opcode)];

export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...u32(depth)],
  brIf: (depth: number) => [0x0d, ...u32(depth)],
  localGet: (i: number) => [0x20, ...u32(i)],
  localSet: (i: number) => [0x21, ...u32(i)],
  localTee: (i: number) => [0x22, ...u32(i)],
  i32Load: (offset = 0) => [0x28, ...memarg(2, offset)],
  i32Store: (offset = 0) => [0x36, ...memarg(2, offset)],
  f64Store: (offset = 0) => [0x39, ...memarg(3, offset)],
  i32Const: (n: number) => [0x41, ...s32(n)],
  i32GeU: [0x4f],
  i32GtU: [0x4b],
  i32LtU: [0x49],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Shl: [0x74],
  f64Add: [0xa0],
  f64Max: [0xa5],
  v128Load: (offset = 0) => [...simd(0x00), ...memarg(4, offset)],
  /** Eight bytes, each zero-extended to a 16-bit lane. */
  v128Load8x8U: (offset = 0) => [...simd(0x02), ...memarg(3, offset)],
  v128Load32Splat: (offset = 0) => [...simd(0x09), ...memarg(2, offset)],
  v128Store: (offset = 0) => [...simd(0x0b), ...memarg(4, offset)],
  v128Zero: [...simd(0x0c), ...new Array(16).fill(0)],
  i8x16Shuffle: (lanes: number[]) => [...simd(0x0d), ...lanes],
  i32x4Splat: simd(0x11),
  i32x4ExtractLane: (lane: number) => [...simd(0x1b), lane],
  f64x2ExtractLane: (lane: number) => [...simd(0x21), lane],
  v128And: simd(0x4e),
  v128Store8Lane: (offset: number, lane: number) => [...simd(0x58), ...memarg(0, offset), lane],
  v128Store16Lane: (offset: number, lane: number) => [...simd(0x59), ...memarg(1, offset), lane],
  v128Store64Lane: (offset: number, lane: number) => [...simd(0x5b), ...memarg(3, offset), lane],
  v128Load32Zero: (offset = 0) => [...simd(0x5c), ...memarg(2, offset)],
  v128Load64Zero: (offset = 0) => [...simd(0x5d), ...memarg(3, offset)],
  f64x2PromoteLowF32x4: simd(0x5f),
  /** Signed 16-bit lanes of both operands to unsigned bytes, saturating (negatives to 0, past 255 to 255). */
  i8x16NarrowI16x8U: simd(0x66),
  /** Signed 32-bit lanes of both operands to signed 16-bit ones, saturating. */
  i16x8NarrowI32x4S: simd(0x85),
  i16x8ExtendLowI8x16U: simd(0x89),
  i16x8ExtendHighI8x16U: simd(0x8a),
  i32x4ExtendLowI16x8U: simd(0xa9),
  i32x4ExtendHighI16x8U: simd(0xaa),
  i32x4ShrS: simd(0xac),
  i32x4Add: simd(0xae),
  i32x4Mul: simd(0xb5),
  i32x4MaxU: simd(0xb9),
  f32x4Sub: simd(0xe5),
  f32x4Div: simd(0xe7),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
  /** `b > a ? b : a` per lane (one `maxpd`; `f64x2.max` adds NaN and -0 fix-ups). */
  f64x2Pmax: simd(0xf7),
  f32x4ConvertI32x4S: simd(0xfa),
};

export interface WasmFunction {
  /** Export name. */
  name: string;
  params: ValType[];
  results: ValType[];
  /** Locals after the params (indices continue from the params'). */
  locals: ValType[];
  /** Instructions, without the final `end`. */
  body: number[][];
}

/** A module importing `env.memory` (at least one page) and exporting `functions`. */
export function encodeModule(functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const code = functions.map((f) => {
    const bytes = [...vec(f.locals.map((t) => [1, t])), ...f.body.flat(), ...op.end];
    return [...u32(bytes.length), ...bytes];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00, // "\0asm", version 1
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // memory import, min 1 page, no max
    ...section(3, vec(functions.map((_, i) => u32(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...u32(i)]))),
    ...section(10, vec(code)),
  ]);
}
