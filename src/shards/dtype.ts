/**
 * Storage dtypes of shard values (docs/format.md#storage-dtype-and-byte-order): `float32` (saev 0.1.0's),
 * and the half types `float16` and `bfloat16`. Conversion from float32 rounds
 * to nearest, ties to even, exactly as numpy's `astype(float16)` and
 * `ml_dtypes.bfloat16` do: subnormals are kept, values beyond the range
 * become Inf, NaN stays NaN (canonical quiet NaN, sign kept for float16).
 */
import os from 'node:os';

// Shards are little-endian, and they are read and written through typed-array views, which use the
// machine's byte order: on a big-endian machine every value would be silently byte-swapped.
if (os.endianness() !== 'LE') {
  throw new Error(
    `shards: this machine is big-endian; saev's shards are little-endian, and saev-tfjs reads and writes them on little-endian machines only`,
  );
}

export const STORAGE_DTYPES = ['float32', 'float16', 'bfloat16'] as const;
export type StorageDtype = (typeof STORAGE_DTYPES)[number];

/** Bytes per stored value. */
export function getBytesPerValue(dtype: StorageDtype): number {
  return dtype === 'float32' ? 4 : 2;
}

export function parseStorageDtype(value: string): StorageDtype {
  if (!(STORAGE_DTYPES as readonly string[]).includes(value)) {
    throw new Error(`dtype: unknown storage dtype '${value}' (expected one of ${STORAGE_DTYPES.join(', ')})`);
  }
  return value as StorageDtype;
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The IEEE binary16 bits nearest to `x` (ties to even). */
export function float32ToFloat16Bits(x: number): number {
  scratch[0] = x;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | (mantissa ? 0x7e00 : 0x7c00);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: value / 2**-24 = significand * 2**(exponent - 126).
    const shift = 126 - exponent;
    if (shift > 24) return sign;
    const significand = mantissa | 0x800000;
    const kept = significand >>> shift;
    const rest = significand & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (kept + (rest > half || (rest === half && kept & 1) ? 1 : 0));
  }
  const kept = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and past the top gives Inf (0x7c00).
  return sign | (kept + (rest > 0x1000 || (rest === 0x1000 && kept & 1) ? 1 : 0));
}

/** The bfloat16 bits nearest to `x` (ties to even): the top half of the float32 bits, rounded. */
export function float32ToBfloat16Bits(x: number): number {
  scratch[0] = x;
  const bits = scratchBits[0];
  if (Number.isNaN(x)) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

let float16Table: Float32Array | null = null;

/** float32 value of every binary16 bit pattern (built once, 256 KB). */
function getFloat16Table(): Float32Array {
  if (float16Table) return float16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 0x1f) table[h] = mantissa ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  float16Table = table;
  return table;
}

/** Encodes float32 values into `dtype`'s little-endian bytes. */
export function encodeValues(values: Float32Array, dtype: StorageDtype): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint16Array(values.length);
  const convert = dtype === 'float16' ? float32ToFloat16Bits : float32ToBfloat16Bits;
  for (let i = 0; i < values.length; i++) out[i] = convert(values[i]);
  return new Uint8Array(out.buffer);
}

/**
 * Decodes `dtype` little-endian bytes into float32 values: a view of `bytes` for float32 (a copy when
 * misaligned); half dtypes into the start of `out` when given and large enough, else a new array.
 */
export function decodeValues(bytes: Uint8Array, dtype: StorageDtype, out?: Float32Array): Float32Array {
  if (bytes.byteLength % getBytesPerValue(dtype) !== 0) {
    throw new Error(`dtype: ${bytes.byteLength} bytes are not a whole number of ${dtype} values`);
  }
  if (dtype === 'float32') {
    const copy = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
  }
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const bits = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
  const values = out && out.length >= bits.length ? out.subarray(0, bits.length) : new Float32Array(bits.length);
  if (dtype === 'float16') {
    const table = getFloat16Table();
    for (let i = 0; i < bits.length; i++) values[i] = table[bits[i]];
  } else {
    const wide = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
  }
  return values;
}
