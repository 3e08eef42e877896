/**
 * Decoding an encoded image into 8-bit RGB exactly as saev's loaders see it:
 * `PIL.Image.open(f).convert("RGB")`. Pillow does no EXIF rotation and no ICC
 * colour management, drops alpha without compositing, replicates grey,
 * keeps the high byte of 16-bit RGB, clamps 16-bit grey to 255, and converts
 * CMYK with a naive formula. sharp (libvips) decodes; the cases where its
 * conversion differs from Pillow's are handled here, and BMP and Netpbm
 * (which this sharp build cannot read) have their own readers. Proven
 * against Pillow-made fixtures in test/fixtures/rgb-modes and netpbm.
 */
import sharp from 'sharp';
import { decodeBmp, isBmp } from './bmp.js';
import { decodeNetpbm, isNetpbm } from './netpbm.js';
import type { RgbImage } from './resample.js';

/** An image as its file holds it, and the name a decode error gives it (the file or row, plus the dataset index). */
export interface EncodedImage {
  bytes: Uint8Array;
  name: string;
}

const OPTIONS = { ignoreIcc: true, failOn: 'error', limitInputPixels: false } as const;

/** SOF0-SOF15 (frame headers), less DHT (C4), JPG (C8) and DAC (CC), which share the range. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/** A JPEG's sample precision and component count, from its frame header; null when it is no well-formed JPEG. */
export function getJpegFrame(bytes: Uint8Array): { precision: number; nComponents: number } | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
    } else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
    } else if (isStartOfFrame(marker)) {
      return i + 10 <= bytes.length ? { precision: bytes[i + 4], nComponents: bytes[i + 9] } : null;
    } else if (marker === 0xda || marker === 0xd9) {
      return null; // a scan or the end before any frame header
    } else {
      i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
    }
  }
  return null;
}

function toRgbImage(data: Buffer, width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Pillow's `cmyk2rgb`: nk = 255 - K; each channel nk - (((t >> 8) + t) >> 8) with t = C * nk + 128. */
async function decodeCmyk(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, OPTIONS)
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`CMYK image decoded to ${info.channels} channels`);
  const n = info.width * info.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const nk = 255 - data[i * 4 + 3];
    for (let c = 0; c < 3; c++) {
      const t = data[i * 4 + c] * nk + 128;
      out[i * 3 + c] = Math.max(0, Math.min(255, nk - (((t >> 8) + t) >> 8)));
    }
  }
  return { width: info.width, height: info.height, data: out };
}

/** Pillow opens 16-bit grey as `I;16` and `convert("RGB")` clamps it: R = G = B = min(v, 255). */
async function decodeGrey16(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, OPTIONS)
    .toColourspace('grey16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  const values = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  const n = info.width * info.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) out.fill(Math.min(values[i * info.channels], 255), i * 3, i * 3 + 3);
  return { width: info.width, height: info.height, data: out };
}

async function decodeDefault(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, OPTIONS)
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return toRgbImage(data, info.width, info.height);
}

/**
 * An 8-bit JPEG with one or three components is what `decodeDefault` would get after the metadata probe (libvips
 * reads it as B_W or sRGB uchar), so it skips the probe, a second parse of the file; three components need no
 * conversion at all, and sequential access lets libjpeg decode straight into the output.
 */
async function decodePlainJpeg(bytes: Uint8Array, nComponents: number): Promise<RgbImage> {
  let pipeline = sharp(bytes, { ...OPTIONS, sequentialRead: true });
  if (nComponents === 1) pipeline = pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return toRgbImage(data, info.width, info.height);
}

async function decodeAny(bytes: Uint8Array): Promise<RgbImage> {
  if (isBmp(bytes)) return decodeBmp(bytes);
  if (isNetpbm(bytes)) return decodeNetpbm(bytes);
  const jpeg = getJpegFrame(bytes);
  if (jpeg && jpeg.precision === 8 && (jpeg.nComponents === 1 || jpeg.nComponents === 3))
    return decodePlainJpeg(bytes, jpeg.nComponents);
  const meta = await sharp(bytes, OPTIONS).metadata();
  if (meta.space === 'cmyk') return decodeCmyk(bytes);
  if (meta.depth === 'ushort' && meta.channels === 1) return decodeGrey16(bytes);
  return decodeDefault(bytes);
}

/** Decodes `bytes` to RGB; `name` (a path, plus the dataset index) appears in the error. */
export async function decodeRgb(bytes: Uint8Array, name: string): Promise<RgbImage> {
  try {
    return await decodeAny(bytes);
  } catch (error) {
    throw new Error(`image: cannot decode ${name} (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
}
