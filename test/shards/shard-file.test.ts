// Tests src/shards/shard-file.ts: storage dtypes against numpy/ml_dtypes reference bits, the recorded
// digest against a sha256 of the bytes read back, and write failures (short writes, ENOSPC) through a fake disk.
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShardGeometry } from '../../src/shards/layout.js';
import { ShardFile } from '../../src/shards/shard-file.js';
import { nodeShardIo, ShardIo } from '../../src/shards/shard-io.js';

interface Case {
  f32_bits: number;
  f16_bits: number;
  bf16_bits: number;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/dtype-vectors.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

// One layer, one token (no CLS, 1 patch), D = 4 -> 4 values per image; budget 3 -> S = 3 images per shard.
const geometry = (bytesPerValue: number, nPatchesPerShard = 3): ShardGeometry => ({
  nLayers: 1,
  nPatchesPerImg: 1,
  clsToken: false,
  dVit: 4,
  nPatchesPerShard,
  bytesPerValue,
});

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'saev-shard-file-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ShardFile', () => {
  for (const [dtype, key, width] of [
    ['float16', 'f16_bits', 2],
    ['bfloat16', 'bf16_bits', 2],
    ['float32', 'f32_bits', 4],
  ] as const) {
    it(`stores ${dtype} bytes equal to the reference conversion, zero-pads, and records the sha256 of its real rows`, async () => {
      // Every reference case (subnormals, overflow and NaN among them), whole images of 4 values, plus one padding row.
      const nImgs = Math.floor(fixture.cases.length / 4);
      const cases = fixture.cases.slice(0, nImgs * 4);
      const values = new Float32Array(new Uint32Array(cases.map((c) => c.f32_bits)).buffer);
      const file = await ShardFile.open(dir, geometry(width, nImgs + 1), 7, dtype);
      await file.write(values.subarray(0, 4));
      await file.write(values.subarray(4));
      const committed = await file.commit();
      const bytes = readFileSync(path.join(dir, 'acts000007.bin'));
      expect(bytes.length).toBe((nImgs + 1) * 4 * width);
      expect(committed).toEqual({
        name: 'acts000007.bin',
        bytes: (nImgs + 1) * 4 * width,
        rowBytes: nImgs * 4 * width,
        rowsSha256: createHash('sha256')
          .update(bytes.subarray(0, nImgs * 4 * width))
          .digest('hex'),
      });
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      cases.forEach((c, i) =>
        expect(width === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true)).toBe(c[key]),
      );
      expect(bytes.subarray(cases.length * width).every((b) => b === 0)).toBe(true);
      expect(await fs.readdir(dir)).toEqual(['acts000007.bin']);
    });
  }

  it('the reference cases include subnormals, overflow to Inf and NaN are among them', () => {
    const f16 = fixture.cases.map((c) => c.f16_bits);
    expect(f16.some((h) => (h & 0x7c00) === 0 && (h & 0x3ff) !== 0)).toBe(true); // subnormal
    expect(f16.some((h) => (h & 0x7fff) === 0x7c00)).toBe(true); // Inf
    expect(f16.some((h) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0)).toBe(true); // NaN
  });

  it('rejects rows beyond the shard and leaves no file', async () => {
    const file = await ShardFile.open(dir, geometry(4), 0);
    await expect(file.write(new Float32Array(16))).rejects.toThrow(
      /^shards: 16 values at row 0 of acts000000\.bin are not whole images within the shard$/,
    );
    expect(await fs.readdir(dir)).toEqual([]);
  });

  /** A disk that accepts `capacity` bytes, then short-writes once, then fails with ENOSPC. */
  function makeFullDisk(capacity: number): ShardIo {
    let used = 0;
    return {
      ...nodeShardIo,
      async open(filePath) {
        const real = await nodeShardIo.open(filePath);
        return {
          ...real,
          async write(data, position) {
            if (used >= capacity)
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            const n = Math.min(data.byteLength, capacity - used);
            used += n;
            return real.write(data.subarray(0, n), position);
          },
        };
      },
    };
  }

  it('on a full disk: takes no short write for success, names the file in one line, and deletes the partial file', async () => {
    const file = await ShardFile.open(dir, geometry(4), 3, 'float32', makeFullDisk(20));
    const error = await file.write(new Float32Array(8).fill(1)).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `shards: disk full writing ${path.join(dir, 'acts000003.bin.partial')} (ENOSPC); that shard was not marked complete; free space and rerun the same command to resume`,
    );
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('a write that reports 0 bytes is a failure, not a loop or a success', async () => {
    const io: ShardIo = {
      ...nodeShardIo,
      async open(p) {
        const real = await nodeShardIo.open(p);
        return { ...real, write: async () => 0 };
      },
    };
    const file = await ShardFile.open(dir, geometry(4), 0, 'float32', io);
    await expect(file.write(new Float32Array(4))).rejects.toThrow(/disk full writing .*acts000000\.bin\.partial/);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('a failing fsync at commit leaves neither the shard nor its partial file', async () => {
    const io: ShardIo = {
      ...nodeShardIo,
      async open(p) {
        const real = await nodeShardIo.open(p);
        return {
          ...real,
          sync: async () => {
            throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
          },
        };
      },
    };
    const file = await ShardFile.open(dir, geometry(4), 0, 'float32', io);
    await file.write(new Float32Array(4).fill(2));
    await expect(file.commit()).rejects.toThrow(
      /^shards: cannot write .*acts000000\.bin\.partial \(EIO\); that shard was not marked complete/,
    );
    expect(await fs.readdir(dir)).toEqual([]);
  });
});
