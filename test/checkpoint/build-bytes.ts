// Byte builders shared by the checkpoint tests: zip archives and pickles, byte by byte.
import { crc32, deflateRawSync } from 'node:zlib';

// Zip archives built byte by byte (APPNOTE.TXT 4.3): local headers + data, central directory, EOCD.
export interface Item {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  badCrc?: boolean;
}
export const le = (n: number, size: number) => {
  const b = Buffer.alloc(size);
  if (size === 8) b.writeBigUInt64LE(BigInt(n));
  else b.writeUIntLE(n, 0, size);
  return [...b];
};

export function makeZip(items: Item[], options: { zip64?: boolean; comment?: string } = {}): Uint8Array {
  const out: number[] = [];
  const central: number[] = [];
  for (const item of items) {
    const name = [...Buffer.from(item.name)];
    const stored = item.deflate ? new Uint8Array(deflateRawSync(item.data)) : item.data;
    const crc = item.badCrc ? (crc32(item.data) ^ 1) >>> 0 : crc32(item.data);
    const method = item.deflate ? 8 : 0;
    const offset = out.length;
    out.push(
      ...le(0x04034b50, 4),
      ...le(20, 2),
      0,
      0,
      ...le(method, 2),
      0,
      0,
      0,
      0,
      ...le(crc, 4),
      ...le(stored.length, 4),
      ...le(item.data.length, 4),
      ...le(name.length, 2),
      ...le(3, 2),
      ...name,
      1,
      2,
      3,
      ...stored,
    );
    const zip64 = options.zip64
      ? [...le(1, 2), ...le(24, 2), ...le(item.data.length, 8), ...le(stored.length, 8), ...le(offset, 8)]
      : [];
    const big = (n: number) => (options.zip64 ? 0xffffffff : n);
    central.push(
      ...le(0x02014b50, 4),
      ...le(45, 2),
      ...le(45, 2),
      0,
      0,
      ...le(method, 2),
      0,
      0,
      0,
      0,
      ...le(crc, 4),
      ...le(big(stored.length), 4),
      ...le(big(item.data.length), 4),
      ...le(name.length, 2),
      ...le(zip64.length, 2),
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...le(big(offset), 4),
      ...name,
      ...zip64,
    );
  }
  const directoryOffset = out.length;
  out.push(...central);
  if (options.zip64) {
    const record = out.length;
    out.push(
      ...le(0x06064b50, 4),
      ...le(44, 8),
      ...le(45, 2),
      ...le(45, 2),
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...le(items.length, 8),
      ...le(items.length, 8),
      ...le(central.length, 8),
      ...le(directoryOffset, 8),
    );
    out.push(...le(0x07064b50, 4), 0, 0, 0, 0, ...le(record, 8), ...le(1, 4));
  }
  const comment = [...Buffer.from(options.comment ?? '')];
  const n = options.zip64 ? 0xffff : items.length;
  out.push(
    ...le(0x06054b50, 4),
    0,
    0,
    0,
    0,
    ...le(n, 2),
    ...le(n, 2),
    ...le(options.zip64 ? 0xffffffff : central.length, 4),
    ...le(options.zip64 ? 0xffffffff : directoryOffset, 4),
    ...le(comment.length, 2),
    ...comment,
  );
  return Uint8Array.from(out);
}
// Pickles built byte by byte from Lib/pickletools.py's opcode table.
export const bytes = (...parts: (number | string | number[])[]): Uint8Array => {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') out.push(...Buffer.from(part, 'latin1'));
    else for (const b of part) out.push(b);
  }
  return Uint8Array.from(out);
};
export const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
export const u64 = (n: number) => [...u32(n), 0, 0, 0, 0];
export const unicode = (text: string) => {
  const b = Buffer.from(text, 'utf8');
  return [0x58, ...u32(b.length), ...b];
};
export const short = (text: string) => {
  const b = Buffer.from(text, 'utf8');
  return [0x8c, b.length, ...b];
};
export const PROTO2 = [0x80, 2];
export const STOP = 0x2e;
