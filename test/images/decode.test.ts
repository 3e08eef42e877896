// Tests src/images/decode.ts against Pillow's Image.open(path).convert("RGB") (test/fixtures/rgb-modes).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRgb } from '../../src/images/decode.js';

interface Expected {
  files: Array<{ file: string; pil_mode_on_open: string; width: number; height: number; rgb_hex: string; note: string }>;
}

const fixtureUrl = (file: string) => new URL(`../fixtures/rgb-modes/${file}`, import.meta.url);
const expected = JSON.parse(readFileSync(fixtureUrl('expected.json'), 'utf8')) as Expected;
const readFixture = (file: string) => new Uint8Array(readFileSync(fixtureUrl(file)));

describe('decodeRgb against Pillow convert("RGB")', () => {
  it('covers every image file in the fixture directory', () => {
    expect(expected.files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(expected.files.map((f) => [`${f.file} (${f.pil_mode_on_open}: ${f.note})`, f] as const))('%s', async (_label, f) => {
    const image = await decodeRgb(readFixture(f.file), f.file);
    expect([image.width, image.height]).toEqual([f.width, f.height]);
    expect(image.data.length).toBe(f.width * f.height * 3);
    expect(Buffer.from(image.data).toString('hex')).toBe(f.rgb_hex);
  });
});

describe('decodeRgb errors', () => {
  const expectOneLineNaming = async (bytes: Uint8Array, name: string) => {
    const error = await decodeRgb(bytes, name).then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/^image: cannot decode /);
    expect(error!.message).toContain(name);
    expect(error!.message).not.toContain('\n');
  };

  it('names a truncated JPEG (its first 100 bytes)', async () => {
    await expectOneLineNaming(readFixture('rgb-q95.jpg').subarray(0, 100), 'train/cat/truncated.jpg (index 7)');
  });

  it('names a truncated PNG', async () => {
    const png = readFixture('rgba.png');
    await expectOneLineNaming(png.subarray(0, png.length - 30), 'broken.png');
  });

  it('names a truncated BMP', async () => {
    await expectOneLineNaming(readFixture('rgb.bmp').subarray(0, 80), 'short.bmp');
  });

  it('names a text file', async () => {
    await expectOneLineNaming(new TextEncoder().encode('this is not an image\n'), 'notes/readme.txt');
  });

  it('names an empty file', async () => {
    await expectOneLineNaming(new Uint8Array(0), 'empty.jpg');
  });
});
