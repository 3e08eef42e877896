import { describe, expect, it } from 'vitest';
import { makeMemorySource } from '../../src/checkpoint/byte-source.js';
import { looksLikeSafetensors, readSafetensors } from '../../src/checkpoint/safetensors.js';

// safetensors files built byte by byte: u64 LE header length, JSON header, data.
function makeFile(
  header: unknown,
  data: number[] | Uint8Array,
  options: { pad?: number; lengthDelta?: number } = {},
): Uint8Array {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(options.pad ?? 0), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length + (options.lengthDelta ?? 0)));
  return Uint8Array.from([...length, ...json, ...data]);
}
const f32 = (...values: number[]) => [...new Uint8Array(new Float32Array(values).buffer)];
const read = (bytes: Uint8Array) => readSafetensors(makeMemorySource(bytes, 'x.safetensors'));

describe('readSafetensors', () => {
  it('reads tensors of several dtypes at their offsets, in any header order, and keeps __metadata__', () => {
    const data = [...f32(1.5, -2), 0x00, 0x3c, 0x80, 0x3f, ...[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]];
    const file = makeFile(
      {
        i: { dtype: 'I64', shape: [1], data_offsets: [12, 20] },
        __metadata__: { format: 'pt' },
        w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        h: { dtype: 'F16', shape: [1, 1], data_offsets: [8, 10] },
        b: { dtype: 'BF16', shape: [], data_offsets: [10, 12] },
      },
      data,
      { pad: 3 },
    );
    const { tensors, metadata } = read(file);
    expect([...tensors.keys()]).toEqual(['i', 'w', 'h', 'b']);
    expect(Array.from(tensors.get('w')!.toFloat32())).toEqual([1.5, -2]);
    expect(tensors.get('h')!.dtype).toBe('float16');
    expect(Array.from(tensors.get('h')!.toFloat32())).toEqual([1]);
    expect(tensors.get('b')!.shape).toEqual([]);
    expect(Array.from(tensors.get('b')!.toFloat32())).toEqual([1]);
    expect(Array.from(tensors.get('i')!.toFloat32())).toEqual([-2]);
    expect(metadata).toEqual(new Map([['format', 'pt']]));
  });

  it('reads an empty tensor and a file with no tensors', () => {
    expect(
      Array.from(
        read(makeFile({ e: { dtype: 'F32', shape: [0, 4], data_offsets: [0, 0] } }, []))
          .tensors.get('e')!
          .toFloat32(),
      ),
    ).toEqual([]);
    expect(read(makeFile({}, [])).tensors.size).toBe(0);
  });

  it('is recognised by its content', () => {
    expect(looksLikeSafetensors(makeMemorySource(makeFile({}, [])))).toBe(true);
    expect(looksLikeSafetensors(makeMemorySource(Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0])))).toBe(false);
  });

  const w = (offsets: number[], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'a header length past the end',
      makeFile({ w: w([0, 8]) }, f32(1, 2), { lengthDelta: 100 }),
      /header length \d+ runs past the end of the \d+-byte file/,
    ],
    ['a file shorter than 8 bytes', Uint8Array.from([1, 0, 0]), /too short for the 8-byte header length/],
    [
      'a header that is not JSON',
      makeFile({}, []).map((b, i) => (i === 8 ? 0x5b : b)),
      /header \(bytes 8\.\.10\) is not UTF-8 JSON/,
    ],
    [
      'a header that is a JSON array',
      Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0, 0x5b, 0x5d]),
      /header is not a JSON object/,
    ],
    [
      'a size that does not match the shape',
      makeFile({ w: w([0, 12]) }, f32(1, 2, 3)),
      /tensor 'w' spans 12 bytes \[0, 12\) but F32 \[2\] needs 8/,
    ],
    [
      'offsets running past the data',
      makeFile({ w: w([0, 8]) }, f32(1)),
      /tensor 'w' ends at data byte 8, past the 4-byte data area/,
    ],
    [
      'overlapping tensors',
      makeFile({ a: w([0, 8]), b: w([4, 12]) }, f32(1, 2, 3)),
      /tensor 'b' at data bytes \[4, 12\) overlaps the previous tensor \(ending at 8\)/,
    ],
    [
      'a gap between tensors',
      makeFile({ a: w([0, 8]), b: w([12, 20]) }, f32(1, 2, 3, 4, 5)),
      /tensor 'b' starts at data byte 12, leaving a gap after byte 8/,
    ],
    ['trailing bytes', makeFile({ a: w([0, 8]) }, f32(1, 2, 3)), /data area is 12 bytes but the tensors cover 8/],
    ['reversed offsets', makeFile({ a: w([8, 0]) }, f32(1, 2)), /tensor 'a' has invalid data_offsets \[8,0\]/],
    [
      'an unknown dtype',
      makeFile({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, [0]),
      /tensor 'a' has unsupported dtype "F8_E4M3"/,
    ],
    ['a negative dimension', makeFile({ a: w([0, 8], [-2]) }, f32(1, 2)), /tensor 'a' has invalid shape \[-2\]/],
    ['non-string metadata', makeFile({ __metadata__: { n: 1 } }, []), /__metadata__\.n is 1, not a string/],
  ];
  for (const [name, file, error] of cases) {
    it(`rejects ${name} with one line naming the file`, () => {
      let message = '';
      try {
        read(file);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^safetensors: x\.safetensors: /);
      expect(message).toMatch(error);
      expect(message).not.toContain('\n');
    });
  }
});
