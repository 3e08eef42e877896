// Tests src/vit/weight-files.ts with a file-size limit of a few hundred bytes, so the cuts, weights that run on
// into the next file, and reads bounded to a few bytes are all exercised without a 1 GiB file.
import { randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, statSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  getWeightFileNames,
  MAX_WEIGHT_FILE_BYTES,
  openWeightFiles,
  WeightFilesWriter,
} from '../../src/vit/weight-files.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'saev-weight-files-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A deterministic stream of pseudo-random piece lengths. */
function* pieceLengths(seed: number): Generator<number> {
  let state = seed;
  for (;;) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    yield state % 700;
  }
}

describe('getWeightFileNames', () => {
  it('names one file weights.bin and several weights-i-of-n.bin, cut every limit bytes (1 GiB by default)', () => {
    expect(MAX_WEIGHT_FILE_BYTES).toBe(2 ** 30);
    expect(getWeightFileNames(0)).toEqual(['weights.bin']);
    expect(getWeightFileNames(2 ** 30)).toEqual(['weights.bin']);
    expect(getWeightFileNames(2 ** 30 + 1)).toEqual(['weights-1-of-2.bin', 'weights-2-of-2.bin']);
    expect(getWeightFileNames(2523054080)).toEqual(['weights-1-of-3.bin', 'weights-2-of-3.bin', 'weights-3-of-3.bin']); // ViT-H/14
    expect(getWeightFileNames(1000, 300)).toHaveLength(4);
    expect(() => getWeightFileNames(10, 0)).toThrow(
      'weights: the weight file size limit must be a positive integer, found 0',
    );
  });
});

describe('WeightFilesWriter and openWeightFiles', () => {
  for (const [total, limit] of [
    [5000, 300],
    [3000, 1000],
    [999, 1000],
    [1000, 1000],
    [0, 64],
  ] as const) {
    it(`writes ${total} bytes in pieces as files of at most ${limit} and reads any range back (reads of at most 7 bytes)`, async () => {
      const data = randomBytes(total);
      const writer = new WeightFilesWriter(dir, total, limit);
      const lengths = pieceLengths(total + limit);
      for (let done = 0; done < total;) {
        const n = Math.min(total - done, lengths.next().value as number);
        await writer.write(data.subarray(done, done + n));
        done += n;
      }
      const paths = await writer.close();
      expect(paths).toEqual(getWeightFileNames(total, limit));
      expect(readdirSync(dir).sort()).toEqual([...paths].sort());
      const sizes = paths.map((name) => statSync(path.join(dir, name)).size);
      expect(sizes.slice(0, -1).every((size) => size === limit)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);

      for (const maxRead of [7, undefined]) {
        const reader = await openWeightFiles(dir, paths, maxRead);
        expect(reader.totalBytes).toBe(total);
        expect(Buffer.from(await reader.read(0, total)).equals(data)).toBe(true);
        const starts = pieceLengths(total);
        for (let i = 0; i < 20 && total > 0; i++) {
          const start = (starts.next().value as number) % total;
          const length = Math.min(total - start, starts.next().value as number);
          expect(Buffer.from(await reader.read(start, length)).equals(data.subarray(start, start + length))).toBe(true);
        }
        await expect(reader.read(total - 1, 2)).rejects.toThrow(
          `weights: bytes ${total - 1}..${total + 1} asked of weight files holding ${total}`,
        );
        await reader.close();
      }
    });
  }

  it('refuses more or fewer bytes than announced, and a file that exists already', async () => {
    const writer = new WeightFilesWriter(dir, 10, 4);
    await writer.write(new Uint8Array(6));
    await expect(writer.write(new Uint8Array(5))).rejects.toThrow(
      `weights: 11 bytes written to ${dir}, more than the 10 the manifest lists`,
    );
    await expect(writer.close()).rejects.toThrow(`weights: 6 bytes written to ${dir}, but the manifest lists 10`);
    const again = new WeightFilesWriter(dir, 10, 4);
    await expect(again.write(new Uint8Array(1))).rejects.toThrow(
      /^weights: cannot create .*weights-1-of-3\.bin \(EEXIST[^\n]*\)$/,
    );
    await again.abort();
  });

  it('names a missing or truncated file in one line', async () => {
    const writer = new WeightFilesWriter(dir, 100, 40);
    await writer.write(new Uint8Array(100));
    const paths = await writer.close();
    await expect(openWeightFiles(dir, [...paths, 'weights-4-of-3.bin'])).rejects.toThrow(
      new RegExp(
        `^weights: cannot open weight file ${path.join(dir, 'weights-4-of-3.bin')} \\(ENOENT[^\\n]*\\); the model directory is incomplete$`,
      ),
    );
    truncateSync(path.join(dir, paths[1]), 10);
    const reader = await openWeightFiles(dir, paths);
    expect(reader.totalBytes).toBe(70);
    await expect(reader.read(60, 20)).rejects.toThrow(
      /^weights: bytes 60\.\.80 asked of weight files holding 70 \(weights-1-of-3\.bin, weights-2-of-3\.bin, weights-3-of-3\.bin in .*\); is a file truncated\?$/,
    );
    await reader.close();
  });
});
