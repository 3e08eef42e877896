import { describe, expect, it } from 'vitest';
import { makeMemorySource } from '../../src/checkpoint/byte-source.js';
import { looksLikeZip, readZip } from '../../src/checkpoint/zip.js';
import { makeZip } from './build-bytes.js';

const text = (s: string) => Uint8Array.from(Buffer.from(s));
const open = (bytes: Uint8Array) => readZip(makeMemorySource(bytes, 'a.zip'));

describe('readZip', () => {
  it('lists and reads stored and deflated entries (through local headers with extra fields)', () => {
    const zip = open(
      makeZip(
        [
          { name: 'x/data.pkl', data: text('hello') },
          { name: 'x/code/a.py', data: text('a'.repeat(300)), deflate: true },
        ],
        { comment: 'hi' },
      ),
    );
    expect([...zip.entries.keys()]).toEqual(['x/data.pkl', 'x/code/a.py']);
    expect(zip.entries.get('x/code/a.py')!.method).toBe(8);
    expect(Buffer.from(zip.read('x/data.pkl')).toString()).toBe('hello');
    expect(Buffer.from(zip.read('x/code/a.py')).toString()).toBe('a'.repeat(300));
  });

  it('reads zip64 directories and sizes', () => {
    const zip = open(
      makeZip(
        [
          { name: 'big', data: text('abc') },
          { name: 'two', data: text('de') },
        ],
        { zip64: true },
      ),
    );
    expect(zip.entries.get('two')!.size).toBe(2);
    expect(Buffer.from(zip.read('two')).toString()).toBe('de');
  });

  it('is recognised by its first bytes', () => {
    expect(looksLikeZip(makeMemorySource(makeZip([{ name: 'a', data: text('') }])))).toBe(true);
    expect(looksLikeZip(makeMemorySource(text('{}')))).toBe(false);
  });

  it('rejects damaged archives with one line naming the file and the problem', () => {
    const good = makeZip([{ name: 'a', data: text('12345678') }]);
    expect(() => open(good.subarray(0, good.length - 10))).toThrow(
      /^zip: a\.zip: no end-of-central-directory record \(truncated, or not a zip archive\)$/,
    );
    expect(() => open(good.subarray(20))).toThrow(
      /central directory at \d+ .* lies past the end|no local header|damaged/,
    );
    expect(() => open(makeZip([{ name: 'a', data: text('x'), badCrc: true }])).read('a')).toThrow(
      /^zip: a\.zip: entry a: CRC-32 mismatch \(file corrupt\)$/,
    );
    expect(() => open(good).read('b')).toThrow(/^zip: a\.zip: no entry b$/);
  });

  it('rejects an entry whose data runs past the end of the file', () => {
    const good = makeZip([{ name: 'a', data: text('12345678') }]);
    // Claim a larger size in both headers: the local read then runs into the directory, or past the end.
    const lying = Uint8Array.from(good);
    const view = new DataView(lying.buffer);
    const central = lying.length - 22 - (46 + 1);
    view.setUint32(central + 20, 10_000, true);
    view.setUint32(central + 24, 10_000, true);
    expect(() => open(lying).read('a')).toThrow(
      /entry a: data at 34 \(\+10000 bytes\) runs past the end of the \d+-byte file \(truncated\?\)/,
    );
  });
});
