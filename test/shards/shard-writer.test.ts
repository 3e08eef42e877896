// Tests src/shards/shard-writer.ts by reading the written shard files back byte by byte.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShardGeometry } from '../../src/shards/layout.js';
import { ShardWriter } from '../../src/shards/shard-writer.js';

// L = 2 layers, P = 3 patches + CLS -> T = 4 tokens, D = 4. Budget 30 -> S = 30 // 2 // 4 = 3.
const L = 2;
const T = 4;
const D = 4;
const S = 3;
const GEOMETRY: ShardGeometry = { nLayers: L, nPatchesPerImg: 3, clsToken: true, dVit: D, nPatchesPerShard: 30, bytesPerValue: 4 };
const VALUES_PER_IMG = L * T * D; // 32
const BYTES_PER_SHARD = S * VALUES_PER_IMG * 4; // 384, by the DESIGN §4 formula

/** A distinct, non-zero value for every (image, layer, token, dim). */
const valueAt = (img: number, l: number, t: number, d: number) => img * 1000 + l * 100 + t * 10 + d + 0.5;

/** acts_BLTD for images [start, start + n) in C order. */
function makeBatch(start: number, n: number): Float32Array {
  const out = new Float32Array(n * VALUES_PER_IMG);
  let k = 0;
  for (let b = 0; b < n; b++)
    for (let l = 0; l < L; l++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) out[k++] = valueAt(start + b, l, t, d);
  return out;
}

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'saev-shard-writer-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const shardName = (k: number) => `acts${String(k).padStart(6, '0')}.bin`;

/** Checks every byte of every shard: real rows hold their values, padding rows are zero. */
async function expectShards(nImgs: number, nShards: number): Promise<void> {
  for (let k = 0; k < nShards; k++) {
    const bytes = await fs.readFile(path.join(dir, shardName(k)));
    expect(bytes.length).toBe(BYTES_PER_SHARD);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let row = 0; row < S; row++) {
      const img = k * S + row;
      for (let l = 0; l < L; l++)
        for (let t = 0; t < T; t++)
          for (let d = 0; d < D; d++) {
            const offset = (((row * L + l) * T + t) * D + d) * 4;
            const expected = img < nImgs ? valueAt(img, l, t, d) : 0;
            expect(view.getFloat32(offset, true)).toBe(expected);
          }
    }
    if ((k + 1) * S > nImgs) {
      const padding = bytes.subarray((nImgs - k * S) * VALUES_PER_IMG * 4);
      expect(padding.every((b) => b === 0)).toBe(true);
    }
  }
}

describe('ShardWriter', () => {
  it('writes 7 images in uneven batches into 3 full-size shards', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await writer.write(0, makeBatch(0, 2));
    await writer.write(2, makeBatch(2, 4)); // spans shards 0 and 1
    await writer.write(6, makeBatch(6, 1));
    const records = await writer.finish();

    await expectShards(7, 3);
    const expectedRecords = [
      { name: 'acts000000.bin', n_examples: 3 },
      { name: 'acts000001.bin', n_examples: 3 },
      { name: 'acts000002.bin', n_examples: 1 },
    ];
    expect(records).toEqual(expectedRecords);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'shards.json'), 'utf8'))).toEqual(expectedRecords);
    expect((await fs.readdir(dir)).sort()).toEqual(['acts000000.bin', 'acts000001.bin', 'acts000002.bin', 'shards.json']);
  });

  it('puts the last real row of shard 2 at row 0 and zero-pads rows 1..2', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await writer.write(0, makeBatch(0, 7));
    await writer.finish();
    const bytes = await fs.readFile(path.join(dir, 'acts000002.bin'));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getFloat32(0, true)).toBe(6000.5); // image 6, layer 0, token 0 (CLS), dim 0
    expect(view.getFloat32((VALUES_PER_IMG - 1) * 4, true)).toBe(6133.5); // image 6, layer 1, token 3, dim 3
    expect(bytes.subarray(VALUES_PER_IMG * 4).every((b) => b === 0)).toBe(true);
  });

  it('writes exactly 9 images (a boundary) as 3 shards and no 4th', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 9);
    await writer.write(0, makeBatch(0, 3));
    await writer.write(3, makeBatch(3, 5));
    await writer.write(8, makeBatch(8, 1));
    const records = await writer.finish();
    await expectShards(9, 3);
    expect(records.map((r) => r.n_examples)).toEqual([3, 3, 3]);
    expect((await fs.readdir(dir)).sort()).toEqual(['acts000000.bin', 'acts000001.bin', 'acts000002.bin', 'shards.json']);
  });

  it('reads a batch that is a view into a larger buffer', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 2);
    const backing = new Float32Array(VALUES_PER_IMG * 3).fill(-7);
    backing.set(makeBatch(0, 2), VALUES_PER_IMG);
    await writer.write(0, backing.subarray(VALUES_PER_IMG));
    await writer.finish();
    await expectShards(2, 1);
  });

  it('rejects out-of-order writes', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await expect(writer.write(1, makeBatch(1, 1))).rejects.toThrow('shards: expected image 0 next, got 1');
    await writer.write(0, makeBatch(0, 2));
    await expect(writer.write(0, makeBatch(0, 1))).rejects.toThrow('expected image 2 next, got 0');
    await expect(writer.write(3, makeBatch(3, 1))).rejects.toThrow('expected image 2 next, got 3');
    await writer.abort();
  });

  it('rejects more images than announced', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await writer.write(0, makeBatch(0, 6));
    await expect(writer.write(6, makeBatch(6, 2))).rejects.toThrow(/^shards: .* within 7/);
    await writer.abort();
  });

  it('rejects a batch that is not whole images', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await expect(writer.write(0, new Float32Array(VALUES_PER_IMG + 1))).rejects.toThrow(/^shards: 132 bytes at image 0 are not whole images/);
    await writer.abort();
  });

  it('refuses to finish before every image arrived, and writes no shards.json', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await writer.write(0, makeBatch(0, 4));
    await expect(writer.finish()).rejects.toThrow('shards: finished after 4 of 7 images');
    await writer.abort();
    expect(await fs.readdir(dir)).not.toContain('shards.json');
  });

  it('abort leaves no partial file and no incomplete acts*.bin', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await writer.write(0, makeBatch(0, 4)); // shard 0 complete, shard 1 in progress
    await writer.abort();
    const names = await fs.readdir(dir);
    expect(names.filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(names).not.toContain('acts000001.bin');
    for (const name of names.filter((n) => /^acts\d+\.bin$/.test(n))) {
      expect((await fs.stat(path.join(dir, name))).size).toBe(BYTES_PER_SHARD);
    }
    expect(names.sort()).toEqual(['acts000000.bin']);
    await expectShards(3, 1);
  });

  it('abort before any write is harmless', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await writer.abort();
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('keeps the shard in progress under a .partial name until it is complete', async () => {
    const writer = new ShardWriter(dir, GEOMETRY, 7);
    await writer.write(0, makeBatch(0, 2));
    expect(await fs.readdir(dir)).toEqual(['acts000000.bin.partial']);
    await writer.write(2, makeBatch(2, 1));
    // Shard 0 is full but is only closed when the next image arrives or at finish.
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.bin'))).toEqual([]);
    await writer.write(3, makeBatch(3, 1));
    expect((await fs.readdir(dir)).sort()).toEqual(['acts000000.bin', 'acts000001.bin.partial']);
    await writer.abort();
  });
});
