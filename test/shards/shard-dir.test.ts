// Tests src/shards/shard-dir.ts: bad directories fail with one line before any value is read.
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATE_DIR } from '../../src/shards/shard-marker.js';
import { getDigestPageOffsets, getShardDirDigest, openShardDir } from '../../src/shards/shard-dir.js';
import { makeShardDir } from '../reader/helpers.js';

// N=5, L=2, P=2 + CLS, D=2, S=2 -> 3 shards of 2*2*3*2*4 = 96 bytes.
const spec = { nImgs: 5, layers: [-2, -1], nPatchesPerImg: 2, clsToken: true, dVit: 2, nPatchesPerShard: 13 };

describe('openShardDir', () => {
  it('derives the geometry and the real image count of every shard', async () => {
    const m = makeShardDir(spec);
    const sd = await openShardDir(m.dir);
    expect(sd).toMatchObject({
      nLayers: 2,
      nTokensPerImg: 3,
      dVit: 2,
      nImgsPerShard: 2,
      nImgs: 5,
      bytesPerShard: 96,
      dtype: 'float32',
    });
    expect(sd.shards.map((s) => s.nImgs)).toEqual([2, 2, 1]);
  });

  it('works without shards.json (a directory saev 0.1.0 made) and ignores other files', async () => {
    const m = makeShardDir(spec);
    rmSync(path.join(m.dir, 'shards.json'));
    writeFileSync(path.join(m.dir, 'saev-tfjs.json'), '{}');
    writeFileSync(path.join(m.dir, 'acts000003.bin'), new Uint8Array(96)); // saev 0.1.0's extra all-zero shard
    expect((await openShardDir(m.dir)).shards.length).toBe(3);
  });

  it('rejects a truncated shard', async () => {
    const m = makeShardDir(spec);
    truncateSync(path.join(m.dir, 'acts000001.bin'), 90);
    await expect(openShardDir(m.dir)).rejects.toThrow(
      /^reader: .*acts000001\.bin has 90 bytes, metadata\.json implies 96 \(2 x 2 x 3 x 2 float32\); it is truncated, re-extract it$/,
    );
  });

  it('rejects metadata that disagrees with the file sizes', async () => {
    const m = makeShardDir(spec);
    const file = path.join(m.dir, 'metadata.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"d_vit": 2', '"d_vit": 1'));
    await expect(openShardDir(m.dir)).rejects.toThrow(
      /acts000000\.bin has 96 bytes, metadata\.json implies 48 .* it is too long/,
    );
  });

  it('rejects a missing shard and a shards.json that disagrees', async () => {
    const a = makeShardDir(spec);
    rmSync(path.join(a.dir, 'acts000002.bin'));
    await expect(openShardDir(a.dir)).rejects.toThrow(
      /acts000002\.bin is missing \(metadata\.json implies 3 shards\); re-extract the directory$/,
    );
    // In a directory saev-tfjs is still extracting (it has the state directory), say so and how to finish.
    mkdirSync(path.join(a.dir, STATE_DIR));
    rmSync(path.join(a.dir, 'acts000000.bin'));
    await expect(openShardDir(a.dir)).rejects.toThrow(
      /acts000000\.bin is missing .*; 1 of 3 shards are complete, so the extraction is unfinished: rerun the same saev activations extract command/,
    );
    const b = makeShardDir(spec);
    writeFileSync(
      path.join(b.dir, 'shards.json'),
      JSON.stringify([
        { name: 'acts000000.bin', n_examples: 2 },
        { name: 'acts000001.bin', n_examples: 2 },
      ]),
    );
    await expect(openShardDir(b.dir)).rejects.toThrow(
      'lists [2,2] images per shard, but metadata.json implies [2,2,1]',
    );
  });

  it("accepts the trailing empty entry saev's writer leaves in shards.json", async () => {
    const m = makeShardDir(spec);
    const file = path.join(m.dir, 'shards.json');
    writeFileSync(
      file,
      JSON.stringify([...JSON.parse(readFileSync(file, 'utf8')), { name: 'acts000003.bin', n_examples: 0 }]),
    );
    expect((await openShardDir(m.dir)).shards.map((s) => s.nImgs)).toEqual([2, 2, 1]);
  });

  it('rejects a directory without metadata.json', async () => {
    const m = makeShardDir(spec);
    rmSync(path.join(m.dir, 'metadata.json'));
    await expect(openShardDir(m.dir)).rejects.toThrow(/^reader: no metadata\.json in .*; pass a shard directory/);
  });

  it('rejects a shards.json that is not JSON, naming the file', async () => {
    const m = makeShardDir(spec);
    writeFileSync(path.join(m.dir, 'shards.json'), '[{"name": "acts0');
    await expect(openShardDir(m.dir)).rejects.toThrow(
      /^reader: .*shards\.json is not valid JSON \(.*\); re-extract the directory or remove the file$/,
    );
  });

  it('rejects metadata with no layers before reading any shard', async () => {
    const m = makeShardDir(spec);
    const file = path.join(m.dir, 'metadata.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"layers": \[[^\]]*\]/, '"layers": []'));
    await expect(openShardDir(m.dir)).rejects.toThrow(
      /^metadata: .*metadata\.json: layers must be a non-empty list of distinct layers, found \[\]$/,
    );
  });

  it('the digest changes with the shard contents, not with other files', async () => {
    const a = makeShardDir(spec);
    const b = makeShardDir({ ...spec, seed: 2 });
    const da = await getShardDirDigest(await openShardDir(a.dir));
    expect(da).toMatch(/^[0-9a-f]{64}$/);
    expect(await getShardDirDigest(await openShardDir(b.dir))).not.toBe(da);
    writeFileSync(path.join(a.dir, 'notes.txt'), 'x');
    expect(await getShardDirDigest(await openShardDir(a.dir))).toBe(da);
  });

  it('the digest sees every shard, the last as well as the first', async () => {
    const a = makeShardDir(spec);
    const da = await getShardDirDigest(await openShardDir(a.dir));
    const last = path.join(a.dir, 'acts000002.bin');
    const bytes = readFileSync(last);
    bytes[0] ^= 1;
    writeFileSync(last, bytes);
    expect(await getShardDirDigest(await openShardDir(a.dir))).not.toBe(da);
  });

  it('the digest reads every shard of a directory with more shards than it opens at once', async () => {
    const many = makeShardDir({ ...spec, nImgs: 80 }); // 40 shards
    const before = await getShardDirDigest(await openShardDir(many.dir));
    const last = path.join(many.dir, 'acts000039.bin');
    const bytes = readFileSync(last);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(last, bytes);
    expect(await getShardDirDigest(await openShardDir(many.dir))).not.toBe(before);
  });

  it('the digest sees images past the first page of a shard', async () => {
    // 8 images of 2 x 3 x 512 float32 (12 KiB) per shard: 24 pages, of which the digest reads 8.
    const big = { nImgs: 16, layers: [-2, -1], nPatchesPerImg: 2, clsToken: true, dVit: 512, nPatchesPerShard: 48 };
    const a = makeShardDir(big);
    const b = makeShardDir({
      ...big,
      valueAt: (n, l, t, d) => (n % 8 === 0 ? a.values_NLTD[((n * 2 + l) * 3 + t) * 512 + d] : 0.5),
    });
    const [sa, sb] = [await openShardDir(a.dir), await openShardDir(b.dir)];
    expect(readFileSync(sa.shards[0].path).subarray(0, 4096)).toEqual(
      readFileSync(sb.shards[0].path).subarray(0, 4096),
    );
    expect(await getShardDirDigest(sb)).not.toBe(await getShardDirDigest(sa));
  });
});

describe('getDigestPageOffsets', () => {
  it('reads the first and last page and evenly spaced ones, each once', () => {
    expect(getDigestPageOffsets(96)).toEqual([0]);
    expect(getDigestPageOffsets(3 * 4096)).toEqual([0, 4096, 8192]);
    expect(getDigestPageOffsets(24 * 4096)).toEqual([0, 3, 7, 10, 13, 16, 20, 23].map((p) => p * 4096));
    expect(getDigestPageOffsets(24 * 4096 - 100).at(-1)).toBe(23 * 4096);
  });
});
