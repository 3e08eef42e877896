// Tests src/stats/png.ts and plot.ts: a hand-checked 2x1 image, and a plot that decodes with node:zlib.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePngRgb } from '../../src/stats/png.js';
import { plotPng } from '../../src/stats/plot.js';

/** Splits a PNG into chunks, checking the signature. */
function chunks(png: Buffer) {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out: Array<{ type: string; data: Buffer }> = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    out.push({ type: png.toString('latin1', o + 4, o + 8), data: png.subarray(o + 8, o + 8 + len) });
    o += 12 + len;
  }
  return out;
}

describe('png', () => {
  it('encodes a 2x1 RGB image: IHDR, filter byte 0 per row, CRC of a known chunk', () => {
    const png = encodePngRgb(new Uint8Array([255, 0, 0, 0, 0, 255]), 2, 1, { Title: 'hi' });
    const c = chunks(png);
    expect(c.map((x) => x.type)).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect([...c[0].data]).toEqual([0, 0, 0, 2, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    expect([...inflateSync(c[2].data)]).toEqual([0, 255, 0, 0, 0, 0, 255]);
    expect(c[1].data.toString('latin1')).toBe('Title\0hi');
    expect(png.subarray(-4).toString('hex')).toBe('ae426082'); // the CRC every IEND chunk has
  });

  it('plots panels into an 800-wide image that holds the series colours', () => {
    const png = plotPng([{ series: [[1, 2, 3], [3, NaN, 1]] }, { series: [[1, 10, 100]], logY: true }], { Title: 't' });
    const c = chunks(png);
    const ihdr = c.find((x) => x.type === 'IHDR')!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)]).toEqual([800, 600]);
    const raw = inflateSync(Buffer.concat(c.filter((x) => x.type === 'IDAT').map((x) => x.data)));
    expect(raw.length).toBe(600 * (800 * 3 + 1));
    const colours = new Set<string>();
    for (let y = 0; y < 600; y++) for (let x = 0; x < 800; x++) colours.add(raw.subarray(y * 2401 + 1 + x * 3, y * 2401 + 4 + x * 3).toString('hex'));
    expect(colours.has('1e5adc')).toBe(true); // first series blue
    expect(colours.has('e65a1e')).toBe(true); // last series red
  });
});
