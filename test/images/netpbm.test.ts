// Tests src/images/netpbm.ts (through decodeRgb) against Pillow's Image.open(path).convert("RGB")
// (test/fixtures/netpbm).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRgb } from '../../src/images/decode.js';

interface Expected {
  files: Array<{
    file: string;
    pil_mode_on_open: string;
    width: number;
    height: number;
    rgb_hex: string;
    note: string;
  }>;
}

const fixtureUrl = (file: string) => new URL(`../fixtures/netpbm/${file}`, import.meta.url);
const expected = JSON.parse(readFileSync(fixtureUrl('expected.json'), 'utf8')) as Expected;
const ascii = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

describe('Netpbm against Pillow convert("RGB")', () => {
  it('covers all six formats', () => {
    expect(new Set(expected.files.map((f) => f.file.match(/P[1-6]/)![0]))).toEqual(
      new Set(['P1', 'P2', 'P3', 'P4', 'P5', 'P6']),
    );
  });

  it.each(expected.files.map((f) => [`${f.file} (${f.pil_mode_on_open}: ${f.note})`, f] as const))(
    '%s',
    async (_label, f) => {
      const image = await decodeRgb(new Uint8Array(readFileSync(fixtureUrl(f.file))), f.file);
      expect([image.width, image.height]).toEqual([f.width, f.height]);
      expect(Buffer.from(image.data).toString('hex')).toBe(f.rgb_hex);
    },
  );
});

describe('Netpbm errors, one line naming the file', () => {
  it.each([
    [
      'a plain value above maxval (Pillow refuses it too)',
      'P2\n2 1\n100\n50 101\n',
      /value 101 is above the maximum 100/,
    ],
    ['a raw raster cut short', 'P6\n2 2\n255\n\x01\x02\x03', /14 bytes, expected 23/], // an 11-byte header and 4 x 3 values
    ['a missing height', 'P5\n4 \n', /expected the height at byte 6/],
    [
      'a comment glued to maxval in a raw file (Pillow refuses it too)',
      'P6\n2 1\n255#c\n\x01\x02\x03\x04\x05\x06',
      /expected one whitespace byte before the raster at byte 10/,
    ],
    ['a zero maxval', 'P5\n1 1\n0\n\x00', /maximum value 0 is outside 1\.\.65535/],
    [
      'a plain value past 16 bits (not wrapped into range)',
      'P2\n1 1\n65535\n70000\n',
      /value 70000 is above the maximum 65535/,
    ],
    [
      'a header larger than the file',
      'P6\n100000 100000\n255\n\x00',
      /the header says 100000x100000, more than the file's 22 bytes can hold/,
    ],
  ])('%s', async (_label, text, message) => {
    await expect(decodeRgb(ascii(text), 'dir/x.pgm (index 3)')).rejects.toThrow(
      new RegExp(`^image: cannot decode dir/x\\.pgm \\(index 3\\) \\(netpbm: ${message.source}\\)$`),
    );
  });
});
