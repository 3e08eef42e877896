// Tests src/util/read-buffer.ts: a read lands at its file position's offset within a page, holds the right
// bytes, and a read larger than the buffer is refused; placed in a shared memory, it stays on its page.
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilePool } from '../../src/util/file-pool.js';
import { ReadBuffer } from '../../src/util/read-buffer.js';

describe('ReadBuffer', () => {
  it('places each read at position mod 4096 and reads the right bytes', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'saev-read-buffer-')), 'data.bin');
    const data = Uint8Array.from({ length: 20000 }, (_, i) => (i * 7 + 3) & 0xff);
    writeFileSync(file, data);
    const rb = new ReadBuffer(9000);
    const pool = new FilePool();
    for (const [position, length] of [
      [0, 9000],
      [4, 100],
      [4095, 1],
      [4097, 8999],
      [10996, 9000],
    ]) {
      const target = rb.getTarget(position, length);
      expect(target.byteOffset % 4096).toBe(position % 4096);
      expect(target.length).toBe(length);
      const got = await pool.read(file, position, length, target);
      expect(got.buffer).toBe(target.buffer);
      expect([...got]).toEqual([...data.subarray(position, position + length)]);
    }
    await pool.close();
    expect(() => rb.getTarget(0, 9001)).toThrow('reader: a read of 9001 bytes does not fit a 9000-byte read buffer');
  });

  it('can sit at a page of a shared memory, and refuses a place off a page or past its end', () => {
    const { buffer } = new WebAssembly.Memory({ initial: 1 });
    const rb = new ReadBuffer(1000, { buffer, byteOffset: 8192 });
    const target = rb.getTarget(4100, 1000);
    expect(target.buffer).toBe(buffer);
    expect(target.byteOffset).toBe(8192 + 4);
    expect(ReadBuffer.getFootprint(1000)).toBe(1000 + 4096);
    expect(() => new ReadBuffer(1000, { buffer, byteOffset: 100 })).toThrow(
      'reader: a 5096-byte read buffer does not fit at byte 100 of 65536 (it must start on a 4096-byte page)',
    );
    expect(() => new ReadBuffer(1000, { buffer, byteOffset: 61440 })).toThrow('does not fit at byte 61440 of 65536');
  });
});
