/**
 * A minimal BMP reader (sharp's libvips build has no BMP loader): the
 * uncompressed forms Pillow writes and ImageNet-style datasets contain,
 * 24- and 32-bit BI_RGB and 1/4/8-bit palette images, bottom-up or top-down.
 * Anything else is a one-line error.
 */
import type { RgbImage } from './resample.js';

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

export function decodeBmp(bytes: Uint8Array): RgbImage {
  if (bytes.length < 54) throw new Error(`bmp: file is ${bytes.length} bytes, shorter than a BMP header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (headerSize < 40) throw new Error(`bmp: header size ${headerSize} (OS/2 bitmaps) is not supported`);
  if (compression !== 0 && !(compression === 3 && bitsPerPixel === 32)) {
    throw new Error(`bmp: compression ${compression} is not supported (only uncompressed BMPs)`);
  }
  if (![1, 4, 8, 24, 32].includes(bitsPerPixel))
    throw new Error(`bmp: ${bitsPerPixel} bits per pixel is not supported`);
  const height = Math.abs(rawHeight);
  const bottomUp = rawHeight > 0;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (width < 1 || height < 1 || dataOffset + rowBytes * height > bytes.length) {
    throw new Error(`bmp: ${width}x${height} pixel data does not fit in a ${bytes.length}-byte file`);
  }
  const nColors = view.getUint32(46, true) || 1 << Math.min(bitsPerPixel, 8);
  const paletteOffset = 14 + headerSize;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (bottomUp ? height - 1 - y : y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (bitsPerPixel >= 24) {
        const p = row + x * (bitsPerPixel / 8);
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
      } else {
        const bit = x * bitsPerPixel;
        const index = (bytes[row + (bit >> 3)] >> (8 - bitsPerPixel - (bit & 7))) & ((1 << bitsPerPixel) - 1);
        if (index >= nColors) throw new Error(`bmp: palette index ${index} beyond its ${nColors} colours`);
        const p = paletteOffset + index * 4;
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
      }
    }
  }
  return { width, height, data: out };
}
