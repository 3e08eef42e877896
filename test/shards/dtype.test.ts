import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeValues,
  encodeValues,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  parseStorageDtype,
} from '../../src/shards/dtype.js';

interface Case {
  f32_bits: number;
  f16_bits: number;
  bf16_bits: number;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/dtype-vectors.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const bitsToFloat = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const isNaN16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isNaNbf16 = (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;

describe('float32 -> float16 (numpy reference)', () => {
  it("rounds every case to numpy's bits; NaN stays NaN", () => {
    expect(fixture.cases.length).toBeGreaterThan(500);
    for (const c of fixture.cases) {
      const got = float32ToFloat16Bits(bitsToFloat(c.f32_bits));
      if (isNaN16(c.f16_bits)) expect(isNaN16(got)).toBe(true);
      else expect(got, `f32 bits 0x${c.f32_bits.toString(16)}`).toBe(c.f16_bits);
    }
  });

  it('covers subnormals, overflow to Inf and ties (sanity of the fixture)', () => {
    const f16 = fixture.cases.map((c) => c.f16_bits);
    expect(f16.some((h) => (h & 0x7c00) === 0 && (h & 0x3ff) !== 0)).toBe(true);
    expect(f16).toContain(0x7c00);
    expect(f16).toContain(0xfc00);
  });
});

describe('float32 -> bfloat16 (ml_dtypes reference)', () => {
  it("rounds every case to ml_dtypes' bits; NaN stays NaN", () => {
    for (const c of fixture.cases) {
      const got = float32ToBfloat16Bits(bitsToFloat(c.f32_bits));
      if (isNaNbf16(c.bf16_bits)) expect(isNaNbf16(got)).toBe(true);
      else expect(got, `f32 bits 0x${c.f32_bits.toString(16)}`).toBe(c.bf16_bits);
    }
  });
});

describe('encodeValues / decodeValues', () => {
  const values = new Float32Array(fixture.cases.map((c) => bitsToFloat(c.f32_bits)));

  it('float32 is the identity, byte for byte', () => {
    const bytes = encodeValues(values, 'float32');
    expect(Array.from(decodeValues(bytes, 'float32'))).toEqual(Array.from(values));
  });

  for (const [dtype, key] of [
    ['float16', 'f16_bits'],
    ['bfloat16', 'bf16_bits'],
  ] as const) {
    it(`${dtype} decodes to the exact value of the reference bits`, () => {
      const decoded = decodeValues(encodeValues(values, dtype), dtype);
      fixture.cases.forEach((c, i) => {
        const reference =
          dtype === 'float16'
            ? decodeValues(new Uint8Array(new Uint16Array([c[key]]).buffer), dtype)[0]
            : bitsToFloat(c[key] << 16);
        if (Number.isNaN(reference)) expect(Number.isNaN(decoded[i])).toBe(true);
        else expect(decoded[i]).toBe(reference);
      });
    });
  }

  it('decodes hand-made float16 patterns: 1, -2, the smallest subnormal, max, Inf', () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00]);
    expect(Array.from(decodeValues(new Uint8Array(bits.buffer), 'float16'))).toEqual([
      1,
      -2,
      2 ** -24,
      65504,
      Infinity,
    ]);
  });

  it('decodes half dtypes into the start of a given array when it is large enough', () => {
    const bits = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer); // float16 1, -2
    const out = new Float32Array(4).fill(7);
    const decoded = decodeValues(bits, 'float16', out);
    expect(decoded.buffer).toBe(out.buffer);
    expect([...out]).toEqual([1, -2, 7, 7]);
    const bf = decodeValues(new Uint8Array(new Uint16Array([0x3f80]).buffer), 'bfloat16', out.subarray(3)); // bfloat16 1
    expect([...out]).toEqual([1, -2, 7, 1]);
    expect(bf.byteOffset).toBe(12);
    expect(decodeValues(bits, 'float16', new Float32Array(1)).length).toBe(2); // too small: a new array
  });

  it('rejects a byte count that is not whole values, and unknown dtypes', () => {
    expect(() => decodeValues(new Uint8Array(3), 'float16')).toThrow(
      /3 bytes are not a whole number of float16 values/,
    );
    expect(() => parseStorageDtype('float64')).toThrow(/unknown storage dtype 'float64'/);
  });
});
