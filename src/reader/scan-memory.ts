/**
 * Memory for one span of the ordered iterator, with a scan for the clamp:
 * the largest `|x|` as float32 bits (see `getMaxAbsBits`).
 *
 * - `allocFreshScanMemory`: a new uninitialised buffer, scanned in
 *   JavaScript (~2.6 GB/s here, AMD EPYC, Node 20).
 * - `allocSimdScanMemory`: a `WebAssembly.Memory` scanned by the module
 *   below in WebAssembly SIMD (~23 GB/s on data in cache, 4 values per
 *   instruction), starting on a page boundary, which keeps the kernel's copy
 *   from the page cache fast (see read-buffer.ts). Creating one costs far
 *   more than a buffer (V8 collects garbage to bound wasm reservations:
 *   ~2.5 ms per 8 MiB in a sequential read), so it pays only when reused.
 *
 * The module, in WebAssembly text:
 *
 *   (module
 *     (import "env" "memory" (memory 1))
 *     (func (export "maxAbsBits") (param $p i32) (param $end i32) (result i32)
 *       (local $m v128) (local $mask v128)
 *       (local.set $mask (i32x4.splat (i32.const 0x7fffffff)))
 *       (block $done (loop $next
 *         (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $m (i32x4.max_u (local.get $m) (v128.and (v128.load (local.get $p)) (local.get $mask))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *         (br $next)))
 *       ;; lanes [0 1 2 3] -> max with [2 3 0 1] -> max with [1 . . .]; lane 0 holds the maximum
 *       (local.set $m (i32x4.max_u (local.get $m) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
 *       (i32x4.extract_lane 0 (i32x4.max_u (local.get $m) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $m) (local.get $m))))))
 *
 * `$p` and `$end` are byte offsets and `$end - $p` a multiple of 16; the
 * caller scans the last 0-3 values in JavaScript.
 */
import { getMaxAbsBits } from './item-values.js';
import { WASM_PAGE } from './read-buffer.js';

/** A one-byte LEB128 length (every section and the function body here are under 128 bytes). */
function byteLength(bytes: number[]): number {
  if (bytes.length > 127) throw new Error('scan-memory: a section grew past 127 bytes; encode its length as multi-byte LEB128');
  return bytes.length;
}
const section = (id: number, bytes: number[]) => [id, byteLength(bytes), ...bytes];
const ascii = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const SIMD = 0xfd;
const I32X4_MAX_U = [SIMD, 0xb9, 0x01];
const shuffle = (lanes: number[]) => [SIMD, 0x0d, ...lanes];

const body = [
  0x01, 0x02, 0x7b, // locals: 2 x v128 ($m = local 2, $mask = local 3)
  0x41, 0xff, 0xff, 0xff, 0xff, 0x07, SIMD, 0x11, 0x21, 0x03, // $mask = i32x4.splat(0x7fffffff)
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, // br_if 1 ($p >= $end, unsigned)
  0x20, 0x02, 0x20, 0x00, SIMD, 0x00, 0x04, 0x00, 0x20, 0x03, SIMD, 0x4e, ...I32X4_MAX_U, 0x21, 0x02, // $m = max_u($m, load($p) & $mask)
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, // $p += 16
  0x0c, 0x00, 0x0b, 0x0b, // br 0, end loop, end block
  0x20, 0x02, 0x20, 0x02, 0x20, 0x02, ...shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]), ...I32X4_MAX_U, 0x21, 0x02,
  0x20, 0x02, 0x20, 0x02, 0x20, 0x02, ...shuffle([4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3]), ...I32X4_MAX_U, SIMD, 0x1b, 0x00, // extract lane 0
  0x0b, // end
];

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f]), // types: (i32, i32) -> i32
  ...section(2, [0x01, ...ascii('env'), ...ascii('memory'), 0x02, 0x00, 0x01]), // import env.memory, at least 1 page
  ...section(3, [0x01, 0x00]), // one function of type 0
  ...section(7, [0x01, ...ascii('maxAbsBits'), 0x00, 0x00]), // export it
  ...section(10, [0x01, byteLength(body), ...body]), // its code
]);

/** Compiled once; null where the runtime has no WebAssembly SIMD (then the scan is JavaScript). */
const simdModule: WebAssembly.Module | null = WebAssembly.validate(MODULE_BYTES) ? new WebAssembly.Module(MODULE_BYTES) : null;

export interface ScanMemory {
  /** At least the requested bytes, from offset 0. */
  buffer: ArrayBuffer;
  /** Largest `bits & 0x7fffffff` of float32 values [start, end) of `buffer` (value indices). */
  maxAbsBits(start: number, end: number): number;
}

/** Whether scans run in WebAssembly SIMD (false: the JavaScript `getMaxAbsBits`). */
export const hasSimdScan = simdModule !== null;

/** Uninitialised memory (the caller fills every byte it reads), scanned in JavaScript. */
export function allocFreshScanMemory(byteLength: number): ScanMemory {
  const { buffer } = Buffer.allocUnsafeSlow(byteLength);
  const bits = new Uint32Array(buffer, 0, Math.floor(byteLength / 4));
  return { buffer, maxAbsBits: (start, end) => getMaxAbsBits(bits, start, end) };
}

/** Zero-filled, page-aligned memory scanned in WebAssembly SIMD (JavaScript where the runtime lacks SIMD). */
export function allocSimdScanMemory(byteLength: number): ScanMemory {
  if (!simdModule) return allocFreshScanMemory(byteLength);
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(byteLength / WASM_PAGE)) });
  const scan = new WebAssembly.Instance(simdModule, { env: { memory } }).exports.maxAbsBits as (p: number, end: number) => number;
  const bits = new Uint32Array(memory.buffer);
  return {
    buffer: memory.buffer,
    maxAbsBits(start, end) {
      const simdEnd = start + ((end - start) & ~3);
      const head = simdEnd > start ? scan(start * 4, simdEnd * 4) : 0;
      return simdEnd < end ? Math.max(head, getMaxAbsBits(bits, simdEnd, end)) : head;
    },
  };
}
