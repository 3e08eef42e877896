/**
 * A Netpbm reader (PBM/PGM/PPM, plain P1-P3 and raw P4-P6; sharp's libvips
 * build has none, and torchvision's ImageFolder counts .ppm and .pgm files),
 * giving what Pillow's `Image.open(f).convert("RGB")` gives:
 * - bitmaps: 1 is black, 0 white;
 * - raw values above maxval are clamped to it (plain ones are an error),
 *   then scaled to 0..255 by round-half-to-even of v * 255 / maxval;
 * - except 16-bit grey (maxval > 255), which Pillow opens as mode I scaled to
 *   0..65535 and `convert("RGB")` clamps at 255: min(255, round(v * 65535 / maxval)).
 * Proven against Pillow-made fixtures in test/fixtures/netpbm.
 */
import { roundHalfEven } from './preprocess.js';
import type { RgbImage } from './resample.js';

export function isNetpbm(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x50 && bytes[1] >= 0x31 && bytes[1] <= 0x36 && isSpace(bytes[2]);
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Reads unsigned decimal numbers and skips whitespace and `#` comments, from `pos`. */
class Tokens {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  private skip(): void {
    const b = this.bytes;
    while (this.pos < b.length) {
      if (isSpace(b[this.pos])) this.pos++;
      else if (b[this.pos] === 0x23)
        while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
      else break;
    }
  }

  /** The next number; `oneDigit` reads a single 0/1 digit (plain bitmaps need no separators). */
  next(what: string, oneDigit = false): number {
    this.skip();
    const b = this.bytes;
    const start = this.pos;
    let v = 0;
    while (this.pos < b.length && b[this.pos] >= 0x30 && b[this.pos] <= 0x39 && !(oneDigit && this.pos > start))
      v = v * 10 + b[this.pos++] - 0x30;
    if (this.pos === start) throw new Error(`netpbm: expected ${what} at byte ${start}`);
    return v;
  }
}

export function decodeNetpbm(bytes: Uint8Array): RgbImage {
  const kind = bytes[1] - 0x30; // 1..6
  const tokens = new Tokens(bytes, 2);
  const width = tokens.next('the width');
  const height = tokens.next('the height');
  const bitmap = kind === 1 || kind === 4;
  const maxval = bitmap ? 1 : tokens.next('the maximum value');
  if (width < 1 || height < 1) throw new Error(`netpbm: size ${width}x${height}`);
  if (maxval < 1 || maxval > 65535) throw new Error(`netpbm: maximum value ${maxval} is outside 1..65535`);
  if (kind >= 4 && !isSpace(bytes[tokens.pos]))
    throw new Error(`netpbm: expected one whitespace byte before the raster at byte ${tokens.pos}`); // as Pillow
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  const n = width * height * channels;
  if (n > bytes.length * 8)
    throw new Error(`netpbm: the header says ${width}x${height}, more than the file's ${bytes.length} bytes can hold`);
  const values = new Uint16Array(n);
  if (kind <= 3) {
    for (let i = 0; i < n; i++) {
      const v = tokens.next('a value', bitmap);
      if (v > maxval) throw new Error(`netpbm: value ${v} is above the maximum ${maxval}`); // as Pillow; raw values are clamped
      values[i] = v;
    }
  } else if (kind === 4) {
    const rowBytes = Math.ceil(width / 8);
    const start = tokens.pos + 1; // one whitespace byte after the header
    if (start + rowBytes * height > bytes.length)
      throw new Error(`netpbm: ${bytes.length} bytes, expected ${start + rowBytes * height}`);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        values[y * width + x] = (bytes[start + y * rowBytes + (x >> 3)] >> (7 - (x & 7))) & 1;
  } else {
    const bytesPerValue = maxval > 255 ? 2 : 1;
    const start = tokens.pos + 1;
    if (start + n * bytesPerValue > bytes.length)
      throw new Error(`netpbm: ${bytes.length} bytes, expected ${start + n * bytesPerValue}`);
    for (let i = 0; i < n; i++)
      values[i] = bytesPerValue === 2 ? (bytes[start + 2 * i] << 8) | bytes[start + 2 * i + 1] : bytes[start + i];
  }
  const toByte = (v: number): number => {
    if (bitmap) return v ? 0 : 255;
    const c = Math.min(v, maxval);
    if (channels === 1 && maxval > 255) return Math.min(255, roundHalfEven((c * 65535) / maxval));
    return maxval === 255 ? c : roundHalfEven((c * 255) / maxval);
  };
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) data[p * 3 + c] = toByte(values[p * channels + (channels === 3 ? c : 0)]);
  }
  return { width, height, data };
}
