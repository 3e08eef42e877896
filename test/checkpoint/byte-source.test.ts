import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFileSource, makeMemorySource } from '../../src/checkpoint/byte-source.js';

const dir = mkdtempSync(path.join(tmpdir(), 'byte-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('byte sources', () => {
  it('read the same ranges from memory and from a file', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const file = path.join(dir, 'a.bin');
    writeFileSync(file, bytes);
    for (const source of [makeMemorySource(bytes, 'mem'), makeFileSource(file)]) {
      expect(source.size).toBe(300);
      expect(Array.from(source.read(255, 3))).toEqual([255, 0, 1]);
      expect(source.read(300, 0).byteLength).toBe(0);
      expect(() => source.read(299, 2)).toThrow(
        new RegExp(
          `^checkpoint: ${source.name.replace(/[/.]/g, '\\$&')} is truncated or corrupt \\(wanted bytes 299\\.\\.301 of a 300-byte file\\)$`,
        ),
      );
      expect(() => source.read(-1, 1)).toThrow(/truncated or corrupt/);
    }
  });

  it('notices a file that shrank after it was opened', () => {
    const file = path.join(dir, 'b.bin');
    writeFileSync(file, new Uint8Array(10));
    const source = makeFileSource(file);
    writeFileSync(file, new Uint8Array(4));
    expect(() => source.read(2, 6)).toThrow(/shrank while being read \(at byte 4\)/);
  });
});
