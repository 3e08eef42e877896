/**
 * The two inner loops of the statistics passes, in WebAssembly SIMD: float32
 * activations widened to float64 two dimensions at a time (`f64x2`), so every
 * product and sum is a float64 one (the square of a float32 value is exact).
 *
 * Both walk `nTok` tokens whose values start at `vals + 4 * offsets[k]` (byte
 * addresses into the memory; `offsets` holds value indices), four tokens at a
 * time and then one at a time, so per-dimension vectors are loaded and stored
 * once per four tokens. Every token's sum runs the same way in both loops
 * (even and odd dimensions in the two lanes, the last dimension of an odd D
 * added into lane 0, then lane 0 + lane 1), so a token's result does not
 * depend on where a chunk starts.
 *
 * - `pass1(vals, offsets, nTok, nDims, sumX, sumSq) -> maxSq`: adds Σx over
 *   the tokens into `sumX[d]`, writes each token's Σx² to `sumSq[k]`, and
 *   returns the largest x² (NaN/Inf tokens are found by the caller from
 *   `sumSq`).
 * - `centred(vals, offsets, nTok, nDims, mean, sumEE, sumSq)`: with
 *   e = x - mean[d], adds Σe² over the tokens into `sumEE[d]` and writes each
 *   token's Σe² to `sumSq[k]`.
 *
 * Float64 arrays are byte addresses of `nDims` (or `nTok`) values.
 */
import { encodeModule, F64, I32, op, V128, WasmFunction } from '../wasm/encode.js';

type Code = number[][];

/** Local indices shared by both kernels' token loop. */
interface LoopLocals {
  vals: number;
  offsets: number;
  nTok: number;
  nDims: number;
  sumSq: number;
  k: number;
  /** Byte offset of the current dimension pair in the float64 arrays (16 per pair). */
  p: number;
  pairEnd: number;
  /** Byte address of each of the four tokens' current values. */
  a: number[];
  /** Each token's running sum, one lane per dimension parity. */
  s: number[];
}

/**
 * How a step reads and writes per-dimension float64 vectors: two dims at once, or the last dim of an odd D in lane 0.
 */
interface Step {
  loadF64: number[];
  loadF32: number[];
  storeF64: number[];
}
const PAIR: Step = { loadF64: op.v128Load(), loadF32: op.v128Load64Zero(), storeF64: op.v128Store() };
const LAST: Step = { loadF64: op.v128Load64Zero(), loadF32: op.v128Load32Zero(), storeF64: op.v128Store64Lane(0, 0) };

const get = op.localGet;
const set = op.localSet;
const range = (n: number) => Array.from({ length: n }, (_, j) => j);

/**
 * While k + G <= nTok: points a[j] at token k + j, zeroes s[j], runs `step` over the dimension
 * pairs and then (odd D) the last dimension, stores s[j]'s lane sum to sumSq[k + j], k += G.
 */
function tokenLoop(L: LoopLocals, G: number, step: (G: number, s: Step) => Code): Code {
  const tokenAddress = (j: number) => [
    get(L.vals),
    get(L.offsets),
    get(L.k),
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    op.i32Load(4 * j),
    op.i32Const(2),
    op.i32Shl,
    op.i32Add,
    set(L.a[j]),
  ];
  const storeSum = (j: number) => [
    get(L.sumSq),
    get(L.k),
    op.i32Const(3),
    op.i32Shl,
    op.i32Add,
    get(L.s[j]),
    op.f64x2ExtractLane(0),
    get(L.s[j]),
    op.f64x2ExtractLane(1),
    op.f64Add,
    op.f64Store(8 * j),
  ];
  return [
    op.block,
    op.loop,
    get(L.k),
    op.i32Const(G),
    op.i32Add,
    get(L.nTok),
    op.i32GtU,
    op.brIf(1),
    ...range(G).flatMap(tokenAddress),
    ...range(G).flatMap((j) => [op.v128Zero, set(L.s[j])]),
    op.i32Const(0),
    set(L.p),
    op.block,
    op.loop,
    get(L.p),
    get(L.pairEnd),
    op.i32GeU,
    op.brIf(1),
    ...step(G, PAIR),
    ...range(G).flatMap((j) => [get(L.a[j]), op.i32Const(8), op.i32Add, set(L.a[j])]),
    get(L.p),
    op.i32Const(16),
    op.i32Add,
    set(L.p),
    op.br(0),
    op.end,
    op.end,
    get(L.nDims),
    op.i32Const(1),
    op.i32And,
    op.if,
    ...step(G, LAST),
    op.end,
    ...range(G).flatMap(storeSum),
    get(L.k),
    op.i32Const(G),
    op.i32Add,
    set(L.k),
    op.br(0),
    op.end,
    op.end,
  ];
}

/** pairEnd = (nDims & ~1) * 8: bytes of the float64 arrays covered by whole pairs. */
const setPairEnd = (L: LoopLocals) => [
  get(L.nDims),
  op.i32Const(-2),
  op.i32And,
  op.i32Const(3),
  op.i32Shl,
  set(L.pairEnd),
];

/** The address of the current dimension pair (byte offset `p`) in the float64 array at `base`. */
const pairAt = (L: LoopLocals, base: number) => [get(base), get(L.p), op.i32Add];

function makePass1(): WasmFunction {
  // params: vals 0, offsets 1, nTok 2, nDims 3, sumX 4, sumSq 5
  const sumX = 4;
  const L: LoopLocals = {
    vals: 0,
    offsets: 1,
    nTok: 2,
    nDims: 3,
    sumSq: 5,
    k: 6,
    p: 7,
    pairEnd: 8,
    a: [9, 10, 11, 12],
    s: [13, 14, 15, 16],
  };
  const [maxSq, sumXV, x, sq] = [17, 18, 19, 20];
  const step = (G: number, s: Step): Code => [
    ...pairAt(L, sumX),
    s.loadF64,
    set(sumXV),
    ...range(G).flatMap((j) => [
      get(L.a[j]),
      s.loadF32,
      op.f64x2PromoteLowF32x4,
      op.localTee(x),
      get(sumXV),
      op.f64x2Add,
      set(sumXV),
      get(x),
      get(x),
      op.f64x2Mul,
      op.localTee(sq),
      get(L.s[j]),
      op.f64x2Add,
      set(L.s[j]),
      get(maxSq),
      get(sq),
      op.f64x2Pmax,
      set(maxSq),
    ]),
    ...pairAt(L, sumX),
    get(sumXV),
    s.storeF64,
  ];
  return {
    name: 'pass1',
    params: [I32, I32, I32, I32, I32, I32],
    results: [F64],
    locals: [I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128],
    body: [
      ...setPairEnd(L),
      ...tokenLoop(L, 4, step),
      ...tokenLoop(L, 1, step),
      get(maxSq),
      op.f64x2ExtractLane(0),
      get(maxSq),
      op.f64x2ExtractLane(1),
      op.f64Max,
    ],
  };
}

function makeCentred(): WasmFunction {
  // params: vals 0, offsets 1, nTok 2, nDims 3, mean 4, sumEE 5, sumSq 6
  const [mean, sumEE] = [4, 5];
  const L: LoopLocals = {
    vals: 0,
    offsets: 1,
    nTok: 2,
    nDims: 3,
    sumSq: 6,
    k: 7,
    p: 8,
    pairEnd: 9,
    a: [10, 11, 12, 13],
    s: [14, 15, 16, 17],
  };
  const [meanV, sumEEV, e, ee] = [18, 19, 20, 21];
  const step = (G: number, s: Step): Code => [
    ...pairAt(L, mean),
    s.loadF64,
    set(meanV),
    ...pairAt(L, sumEE),
    s.loadF64,
    set(sumEEV),
    ...range(G).flatMap((j) => [
      get(L.a[j]),
      s.loadF32,
      op.f64x2PromoteLowF32x4,
      get(meanV),
      op.f64x2Sub,
      op.localTee(e),
      get(e),
      op.f64x2Mul,
      op.localTee(ee),
      get(L.s[j]),
      op.f64x2Add,
      set(L.s[j]),
      get(sumEEV),
      get(ee),
      op.f64x2Add,
      set(sumEEV),
    ]),
    ...pairAt(L, sumEE),
    get(sumEEV),
    s.storeF64,
  ];
  return {
    name: 'centred',
    params: [I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128],
    body: [...setPairEnd(L), ...tokenLoop(L, 4, step), ...tokenLoop(L, 1, step)],
  };
}

export interface StatsKernels {
  pass1(vals: number, offsets: number, nTok: number, nDims: number, sumX: number, sumSq: number): number;
  centred(vals: number, offsets: number, nTok: number, nDims: number, mean: number, sumEE: number, sumSq: number): void;
}

let statsModule: WebAssembly.Module | null = null;

/** The kernels over `memory` (the module is compiled once per thread). */
export function makeStatsKernels(memory: WebAssembly.Memory): StatsKernels {
  if (!statsModule) {
    const bytes = encodeModule([makePass1(), makeCentred()]);
    if (!WebAssembly.validate(bytes))
      throw new Error('stats: this runtime lacks WebAssembly SIMD (Node.js 16.4 or later has it)');
    statsModule = new WebAssembly.Module(bytes);
  }
  return new WebAssembly.Instance(statsModule, { env: { memory } }).exports as unknown as StatsKernels;
}
