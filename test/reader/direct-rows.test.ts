// Tests src/reader/direct-rows.ts (the ordered iterator's whole-row fast path) against the naive reference
// and against getBatch (which takes the other code path): batches kept past later steps, spans of many
// batches, read-ahead depths, recycled batch memory (reuseBatches), clamping of NaN/Inf/large values,
// scaleMean/scaleNorm, and an early break.
import { describe, expect, it, vi } from 'vitest';
import type { ActsBatch } from '../../src/reader/batch.js';
import { ActivationsDataset } from '../../src/reader/dataset.js';
import { canReadRowsDirect } from '../../src/reader/direct-rows.js';
import { FilePool } from '../../src/util/file-pool.js';
import { makeUniform } from '../../src/random.js';
import { runStats } from '../../src/stats/run-stats.js';
import { getBatchRows as rows, getNaiveItems, LayerMode, makeShardDir, PatchMode } from './helpers.js';

/** Keeps every yielded batch and reads them only after the iteration has finished. */
async function collectKept(gen: AsyncGenerator<ActsBatch>) {
  const kept: ActsBatch[] = [];
  for await (const b of gen) kept.push(b);
  return kept.flatMap(rows);
}

/**
 * Copies each batch as it arrives (all a caller may do with `reuseBatches`); also returns the distinct buffers seen.
 */
async function collectCopied(gen: AsyncGenerator<ActsBatch>) {
  const items = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const b of gen) {
    buffers.add(b.acts_BD.buffer);
    items.push(...rows(b));
  }
  return { items, buffers };
}

const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
const WHOLE_ROW: Array<[PatchMode, 'int' | 'all']> = [
  ['patches', 'int'],
  ['patches', 'all'],
  ['cls', 'int'],
  ['cls', 'all'],
];

describe('ordered: whole-row fast path', () => {
  for (let seed = 1; seed <= 8; seed++) {
    it(`random shape #${seed}: kept batches, every span size and read-ahead depth, equal the naive reference`, async () => {
      const u = makeUniform(seed * 31);
      const int = (lo: number, hi: number) => lo + Math.floor(u() * (hi - lo + 1));
      const clsToken = seed % 2 === 1;
      const layers = seed % 3 === 0 ? [-1] : [2, -1];
      const P = int(1, 5);
      const T = P + (clsToken ? 1 : 0);
      const m = makeShardDir({
        nImgs: int(1, 12),
        layers,
        nPatchesPerImg: P,
        clsToken,
        dVit: int(1, 5),
        nPatchesPerShard: int(1, 4) * layers.length * T,
        seed,
      });
      for (const [patches, layerKind] of WHOLE_ROW) {
        if (patches === 'cls' && !clsToken) continue;
        const layer: LayerMode = layerKind === 'all' ? 'all' : layers[int(0, layers.length - 1)];
        const ds = await ActivationsDataset.open(m.dir, { patches, layer });
        expect(canReadRowsDirect(ds.mode, ds.shards)).toBe(true);
        const naive = getNaiveItems(m, patches, layer);
        for (const [batchSize, chunkBytes, readAhead] of [
          [1, 1, 0],
          [3, 1, 1],
          [4, 1 << 20, 2],
          [7, 64, 5],
          [1000, 1 << 20, 3],
        ]) {
          const label = `${JSON.stringify(m.metadata)} (${patches}, ${layer}) batch ${batchSize} chunk ${chunkBytes} ahead ${readAhead}`;
          expect(await collectKept(ds.ordered({ batchSize, chunkBytes, readAhead })), label).toEqual(naive);
          const recycled = await collectCopied(ds.ordered({ batchSize, chunkBytes, readAhead, reuseBatches: true }));
          expect(recycled.items, `${label} reuseBatches`).toEqual(naive);
          expect(recycled.buffers.size, `${label} reuseBatches`).toBeLessThanOrEqual(readAhead + 1);
        }
        await ds.close();
      }
    });
  }

  it('is not used for meanpool modes or half-precision shards', async () => {
    const spec = { nImgs: 3, layers: [-2, -1], nPatchesPerImg: 2, clsToken: true, dVit: 2, nPatchesPerShard: 12 };
    const f32 = await ActivationsDataset.open(makeShardDir(spec).dir, { patches: 'meanpool', layer: -1 });
    expect(canReadRowsDirect(f32.mode, f32.shards)).toBe(false);
    const f16 = await ActivationsDataset.open(makeShardDir({ ...spec, dtype: 'float16' }).dir, {
      patches: 'patches',
      layer: 'all',
    });
    expect(canReadRowsDirect(f16.mode, f16.shards)).toBe(false);
    await f32.close();
    await f16.close();
  });

  it('clamps large values and Inf to the clamp and keeps NaN, as getBatch does', async () => {
    const special = [NaN, Infinity, -Infinity, 1e6, -1e6, 99, -100.5, 0];
    const valueAt = (n: number, l: number, t: number, d: number) =>
      special[(n * 7 + l * 5 + t * 3 + d) % special.length];
    const m = makeShardDir({
      nImgs: 5,
      layers: [-2, -1],
      nPatchesPerImg: 3,
      clsToken: true,
      dVit: 3,
      nPatchesPerShard: 2 * 2 * 4,
      valueAt,
    });
    const clampTo = (x: number) => (x > 100 ? 100 : x < -100 ? -100 : x);
    for (const [patches, layer] of [
      ['patches', -1],
      ['patches', 'all'],
      ['cls', 'all'],
    ] as Array<[PatchMode, LayerMode]>) {
      const ds = await ActivationsDataset.open(m.dir, { patches, layer, clamp: 100 });
      const want = getNaiveItems(m, patches, layer).map((r) => ({ ...r, act: r.act.map(clampTo) }));
      expect(want.some((r) => r.act.some(Number.isNaN))).toBe(true);
      const got = await collectKept(ds.ordered({ batchSize: 4 }));
      expect(got).toEqual(want);
      expect((await collectCopied(ds.ordered({ batchSize: 4, chunkBytes: 1, reuseBatches: true }))).items).toEqual(
        want,
      );
      expect(rows(await ds.getBatch(want.map((_, i) => i)))).toEqual(want);
      await ds.close();
    }
  });

  it('applies scaleMean and scaleNorm exactly as getBatch does', async () => {
    const u = makeUniform(5);
    const valueAt = (_n: number, l: number, t: number, d: number) =>
      Math.fround((u() - 0.5) * 8 + d * (l + 1) + (t === 0 ? 3 : 0));
    const m = makeShardDir({
      nImgs: 7,
      layers: [-3, -1],
      nPatchesPerImg: 3,
      clsToken: true,
      dVit: 4,
      nPatchesPerShard: 2 * 4 * 3,
      valueAt,
    });
    await runStats(m.dir, { progressStream: quiet, plots: false });
    const configs = [
      { patches: 'patches', layer: -1, scaleMean: true, scaleNorm: true },
      { patches: 'cls', layer: -3, scaleMean: true, scaleNorm: true },
      { patches: 'patches', layer: 'all', scaleMean: true },
      { patches: 'cls', layer: 'all', scaleMean: true, clamp: 5 },
    ] as const;
    for (const config of configs) {
      const ds = await ActivationsDataset.open(m.dir, config);
      expect(ds.scale.mean_D).not.toBeNull();
      const got = await collectKept(ds.ordered({ batchSize: 5, chunkBytes: 100 }));
      expect(got, JSON.stringify(config)).toEqual(rows(await ds.getBatch(got.map((_, i) => i))));
      await ds.close();
    }
  });

  it('has readAhead spans reading while the first batch is used', async () => {
    const m = makeShardDir({
      nImgs: 30,
      layers: [-1],
      nPatchesPerImg: 4,
      clsToken: true,
      dVit: 8,
      nPatchesPerShard: 5 * 7,
    });
    const ds = await ActivationsDataset.open(m.dir, { patches: 'patches', layer: -1 });
    const reads = vi.spyOn(FilePool.prototype, 'read');
    try {
      for (const readAhead of [0, 1, 3]) {
        reads.mockClear();
        for await (const b of ds.ordered({ batchSize: 4, chunkBytes: 1, readAhead })) {
          // a span is one image's 4 patch rows: one read
          expect(b.n).toBe(4);
          break;
        }
        expect(reads.mock.calls.length, `readAhead ${readAhead}`).toBe(1 + readAhead);
      }
    } finally {
      reads.mockRestore();
    }
    await ds.close();
  });

  it('reuseBatches recycles readAhead + 1 spans of memory; by default every span has its own', async () => {
    const m = makeShardDir({
      nImgs: 30,
      layers: [-1],
      nPatchesPerImg: 4,
      clsToken: true,
      dVit: 8,
      nPatchesPerShard: 5 * 7,
    });
    const ds = await ActivationsDataset.open(m.dir, { patches: 'patches', layer: -1 });
    const nSpans = (30 * 4) / 2; // chunkBytes 1: one 2-item batch per span
    const options = { batchSize: 2, chunkBytes: 1, readAhead: 2 };
    expect((await collectCopied(ds.ordered(options))).buffers.size).toBe(nSpans);
    expect((await collectCopied(ds.ordered({ ...options, reuseBatches: true }))).buffers.size).toBe(3);
    await ds.close();
  });

  it('an early break raises nothing later and the dataset closes', async () => {
    const m = makeShardDir({
      nImgs: 40,
      layers: [-1],
      nPatchesPerImg: 4,
      clsToken: true,
      dVit: 8,
      nPatchesPerShard: 5 * 5,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const ds = await ActivationsDataset.open(m.dir, { patches: 'patches', layer: -1 });
      for await (const b of ds.ordered({ batchSize: 2, chunkBytes: 1, readAhead: 6 })) {
        expect(b.n).toBe(2);
        break;
      }
      await ds.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('refuses a batch size that is not a positive integer', async () => {
    const ds = await ActivationsDataset.open(
      makeShardDir({ nImgs: 2, layers: [-1], nPatchesPerImg: 1, clsToken: false, dVit: 1, nPatchesPerShard: 1 }).dir,
      { layer: -1 },
    );
    expect(() => ds.ordered({ batchSize: 0 })).toThrow('reader: batchSize must be a positive integer, found 0');
    await ds.close();
  });
});
