// Tests src/images/decode.ts against Pillow's Image.open(path).convert("RGB") (test/fixtures/rgb-modes).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeRgb, getJpegFrame } from '../../src/images/decode.js';

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

const fixtureUrl = (file: string) => new URL(`../fixtures/rgb-modes/${file}`, import.meta.url);
const expected = JSON.parse(readFileSync(fixtureUrl('expected.json'), 'utf8')) as Expected;
const readFixture = (file: string) => new Uint8Array(readFileSync(fixtureUrl(file)));

describe('decodeRgb against Pillow convert("RGB")', () => {
  it('covers every image file in the fixture directory', () => {
    expect(expected.files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(expected.files.map((f) => [`${f.file} (${f.pil_mode_on_open}: ${f.note})`, f] as const))(
    '%s',
    async (_label, f) => {
      const image = await decodeRgb(readFixture(f.file), f.file);
      expect([image.width, image.height]).toEqual([f.width, f.height]);
      expect(image.data.length).toBe(f.width * f.height * 3);
      expect(Buffer.from(image.data).toString('hex')).toBe(f.rgb_hex);
    },
  );
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

describe('getJpegFrame (which JPEGs skip the metadata probe)', () => {
  // SOI, an APP0 segment of 4 bytes (length 6), then a baseline frame header: precision 8, 2x3 pixels, N components.
  const sof = (marker: number, precision: number, nComponents: number) => [
    0xff,
    marker,
    0x00,
    0x0b,
    precision,
    0x00,
    0x03,
    0x00,
    0x02,
    nComponents,
  ];
  const jpeg = (...parts: number[][]) =>
    Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x06, 1, 2, 3, 4, ...parts.flat()]);

  it('reads precision and components from SOF0, SOF1 and SOF2, past fill bytes and length-less markers', () => {
    expect(getJpegFrame(jpeg(sof(0xc0, 8, 3)))).toEqual({ precision: 8, nComponents: 3 });
    expect(getJpegFrame(jpeg([0xff, 0xff], sof(0xc1, 12, 1)))).toEqual({ precision: 12, nComponents: 1 });
    expect(getJpegFrame(jpeg([0xff, 0xd0], sof(0xc2, 8, 4)))).toEqual({ precision: 8, nComponents: 4 });
  });

  it('skips DHT (C4), which shares the frame markers range', () => {
    expect(getJpegFrame(jpeg([0xff, 0xc4, 0x00, 0x03, 0x00], sof(0xc0, 8, 1)))).toEqual({
      precision: 8,
      nComponents: 1,
    });
  });

  it('gives null for no JPEG, a scan before any frame, a cut frame header and a broken segment chain', () => {
    expect(getJpegFrame(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
    expect(getJpegFrame(jpeg([0xff, 0xda, 0x00, 0x02], sof(0xc0, 8, 3)))).toBeNull();
    expect(getJpegFrame(jpeg(sof(0xc0, 8, 3).slice(0, 8)))).toBeNull();
    expect(getJpegFrame(jpeg([0x00, 0x00], sof(0xc0, 8, 3)))).toBeNull();
  });

  it('reads the fixtures: RGB and grey JPEGs take the direct path, CMYK the probe', () => {
    expect(getJpegFrame(readFixture('rgb-q95.jpg'))).toEqual({ precision: 8, nComponents: 3 });
    expect(getJpegFrame(readFixture('grey.jpg'))).toEqual({ precision: 8, nComponents: 1 });
    expect(getJpegFrame(readFixture('cmyk.jpg'))).toEqual({ precision: 8, nComponents: 4 });
  });

  it('gives the bytes of the probe path (metadata, then removeAlpha + sRGB) on the demo photos', async () => {
    for (const photo of ['animal/cat.jpg', 'people/cameraman.jpg', 'space/rocket.jpg']) {
      const bytes = readFileSync(new URL(`../../src/demo/images/${photo}`, import.meta.url));
      const options = { ignoreIcc: true, failOn: 'error', limitInputPixels: false } as const;
      const probed = await sharp(bytes, options).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
      expect(Buffer.from((await decodeRgb(bytes, photo)).data).equals(probed), photo).toBe(true);
    }
  });
});
