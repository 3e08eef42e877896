/**
 * NumPy `.npy` files (format version 1.0) for float64 arrays: what `numpy.save`
 * writes and `numpy.load` reads. Magic `\x93NUMPY`, version 1 0, a uint16
 * header length, a Python-dict header padded with spaces to a multiple of 64
 * bytes ending in `\n`, then little-endian `<f8` values in C order.
 */

export function encodeNpyFloat64(values: Float64Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length)
    throw new Error(`npy: shape [${shape.join(', ')}] holds ${count} values, got ${values.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < values.length; i++) body.setFloat64(i * 8, values[i], true);
  return out;
}

export function decodeNpyFloat64(bytes: Uint8Array, source: string): { values: Float64Array; shape: number[] } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw new Error(`npy: ${source} is not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(start, start + headerLen)).toString('latin1');
  if (!/'descr':\s*'<f8'/.test(header) || !/'fortran_order':\s*False/.test(header)) {
    throw new Error(`npy: ${source} must hold C-order float64 ('<f8'), header ${header.trim()}`);
  }
  const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!shapeMatch) throw new Error(`npy: ${source} has no shape in its header`);
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const bodyStart = start + headerLen;
  if (bytes.length - bodyStart !== count * 8)
    throw new Error(`npy: ${source} holds ${bytes.length - bodyStart} bytes of data, shape needs ${count * 8}`);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getFloat64(bodyStart + i * 8, true);
  return { values, shape };
}
