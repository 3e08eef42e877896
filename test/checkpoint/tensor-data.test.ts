import { describe, expect, it } from 'vitest';
import { decodeToFloat32, getContiguousStride, makeStridedTensor } from '../../src/checkpoint/tensor-data.js';

const le = (values: number[], type: 'f64' | 'i64' | 'i32' | 'i16' | 'u16') => {
  const b = Buffer.alloc(values.length * { f64: 8, i64: 8, i32: 4, i16: 2, u16: 2 }[type]);
  values.forEach((v, i) => {
    if (type === 'f64') b.writeDoubleLE(v, i * 8);
    else if (type === 'i64') b.writeBigInt64LE(BigInt(v), i * 8);
    else if (type === 'i32') b.writeInt32LE(v, i * 4);
    else if (type === 'i16') b.writeInt16LE(v, i * 2);
    else b.writeUInt16LE(v, i * 2);
  });
  return new Uint8Array(b);
};

describe('decodeToFloat32', () => {
  it('decodes each integer and float dtype from little-endian bytes', () => {
    expect(Array.from(decodeToFloat32(le([0.1, -3], 'f64'), 'float64'))).toEqual([Math.fround(0.1), -3]);
    expect(Array.from(decodeToFloat32(le([-1, 2 ** 40 + 3, -(2 ** 33)], 'i64'), 'int64'))).toEqual([
      -1,
      Math.fround(2 ** 40 + 3),
      -(2 ** 33),
    ]);
    expect(Array.from(decodeToFloat32(le([-7, 2 ** 31 - 1], 'i32'), 'int32'))).toEqual([-7, Math.fround(2 ** 31 - 1)]);
    expect(Array.from(decodeToFloat32(le([-300], 'i16'), 'int16'))).toEqual([-300]);
    expect(Array.from(decodeToFloat32(le([65535], 'u16'), 'uint16'))).toEqual([65535]);
    expect(Array.from(decodeToFloat32(Uint8Array.from([0xff, 1]), 'int8'))).toEqual([-1, 1]);
    expect(Array.from(decodeToFloat32(Uint8Array.from([0xff, 1]), 'uint8'))).toEqual([255, 1]);
    expect(Array.from(decodeToFloat32(Uint8Array.from([0, 1, 2]), 'bool'))).toEqual([0, 1, 1]);
    expect(Array.from(decodeToFloat32(Uint8Array.from([0, 0xc0, 0x80, 0x3f]), 'float16'))).toEqual([-2, 1.875]);
  });

  it('rejects partial elements', () => {
    expect(() => decodeToFloat32(new Uint8Array(6), 'int64')).toThrow(
      /6 bytes are not a whole number of int64 elements/,
    );
  });
});

describe('makeStridedTensor', () => {
  const storageOf = (n: number) => new Uint8Array(Float32Array.from({ length: n }, (_, i) => i).buffer);

  it('reads random strided views exactly as index arithmetic says (property test)', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 300; trial++) {
      const rank = rand(4);
      const shape = Array.from({ length: rank }, () => rand(4) + (trial % 5 === 0 ? 0 : 1));
      const stride = Array.from({ length: rank }, () => rand(7));
      const offset = rand(5);
      const last = offset + shape.reduce((s, n, i) => s + Math.max(n - 1, 0) * stride[i], 0);
      const storageNumel = last + 1 + rand(3);
      const tensor = makeStridedTensor({
        dtype: 'float32',
        shape,
        stride,
        offset,
        storageNumel,
        loadStorage: () => storageOf(storageNumel),
        where: 't',
      });
      const expected: number[] = [];
      const visit = (dim: number, at: number) => {
        if (dim === rank) {
          expected.push(at);
          return;
        }
        for (let i = 0; i < shape[dim]; i++) visit(dim + 1, at + i * stride[dim]);
      };
      visit(0, offset);
      expect(Array.from(tensor.toFloat32()), `shape [${shape}] stride [${stride}] offset ${offset}`).toEqual(expected);
    }
  });

  it('returns a copy that does not alias the storage', () => {
    const storage = storageOf(4);
    const values = makeStridedTensor({
      dtype: 'float32',
      shape: [4],
      storageNumel: 4,
      loadStorage: () => storage,
      where: 't',
    }).toFloat32();
    values[0] = 99;
    expect(new Float32Array(storage.buffer)[0]).toBe(0);
    expect(getContiguousStride([2, 3, 4])).toEqual([12, 4, 1]);
  });

  it('rejects views outside their storage and malformed shapes, naming the tensor', () => {
    const base = { dtype: 'float32' as const, storageNumel: 6, loadStorage: () => storageOf(6), where: 'm.pt: w' };
    expect(() => makeStridedTensor({ ...base, shape: [2, 3], stride: [3, 1], offset: 1 })).toThrow(
      /^checkpoint: m\.pt: w views elements 1\.\.6 of a storage of 6 float32 elements \(file corrupt\?\)$/,
    );
    expect(() => makeStridedTensor({ ...base, shape: [2], stride: [1, 1] })).toThrow(
      /shape \[2\] but stride \[1,1\] \(lengths differ\)/,
    );
    expect(() => makeStridedTensor({ ...base, shape: [-1] })).toThrow(/invalid shape \[-1\]/);
    expect(() => makeStridedTensor({ ...base, shape: [2n ** 60n] as unknown as number[] })).toThrow(
      /invalid shape \[1152921504606846976\]/,
    );
    expect(makeStridedTensor({ ...base, shape: [0, 9], offset: 6 }).toFloat32().length).toBe(0);
  });
});
