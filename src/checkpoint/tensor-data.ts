/**
 * Tensor values inside a checkpoint's storage: the dtypes the readers know
 * (torch names, their sizes), decoding little-endian storage bytes to float32,
 * and strided views (storage offset, shape, stride) as torch keeps them, so a
 * transposed tensor or a slice of a shared storage reads exactly as torch
 * would show it, row-major.
 */
import { decodeValues } from '../shards/dtype.js';
import type { CheckpointTensor } from './state-dict.js';

/** Bytes per element of each dtype a checkpoint tensor may have. */
export const DTYPE_SIZES = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  uint8: 1,
  bool: 1,
} as const;
export type TensorDtype = keyof typeof DTYPE_SIZES;

/** Product of a shape; 1 for a scalar. */
export function getNumel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a shape, in elements. */
export function getContiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = step;
    step *= shape[i];
  }
  return stride;
}

/**
 * Decodes whole little-endian elements of `dtype` into float32 (int64 values beyond 2**53 lose precision, as float32
 * must).
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: TensorDtype): Float32Array {
  const itemSize = DTYPE_SIZES[dtype];
  if (bytes.byteLength % itemSize !== 0) {
    throw new Error(`checkpoint: ${bytes.byteLength} bytes are not a whole number of ${dtype} elements`);
  }
  if (dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16') return decodeValues(bytes, dtype);
  const n = bytes.byteLength / itemSize;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  const readers: Record<Exclude<TensorDtype, 'float32' | 'float16' | 'bfloat16'>, (i: number) => number> = {
    float64: (i) => view.getFloat64(i * 8, true),
    int64: (i) => view.getInt32(i * 8 + 4, true) * 2 ** 32 + view.getUint32(i * 8, true),
    uint64: (i) => view.getUint32(i * 8 + 4, true) * 2 ** 32 + view.getUint32(i * 8, true),
    int32: (i) => view.getInt32(i * 4, true),
    uint32: (i) => view.getUint32(i * 4, true),
    int16: (i) => view.getInt16(i * 2, true),
    uint16: (i) => view.getUint16(i * 2, true),
    int8: (i) => view.getInt8(i),
    uint8: (i) => view.getUint8(i),
    bool: (i) => (view.getUint8(i) ? 1 : 0),
  };
  const read = readers[dtype];
  for (let i = 0; i < n; i++) out[i] = read(i);
  return out;
}

export interface StridedTensorSpec {
  dtype: TensorDtype;
  shape: number[];
  /** Element strides; row-major when omitted. */
  stride?: number[];
  /** First element's index in the storage. */
  offset?: number;
  /** Number of elements in the storage (for the bounds check). */
  storageNumel: number;
  /** The storage's little-endian bytes, read when values are asked for. */
  loadStorage: () => Uint8Array;
  /** Where the tensor comes from, for errors: e.g. `model.pt: visual.proj`. */
  where: string;
}

function checkDims(values: unknown, name: string, where: string): asserts values is number[] {
  if (!Array.isArray(values) || !values.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    const shown = Array.isArray(values) ? `[${values.map(String).join(',')}]` : String(values);
    throw new Error(`checkpoint: ${where} has an invalid ${name} ${shown} (expected non-negative integers)`);
  }
}

/** A CheckpointTensor over (part of) a storage; validates the view against the storage size up front. */
export function makeStridedTensor(spec: StridedTensorSpec): CheckpointTensor {
  const { dtype, shape, where } = spec;
  checkDims(shape, 'shape', where);
  const stride = spec.stride ?? getContiguousStride(shape);
  const offset = spec.offset ?? 0;
  checkDims(stride, 'stride', where);
  if (stride.length !== shape.length) {
    throw new Error(`checkpoint: ${where} has shape [${shape}] but stride [${stride}] (lengths differ)`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new Error(`checkpoint: ${where} has an invalid storage offset ${offset}`);
  const numel = getNumel(shape);
  const last = numel === 0 ? offset - 1 : offset + shape.reduce((sum, n, i) => sum + (n - 1) * stride[i], 0);
  if (last >= spec.storageNumel) {
    throw new Error(
      `checkpoint: ${where} views elements ${offset}..${last} of a storage of ${spec.storageNumel} ${dtype} elements (file corrupt?)`,
    );
  }
  const contiguous = getContiguousStride(shape).every((s, i) => shape[i] === 1 || s === stride[i]);
  return {
    dtype,
    shape: [...shape],
    toFloat32() {
      if (numel === 0) return new Float32Array(0);
      const itemSize = DTYPE_SIZES[dtype];
      const span = spec.loadStorage().subarray(offset * itemSize, (last + 1) * itemSize);
      const values = decodeToFloat32(span, dtype);
      if (contiguous) return values.buffer === span.buffer ? values.slice() : values;
      return gather(values, shape, stride);
    },
  };
}

/** Row-major copy of a strided view whose first element is `values[0]` (`stride` in elements, per axis). */
export function gather(values: Float32Array, shape: readonly number[], stride: readonly number[]): Float32Array {
  const out = new Float32Array(getNumel(shape));
  const index = new Array<number>(shape.length).fill(0);
  let source = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = values[source];
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      source += stride[d];
      if (index[d] < shape[d]) break;
      source -= index[d] * stride[d];
      index[d] = 0;
    }
  }
  return out;
}
