/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON (`{name: {dtype, shape, data_offsets: [begin, end]}, ...,
 * "__metadata__": {str: str}}`, offsets relative to the byte after the
 * header), then the tensors' bytes, little-endian, row-major. Everything the
 * header says is checked before any tensor is read, as the reference
 * implementation does: the header fits in the file, dtypes are known, each
 * tensor's byte size is prod(shape) * itemsize, and the tensors tile the data
 * area in order with no gap, overlap or trailing bytes.
 */
import type { ByteSource } from './byte-source.js';
import type { StateDict } from './state-dict.js';
import { DTYPE_SIZES, getNumel, makeStridedTensor, type TensorDtype } from './tensor-data.js';

/** safetensors dtype names -> torch names. (F8_*, F4, complex and other newer types are refused.) */
export const SAFETENSORS_DTYPES: Readonly<Record<string, TensorDtype>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U64: 'uint64',
  U32: 'uint32',
  U16: 'uint16',
  U8: 'uint8',
  BOOL: 'bool',
};

/** The reference implementation's cap on the header size (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsContents {
  tensors: StateDict;
  /** The `__metadata__` strings, if any. */
  metadata: Map<string, string>;
}

/** True when the source starts like a safetensors file: a plausible header length, then `{`. */
export function looksLikeSafetensors(source: ByteSource): boolean {
  if (source.size < 10) return false;
  const head = source.read(0, 9);
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return head[8] === 0x7b && n >= 2n && n <= BigInt(source.size - 8);
}

export function readSafetensors(source: ByteSource): SafetensorsContents {
  const file = source.name;
  const fail = (what: string): never => {
    throw new Error(`safetensors: ${file}: ${what}`);
  };
  if (source.size < 8) fail(`file is ${source.size} bytes, too short for the 8-byte header length (truncated?)`);
  const lengthBytes = source.read(0, 8);
  const headerLength = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(source.size - 8))
    fail(`header length ${headerLength} runs past the end of the ${source.size}-byte file (truncated?)`);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes`);
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(source.read(8, n)));
  } catch (error) {
    fail(`header (bytes 8..${8 + n}) is not UTF-8 JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + n;
  const dataSize = source.size - dataStart;

  const metadata = new Map<string, string>();
  const entries: { name: string; dtype: TensorDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info))
        fail('__metadata__ is not an object of strings');
      for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`__metadata__.${key} is ${JSON.stringify(value)}, not a string`);
        metadata.set(key, value as string);
      }
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (info ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPES, dtype)) {
      fail(
        `tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (known: ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}' has invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[1] < offsets[0]
    ) {
      fail(
        `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end], 0 <= begin <= end)`,
      );
    }
    const torchDtype = SAFETENSORS_DTYPES[dtype as string];
    const [begin, end] = offsets as number[];
    const expected = getNumel(shape as number[]) * DTYPE_SIZES[torchDtype];
    if (end - begin !== expected) {
      fail(`tensor '${name}' spans ${end - begin} bytes [${begin}, ${end}) but ${dtype} [${shape}] needs ${expected}`);
    }
    entries.push({ name, dtype: torchDtype, shape: shape as number[], begin, end });
  }

  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of ordered) {
    if (entry.begin < cursor)
      fail(
        `tensor '${entry.name}' at data bytes [${entry.begin}, ${entry.end}) overlaps the previous tensor (ending at ${cursor})`,
      );
    if (entry.begin > cursor)
      fail(`tensor '${entry.name}' starts at data byte ${entry.begin}, leaving a gap after byte ${cursor}`);
    if (entry.end > dataSize)
      fail(`tensor '${entry.name}' ends at data byte ${entry.end}, past the ${dataSize}-byte data area (truncated?)`);
    cursor = entry.end;
  }
  if (cursor !== dataSize)
    fail(`data area is ${dataSize} bytes but the tensors cover ${cursor} (trailing bytes, or the header lies)`);

  const tensors: StateDict = new Map();
  for (const { name, dtype, shape, begin, end } of entries) {
    tensors.set(
      name,
      makeStridedTensor({
        dtype,
        shape,
        storageNumel: getNumel(shape),
        loadStorage: () => source.read(dataStart + begin, end - begin),
        where: `${file}: ${name}`,
      }),
    );
  }
  return { tensors, metadata };
}
