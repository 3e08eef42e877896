/**
 * Memory for one span of the ordered iterator, with a scan for the clamp:
 * the largest `|x|` as float32 bits (see `getMaxAbsBits`).
 *
 * - `allocFreshScanMemory`: a new uninitialised buffer, scanned by copying
 *   64 KiB at a time into a small WebAssembly memory and scanning that in
 *   SIMD: ~10 GB/s on data in cache, against ~2.5 GB/s for the JavaScript
 *   scan in place (AMD EPYC, Node 20).
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
 *       (local.set $m (i32x4.max_u (local.get $m) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m)
 * (local.get $m))))
 *       (i32x4.extract_lane 0 (i32x4.max_u (local.get $m) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $m)
 * (local.get $m))))))
 *
 * `$p` and `$end` are byte offsets and `$end - $p` a multiple of 16; the
 * caller scans the last 0-3 values in JavaScript.
 */
import { encodeModule, I32, op, V128 } from '../wasm/encode.js';
import { getMaxAbsBits } from './item-values.js';
import { WASM_PAGE } from '../util/read-buffer.js';

const [p, end, m, mask] = [0, 1, 2, 3]; // params $p, $end; locals $m, $mask
const MODULE_BYTES = encodeModule([
  {
    name: 'maxAbsBits',
    params: [I32, I32],
    results: [I32],
    locals: [V128, V128],
    body: [
      op.i32Const(0x7fffffff),
      op.i32x4Splat,
      op.localSet(mask),
      op.block,
      op.loop,
      op.localGet(p),
      op.localGet(end),
      op.i32GeU,
      op.brIf(1),
      op.localGet(m),
      op.localGet(p),
      op.v128Load(),
      op.localGet(mask),
      op.v128And,
      op.i32x4MaxU,
      op.localSet(m),
      op.localGet(p),
      op.i32Const(16),
      op.i32Add,
      op.localSet(p),
      op.br(0),
      op.end,
      op.end,
      op.localGet(m),
      op.localGet(m),
      op.localGet(m),
      op.i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]),
      op.i32x4MaxU,
      op.localSet(m),
      op.localGet(m),
      op.localGet(m),
      op.localGet(m),
      op.i8x16Shuffle([4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3]),
      op.i32x4MaxU,
      op.i32x4ExtractLane(0),
    ],
  },
]);

/** Compiled once; null where the runtime has no WebAssembly SIMD (then the scan is JavaScript). */
const simdModule: WebAssembly.Module | null = WebAssembly.validate(MODULE_BYTES)
  ? new WebAssembly.Module(MODULE_BYTES)
  : null;

export interface ScanMemory {
  /** At least the requested bytes, from offset 0. */
  buffer: ArrayBuffer;
  /** Largest `bits & 0x7fffffff` of float32 values [start, end) of `buffer` (value indices). */
  maxAbsBits(start: number, end: number): number;
}

/** Whether scans run in WebAssembly SIMD (false: the JavaScript `getMaxAbsBits`). */
export const hasSimdScan = simdModule !== null;

type BitsScan = (bits: Uint32Array, start: number, end: number) => number;

/** Values the window holds: one WebAssembly page (64 KiB), which stays in cache. */
const WINDOW_VALUES = WASM_PAGE / 4;
let windowScan: BitsScan | null = null;

/**
 * The SIMD scan of values anywhere: copied a window at a time into this thread's one-page memory, zero-padded to whole
 * vectors.
 */
function getWindowScan(module: WebAssembly.Module): BitsScan {
  if (windowScan) return windowScan;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const scan = new WebAssembly.Instance(module, { env: { memory } }).exports.maxAbsBits as (
    p: number,
    end: number,
  ) => number;
  const window = new Uint32Array(memory.buffer);
  windowScan = (bits, start, end) => {
    let max = 0;
    for (let v = start; v < end; v += WINDOW_VALUES) {
      const n = Math.min(WINDOW_VALUES, end - v);
      window.set(bits.subarray(v, v + n));
      const padded = (n + 3) & ~3;
      window.fill(0, n, padded); // zeros leave the maximum as it is
      max = Math.max(max, scan(0, padded * 4));
    }
    return max;
  };
  return windowScan;
}

/**
 * Uninitialised memory (the caller fills every byte it reads), scanned through the SIMD window (in place in JavaScript
 * where the runtime lacks SIMD).
 */
export function allocFreshScanMemory(byteLength: number): ScanMemory {
  const { buffer } = Buffer.allocUnsafeSlow(byteLength);
  const bits = new Uint32Array(buffer, 0, Math.floor(byteLength / 4));
  const scan: BitsScan = simdModule ? getWindowScan(simdModule) : getMaxAbsBits;
  return { buffer, maxAbsBits: (start, end) => scan(bits, start, end) };
}

/** Zero-filled, page-aligned memory scanned in WebAssembly SIMD (JavaScript where the runtime lacks SIMD). */
export function allocSimdScanMemory(byteLength: number): ScanMemory {
  if (!simdModule) return allocFreshScanMemory(byteLength);
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(byteLength / WASM_PAGE)) });
  const scan = new WebAssembly.Instance(simdModule, { env: { memory } }).exports.maxAbsBits as (
    p: number,
    end: number,
  ) => number;
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
