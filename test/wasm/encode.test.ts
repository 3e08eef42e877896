// Tests src/wasm/encode.ts: LEB128 bytes checked by hand, and modules built from `op` instructions that
// validate, instantiate over a memory and compute what their text form says.
import { describe, expect, it } from 'vitest';
import { encodeModule, F64, I32, op, s32, u32, V128 } from '../../src/wasm/encode.js';

describe('wasm encoder', () => {
  it('encodes unsigned and signed LEB128', () => {
    expect(u32(0)).toEqual([0x00]);
    expect(u32(127)).toEqual([0x7f]);
    expect(u32(128)).toEqual([0x80, 0x01]);
    expect(u32(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(s32(0)).toEqual([0x00]);
    expect(s32(63)).toEqual([0x3f]);
    expect(s32(64)).toEqual([0xc0, 0x00]);
    expect(s32(-1)).toEqual([0x7f]);
    expect(s32(-64)).toEqual([0x40]);
    expect(s32(-65)).toEqual([0xbf, 0x7f]);
    expect(s32(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(s32(0x7fffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
  });

  it('builds a module whose functions run: a scalar loop and f64x2 arithmetic on memory', () => {
    // sum(p, n): Σ of n float64 at byte p, a loop with a body longer than 127 bytes of code in the module.
    const sum = {
      name: 'sum',
      params: [I32, I32] as const,
      results: [F64] as const,
      locals: [I32, V128] as const,
      body: [
        op.block,
        op.loop,
        op.localGet(2),
        op.localGet(1),
        op.i32GeU,
        op.brIf(1),
        op.localGet(3),
        op.localGet(0),
        op.localGet(2),
        op.i32Const(3),
        op.i32Shl,
        op.i32Add,
        op.v128Load64Zero(),
        op.f64x2Add,
        op.localSet(3),
        op.localGet(2),
        op.i32Const(1),
        op.i32Add,
        op.localSet(2),
        op.br(0),
        op.end,
        op.end,
        op.localGet(3),
        op.f64x2ExtractLane(0),
      ],
    };
    // square(p): the float32 pair at byte p, widened, squared, stored as two float64 at byte p + 16 (pmax with 0 keeps
    // it).
    const square = {
      name: 'square',
      params: [I32] as const,
      results: [] as const,
      locals: [V128] as const,
      body: [
        op.localGet(0),
        op.v128Load64Zero(),
        op.f64x2PromoteLowF32x4,
        op.localTee(1),
        op.localGet(1),
        op.f64x2Mul,
        op.localSet(1),
        op.localGet(0),
        op.v128Zero,
        op.localGet(1),
        op.f64x2Pmax,
        op.v128Store(16),
      ],
    };
    const bytes = encodeModule(
      [sum, square].map((f) => ({ ...f, params: [...f.params], results: [...f.results], locals: [...f.locals] })),
    );
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const fns = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as {
      sum(p: number, n: number): number;
      square(p: number): void;
    };
    new Float64Array(memory.buffer, 64, 5).set([1.5, -2, 1e-3, 4, 0.25]);
    expect(fns.sum(64, 5)).toBe(1.5 - 2 + 1e-3 + 4 + 0.25);
    expect(fns.sum(64, 0)).toBe(0);
    new Float32Array(memory.buffer, 8, 2).set([-3, 0.1]);
    fns.square(8);
    expect([...new Float64Array(memory.buffer, 24, 2)]).toEqual([9, Math.fround(0.1) ** 2]);
  });
});
