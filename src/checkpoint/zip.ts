/**
 * A minimal zip reader for `torch.save` and `torch.jit.save` archives: finds
 * the end-of-central-directory record (zip64 too), lists the central
 * directory, and reads an entry through its local header. torch stores
 * entries uncompressed (method 0, data 64-byte aligned); deflate (method 8)
 * is inflated with node:zlib for archives re-zipped by other tools. CRC-32 is
 * checked on every read. No encryption, no multi-disk archives.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import type { ByteSource } from './byte-source.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  /** Entries by name, in central-directory order. */
  entries: Map<string, ZipEntry>;
  /** The uncompressed bytes of an entry (throws naming the entry if it is missing or damaged). */
  read(name: string): Uint8Array;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function looksLikeZip(source: ByteSource): boolean {
  if (source.size < 4) return false;
  const head = source.read(0, 4);
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function getUint64(data: DataView, offset: number): number {
  return data.getUint32(offset, true) + data.getUint32(offset + 4, true) * 2 ** 32;
}

export function readZip(source: ByteSource): ZipArchive {
  const file = source.name;
  const fail = (what: string): never => {
    throw new Error(`zip: ${file}: ${what}`);
  };
  // The EOCD record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
  const tailLength = Math.min(source.size, 22 + 65535);
  const tail = source.read(source.size - tailLength, tailLength);
  const tailView = view(tail);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tailView.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated, or not a zip archive)');
  let nEntries = tailView.getUint16(eocd + 10, true);
  let directorySize = tailView.getUint32(eocd + 12, true);
  let directoryOffset = tailView.getUint32(eocd + 16, true);
  const eocdOffset = source.size - tailLength + eocd;
  if (nEntries === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    if (eocdOffset < 20) fail('zip64 archive without its end-of-central-directory locator');
    const locator = view(source.read(eocdOffset - 20, 20));
    if (locator.getUint32(0, true) !== EOCD64_LOCATOR)
      fail('zip64 archive without its end-of-central-directory locator');
    const record = view(source.read(getUint64(locator, 8), 56));
    if (record.getUint32(0, true) !== EOCD64)
      fail('zip64 end-of-central-directory record not found where its locator points');
    nEntries = getUint64(record, 32);
    directorySize = getUint64(record, 40);
    directoryOffset = getUint64(record, 48);
  }
  if (directoryOffset + directorySize > source.size)
    fail(
      `central directory at ${directoryOffset} (+${directorySize} bytes) lies past the end of the ${source.size}-byte file (truncated?)`,
    );
  const directory = source.read(directoryOffset, directorySize);
  const dir = view(directory);
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < nEntries; i++) {
    if (at + 46 > directory.byteLength || dir.getUint32(at, true) !== CENTRAL)
      fail(`central directory entry ${i} at byte ${directoryOffset + at} is damaged`);
    const flags = dir.getUint16(at + 8, true);
    const method = dir.getUint16(at + 10, true);
    const crc = dir.getUint32(at + 16, true);
    let compressedSize = dir.getUint32(at + 20, true);
    let size = dir.getUint32(at + 24, true);
    const nameLength = dir.getUint16(at + 28, true);
    const extraLength = dir.getUint16(at + 30, true);
    const commentLength = dir.getUint16(at + 32, true);
    let localHeaderOffset = dir.getUint32(at + 42, true);
    if (at + 46 + nameLength + extraLength > directory.byteLength)
      fail(`central directory entry ${i} runs past the directory`);
    const name = new TextDecoder().decode(directory.subarray(at + 46, at + 46 + nameLength));
    // zip64 extra field (id 1): the 64-bit values of the fields set to 0xffffffff, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = dir.getUint16(extra, true);
      const length = dir.getUint16(extra + 2, true);
      if (id === 1) {
        let field = extra + 4;
        if (size === 0xffffffff) {
          size = getUint64(dir, field);
          field += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = getUint64(dir, field);
          field += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = getUint64(dir, field);
      }
      extra += 4 + length;
    }
    if (flags & 1) fail(`entry ${name} is encrypted`);
    entries.set(name, { name, method, compressedSize, size, crc, localHeaderOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }

  return {
    entries,
    read(name) {
      const entry = entries.get(name);
      if (!entry) fail(`no entry ${name}`);
      const { method, compressedSize, size, crc, localHeaderOffset } = entry as ZipEntry;
      if (localHeaderOffset + 30 > source.size)
        fail(`entry ${name}: local header at ${localHeaderOffset} is past the end of the file (truncated?)`);
      const local = view(source.read(localHeaderOffset, 30));
      if (local.getUint32(0, true) !== LOCAL) fail(`entry ${name}: no local header at byte ${localHeaderOffset}`);
      const dataOffset = localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
      if (dataOffset + compressedSize > source.size)
        fail(
          `entry ${name}: data at ${dataOffset} (+${compressedSize} bytes) runs past the end of the ${source.size}-byte file (truncated?)`,
        );
      const raw = source.read(dataOffset, compressedSize);
      let data: Uint8Array;
      if (method === 0) data = raw;
      else if (method === 8) {
        try {
          data = new Uint8Array(inflateRawSync(raw));
        } catch (error) {
          return fail(`entry ${name}: deflate data is corrupt (${(error as Error).message})`);
        }
      } else return fail(`entry ${name}: unsupported compression method ${method} (only stored and deflate)`);
      if (data.byteLength !== size) fail(`entry ${name}: ${data.byteLength} bytes, but the directory says ${size}`);
      if (crc32(data) !== crc) fail(`entry ${name}: CRC-32 mismatch (file corrupt)`);
      return data;
    },
  };
}
