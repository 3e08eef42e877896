// Tests src/reader/dataset.ts (with modes.ts, item-values.ts, shuffle.ts): every mode against a naive
// reference over random shapes, with and without CLS, across shard boundaries, in every dtype.
import { describe, expect, it } from 'vitest';
import type { ActsBatch } from '../../src/reader/batch.js';
import { ActivationsDataset } from '../../src/reader/dataset.js';
import { makeUniform } from '../../src/random.js';
import { getBatchRows as rows, getNaiveItems, LayerMode, makeShardDir, MadeShards, PatchMode } from './helpers.js';

const PATCHES: PatchMode[] = ['cls', 'meanpool', 'patches'];

async function collect(gen: AsyncGenerator<ActsBatch>) {
  const out = [];
  for await (const b of gen) out.push(...rows(b));
  return out;
}

function randomShape(seed: number) {
  const u = makeUniform(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(u() * (hi - lo + 1));
  const depth = 6;
  const L = int(1, 3);
  const chosen = [...new Set([...Array(L)].map(() => int(0, depth - 1)))]
    .sort((a, b) => a - b)
    .map((b) => (u() < 0.5 ? b - depth : b));
  const clsToken = u() < 0.5;
  const P = int(1, 5);
  const T = P + (clsToken ? 1 : 0);
  const S = int(1, 4);
  return {
    nImgs: int(1, 11),
    layers: chosen,
    nPatchesPerImg: P,
    clsToken,
    dVit: int(1, 4),
    nPatchesPerShard: S * chosen.length * T + int(0, chosen.length * T - 1), // floor division still gives S
    seed,
  };
}

async function checkAllModes(m: MadeShards, seed: number) {
  const layerModes: LayerMode[] = [...m.metadata.layers, 'all', 'meanpool'];
  for (const patches of PATCHES) {
    for (const layer of layerModes) {
      const label = `${JSON.stringify(m.metadata)} (${patches}, ${layer})`;
      if (patches === 'cls' && !m.metadata.cls_token) {
        await expect(ActivationsDataset.open(m.dir, { patches, layer }), label).rejects.toThrow(/needs a CLS token/);
        continue;
      }
      const ds = await ActivationsDataset.open(m.dir, { patches, layer });
      const naive = getNaiveItems(m, patches, layer);
      expect(ds.length, label).toBe(naive.length);
      // getBatch in a scrambled order with repeats
      const u = makeUniform(seed);
      const order = Array.from({ length: naive.length + 3 }, () => Math.floor(u() * naive.length));
      expect(rows(await ds.getBatch(order)), label).toEqual(order.map((i) => naive[i]));
      const one = await ds.get(naive.length - 1);
      expect({ ...one, act: [...one.act] }, label).toEqual(naive[naive.length - 1]);
      expect(await collect(ds.ordered({ batchSize: 3, chunkBytes: 1 })), label).toEqual(naive); // one image per read
      expect(await collect(ds.ordered({ batchSize: 5 })), label).toEqual(naive); // whole shards per read
      const shuffled = await collect(ds.shuffled({ batchSize: 4, bufferSize: 5, seed, chunkBytes: 1 }));
      const key = (r: { imageI: number; layerI: number; patchI: number }) => `${r.imageI}/${r.layerI}/${r.patchI}`;
      expect(shuffled.map(key).sort(), label).toEqual(naive.map(key).sort());
      for (const r of shuffled) expect(r.act).toEqual(naive.find((x) => key(x) === key(r))!.act);
      expect(ds.nFilesOpened, label).toBeLessThanOrEqual(m.metadata.n_imgs);
      expect(ds.nFilesOpened).toBeLessThanOrEqual(Math.ceil(m.metadata.n_imgs / m.S));
      await ds.close();
    }
  }
}

describe('ActivationsDataset: every mode against a naive reference', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`random shape #${seed}`, async () => {
      await checkAllModes(makeShardDir(randomShape(seed)), seed);
    });
  }
  for (const seed of [3, 5]) {
    it(`random shape #${seed} in protocol 2.1 (<tmp>/saev/shards/<hash>)`, async () => {
      const m = makeShardDir({ ...randomShape(seed), format: 'saev-2.1' });
      expect(m.dir).toMatch(/\/saev\/shards\/[0-9a-f]{8}$/);
      await checkAllModes(m, seed);
    });
  }
  for (const dtype of ['float16', 'bfloat16'] as const) {
    it(`reads ${dtype} shards (metadata dtype field)`, async () => {
      const shape = randomShape(99);
      const m = makeShardDir({
        ...shape,
        clsToken: true,
        nImgs: 7,
        nPatchesPerShard: 3 * shape.layers.length * (shape.nPatchesPerImg + 1),
        dtype,
      });
      expect(m.metadata.dtype).toBe(dtype);
      await checkAllModes(m, 99);
    });
  }
});

describe('ActivationsDataset: iterator options', () => {
  // N=5, layers [-2, -1], P=2 + CLS, D=2, S=2.
  const spec = { nImgs: 5, layers: [-2, -1], nPatchesPerImg: 2, clsToken: true, dVit: 2, nPatchesPerShard: 13 };

  it('a wrong option is a one-line error when the iterator is made, before any read', async () => {
    const ds = await ActivationsDataset.open(makeShardDir(spec).dir, { patches: 'patches', layer: 'all' });
    const wrong: Array<[() => unknown, RegExp]> = [
      [() => ds.ordered({ readAhead: -1 }), /^reader: readAhead must be an integer >= 0, found -1$/],
      [() => ds.ordered({ readAhead: NaN }), /readAhead must be an integer >= 0, found NaN/],
      [() => ds.ordered({ batchSize: 0 }), /^reader: batchSize must be a positive integer, found 0$/],
      [() => ds.ordered({ batchSize: 2.5 }), /batchSize must be a positive integer, found 2.5/],
      [() => ds.ordered({ chunkBytes: NaN }), /^reader: chunkBytes must be a positive number of bytes, found NaN$/],
      [() => ds.ordered({ chunkBytes: Infinity }), /chunkBytes must be a positive number of bytes, found Infinity/],
      [
        () => ds.ordered({ reuseBatches: 'yes' as unknown as boolean }),
        /^reader: reuseBatches must be a boolean, found "yes"$/,
      ],
      [() => ds.shuffled({ batchSize: NaN }), /batchSize must be a positive integer, found NaN/],
      [() => ds.shuffled({ bufferSize: 2.5 }), /^reader: bufferSize must be a positive integer, found 2.5$/],
      [() => ds.shuffled({ chunkBytes: 0 }), /chunkBytes must be a positive number of bytes, found 0/],
      [() => ds.shuffled({ seed: 0.7 }), /^reader: seed must be an integer in \[0, 2\^32\), found 0.7$/],
      [() => ds.shuffled({ seed: 2 ** 32 }), /seed must be an integer in \[0, 2\^32\), found 4294967296/],
      [() => ds.shuffled({ seed: -1 }), /seed must be an integer/],
    ];
    for (const [make, message] of wrong) expect(make).toThrow(message);
    await expect(ds.get('3' as unknown as number)).rejects.toThrow(/^reader: index "3" is not an integer$/);
    await expect(ds.getBatch(5 as unknown as number[])).rejects.toThrow(
      /^reader: getBatch takes a list of indices, found 5$/,
    );
    await ds.close();
  });

  it('batches, buffers and chunks larger than the dataset give every item once, in every iterator', async () => {
    const m = makeShardDir(spec);
    for (const [patches, layer] of [
      ['patches', 'all'],
      ['meanpool', 'all'],
      ['cls', 'meanpool'],
    ] as const) {
      const ds = await ActivationsDataset.open(m.dir, { patches, layer });
      const naive = getNaiveItems(m, patches, layer);
      const huge = { batchSize: 1e9, chunkBytes: 1e12 };
      expect(await collect(ds.ordered(huge)), `${patches} ${layer}`).toEqual(naive);
      expect(await collect(ds.ordered({ ...huge, reuseBatches: true })), `${patches} ${layer} reused`).toEqual(naive);
      const shuffled = await collect(ds.shuffled({ ...huge, bufferSize: 1e9 }));
      const key = (r: { imageI: number; layerI: number; patchI: number }) => `${r.imageI}/${r.layerI}/${r.patchI}`;
      expect(shuffled.map(key).sort()).toEqual(naive.map(key).sort());
      await ds.close();
    }
  });
});

describe('ActivationsDataset: shuffled order', () => {
  const order = async (ds: ActivationsDataset, options: object) =>
    (await collect(ds.shuffled(options))).map((r) => r.imageI * 2 + r.patchI);
  const ascending = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('repeats with its seed and changes with another', async () => {
    // 40 images of 2 patches, 10 per shard: 4 shards.
    const ds = await ActivationsDataset.open(
      makeShardDir({ nImgs: 40, layers: [-1], nPatchesPerImg: 2, clsToken: false, dVit: 1, nPatchesPerShard: 20 }).dir,
      { layer: -1 },
    );
    const a = await order(ds, { seed: 1, batchSize: 7, bufferSize: 16, chunkBytes: 1 });
    expect([...a].sort((x, y) => x - y)).toEqual(ascending(80));
    expect(a).not.toEqual(ascending(80));
    expect(await order(ds, { seed: 1, batchSize: 7, bufferSize: 16, chunkBytes: 1 })).toEqual(a);
    expect(await order(ds, { seed: 2, batchSize: 7, bufferSize: 16, chunkBytes: 1 })).not.toEqual(a);
    await ds.close();
  });

  it('mixes through the buffer alone (one shard read as one chunk) and through the chunk order alone (a one-item buffer)', async () => {
    const ds = await ActivationsDataset.open(
      makeShardDir({ nImgs: 10, layers: [-1], nPatchesPerImg: 2, clsToken: false, dVit: 1, nPatchesPerShard: 20 }).dir,
      { layer: -1 },
    );
    expect(await order(ds, { seed: 3, chunkBytes: 1e9 })).not.toEqual(ascending(20));
    // one image per chunk: its two patches stay together
    const byChunks = await order(ds, { seed: 3, bufferSize: 1, chunkBytes: 1 });
    expect(byChunks).not.toEqual(ascending(20));
    for (let k = 0; k < 20; k += 2) expect(byChunks[k + 1]).toBe(byChunks[k] + 1);
    await ds.close();
  });
});

describe('ActivationsDataset: the saev 0.1.0 modes, by hand', () => {
  // N=5, layers [-2, -1], P=2 + CLS (T=3), D=2, budget 13 -> S = 13 // 2 // 3 = 2: three shards, the last half full.
  const valueAt = (n: number, l: number, t: number, d: number) => n * 1000 + l * 100 + t * 10 + d;
  const spec = {
    nImgs: 5,
    layers: [-2, -1],
    nPatchesPerImg: 2,
    clsToken: true,
    dVit: 2,
    nPatchesPerShard: 13,
    valueAt,
  };

  it('(patches, -1): image 2 patch 1 is token 2 of layer slot 1, in shard 1', async () => {
    const ds = await ActivationsDataset.open(makeShardDir(spec).dir, { patches: 'patches', layer: -1 });
    expect(ds.length).toBe(10);
    const item = await ds.get(5);
    expect([...item.act]).toEqual([2120, 2121]);
    expect(item).toMatchObject({ imageI: 2, patchI: 1, layerI: 1 });
    await expect(ds.get(10)).rejects.toThrow('reader: index 10 is out of range [0, 10)');
    await expect(ds.get(-1)).rejects.toThrow(/out of range/);
    await ds.close();
  });

  it('(cls, meanpool) averages token 0 over layers; (meanpool, -2) averages the patches, not CLS', async () => {
    const dir = makeShardDir(spec).dir;
    const a = await ActivationsDataset.open(dir, { patches: 'cls', layer: 'meanpool' });
    expect([...(await a.get(4)).act]).toEqual([4050, 4051]);
    const b = await ActivationsDataset.open(dir, { patches: 'meanpool', layer: -2 });
    expect([...(await b.get(3)).act]).toEqual([3015, 3016]);
    await a.close();
    await b.close();
  });

  it('without CLS, patch 0 is token 0 (no +1)', async () => {
    const ds = await ActivationsDataset.open(makeShardDir({ ...spec, clsToken: false }).dir, {
      patches: 'patches',
      layer: -2,
    });
    expect([...(await ds.get(0)).act]).toEqual([0, 1]);
    expect([...(await ds.get(3)).act]).toEqual([1010, 1011]);
    await ds.close();
  });

  it('a layer not in the metadata is a one-line error naming the recorded layers', async () => {
    await expect(ActivationsDataset.open(makeShardDir(spec).dir, { layer: 10 })).rejects.toThrow(
      'reader: layer 10 is not recorded in these shards (metadata layers [-2, -1]); pick one of those',
    );
  });

  it('clamps before anything else', async () => {
    const ds = await ActivationsDataset.open(makeShardDir(spec).dir, { patches: 'cls', layer: -2, clamp: 1500 });
    expect([...(await ds.get(3)).act]).toEqual([1500, 1500]);
    expect([...(await ds.get(1)).act]).toEqual([1000, 1001]);
    await ds.close();
  });
});

describe('ActivationsDataset: reads what the project writer writes', () => {
  it('ShardFile shards as extraction writes them (3 shards, last padded), (patches, all) in index order', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const pathMod = await import('node:path');
    const { ShardFile } = await import('../../src/shards/shard-file.js');
    const { formatMetadata } = await import('../../src/shards/metadata.js');
    // N=5, L=2, P=2 + CLS (T=3), D=3, budget 13 -> S=2
    const dir = mkdtempSync(pathMod.join(os.tmpdir(), 'saev-reader-writer-'));
    const md = {
      vit_family: 'clip',
      vit_ckpt: 'demo',
      layers: [-2, -1],
      n_patches_per_img: 2,
      cls_token: true,
      d_vit: 3,
      seed: 42,
      n_imgs: 5,
      n_patches_per_shard: 13,
      data: 'X()',
    };
    writeFileSync(pathMod.join(dir, 'metadata.json'), formatMetadata(md));
    const geometry = { nLayers: 2, nPatchesPerImg: 2, clsToken: true, dVit: 3, nPatchesPerShard: 13, bytesPerValue: 4 };
    const value = (n: number, l: number, t: number, d: number) => n * 1000 + l * 100 + t * 10 + d;
    const all = Float32Array.from({ length: 5 * 2 * 3 * 3 }, (_, k) =>
      value(Math.floor(k / 18), Math.floor(k / 9) % 2, Math.floor(k / 3) % 3, k % 3),
    );
    for (const [shard, first, end] of [
      [0, 0, 2],
      [1, 2, 4],
      [2, 4, 5],
    ]) {
      const file = await ShardFile.open(dir, geometry, shard);
      await file.write(all.subarray(first * 18, end * 18));
      await file.commit();
    }
    const ds = await ActivationsDataset.open(dir, { patches: 'patches', layer: 'all' });
    expect(ds.length).toBe(5 * 2 * 2);
    const got = await collect(ds.ordered({ batchSize: 7 }));
    const want = [];
    for (let n = 0; n < 5; n++)
      for (let l = 0; l < 2; l++)
        for (let p = 0; p < 2; p++)
          want.push({ act: [0, 1, 2].map((d) => value(n, l, p + 1, d)), imageI: n, layerI: l, patchI: p });
    expect(got).toEqual(want);
    await ds.close();
  });
});
