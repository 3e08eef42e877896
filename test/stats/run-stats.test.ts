// Tests src/stats/run-stats.ts, stats-file.ts and the reader's use of the files (src/reader/normalization.ts).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActsBatch } from '../../src/reader/batch.js';
import { ActivationsDataset } from '../../src/reader/dataset.js';
import { decodeNpyFloat64 } from '../../src/stats/npy.js';
import { runStats } from '../../src/stats/run-stats.js';
import { makeNormal } from '../../src/random.js';
import { getBatchRows, getNaiveItems, makeShardDir } from '../reader/helpers.js';

const normal = makeNormal(3);
const valueAt = (_n: number, l: number, t: number, d: number) =>
  Math.fround(normal() + d * (l + 1) + (t === 0 ? 5 : 0));
const spec = {
  nImgs: 9,
  layers: [-3, -1],
  nPatchesPerImg: 3,
  clsToken: true,
  dVit: 4,
  nPatchesPerShard: 2 * 4 * 2,
  valueAt,
};
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

describe('runStats', () => {
  it('writes stats.json, the .npy means, stats.txt and three PNG plots beside the shards', async () => {
    const m = makeShardDir(spec);
    const { doc, files } = await runStats(m.dir, { progressStream: quiet });
    expect(files.map((f) => path.basename(f)).sort()).toEqual(
      [
        'stats-mean-cls.npy',
        'stats-mean-patches.npy',
        'stats-mean-abs.png',
        'stats-norm-by-position.png',
        'stats-norm-hist.png',
        'stats.json',
        'stats.txt',
      ].sort(),
    );
    const json = JSON.parse(readFileSync(path.join(m.dir, 'stats.json'), 'utf8'));
    expect(json).toMatchObject({ format: 'saev-tfjs-stats/2', dVit: 4, nImgs: 9, layers: [-3, -1] });
    expect(json.perLayer[1].patches.n).toBe(27);
    expect(json.perLayer[1].cls.n).toBe(9);
    const { values, shape } = decodeNpyFloat64(readFileSync(path.join(m.dir, 'stats-mean-patches.npy')), 'npy');
    expect(shape).toEqual([2, 4]);
    // mean of layer -1's patch tokens, dimension 2, straight from the values
    let sum = 0;
    for (let n = 0; n < 9; n++) for (let t = 1; t < 4; t++) sum += m.values_NLTD[((n * 2 + 1) * 4 + t) * 4 + 2];
    expect(values[1 * 4 + 2]).toBeCloseTo(sum / 27, 12);
    expect(readFileSync(path.join(m.dir, 'stats.txt'), 'utf8')).toMatch(
      /^9 images, d = 4, float32, layers \[-3, -1\]\n/,
    );
    expect(doc.perLayer[0].meanNormByPosition).toHaveLength(4);
    // A later run without plots removes the earlier plots, which no longer match stats.json.
    await runStats(m.dir, { progressStream: quiet, plots: false });
    expect(readdirSync(m.dir).filter((f) => f.endsWith('.png'))).toEqual([]);
  });

  it('summarises a protocol-2.1 directory exactly as the same values in saev-0.1', async () => {
    const v01 = makeShardDir({ ...spec, valueAt: undefined }); // default values (from a fixed seed), the same in both
    const v21 = makeShardDir({ ...spec, valueAt: undefined, format: 'saev-2.1' });
    const a = await runStats(v01.dir, { progressStream: quiet, plots: false });
    const b = await runStats(v21.dir, { progressStream: quiet, plots: false });
    expect(b.doc.perLayer).toEqual(a.doc.perLayer);
    expect(readFileSync(path.join(v21.dir, 'stats-mean-patches.npy'))).toEqual(
      readFileSync(path.join(v01.dir, 'stats-mean-patches.npy')),
    );
  });

  it('writes each population its own means, and the reader takes the population and layers its mode needs', async () => {
    const m = makeShardDir(spec);
    const { doc } = await runStats(m.dir, { progressStream: quiet, plots: false });
    const [N, L, T, D] = [9, 2, 4, 4];
    const x = (n: number, l: number, t: number) =>
      m.values_NLTD.subarray(((n * L + l) * T + t) * D, ((n * L + l) * T + t + 1) * D);
    const meanOf = (l: number, ts: number[]) =>
      Array.from(
        { length: D },
        (_, d) =>
          ts.reduce((s, t) => s + Array.from({ length: N }, (_, n) => x(n, l, t)[d]).reduce((a, b) => a + b), 0) /
          (N * ts.length),
      );
    const clsMean = [0, 1].map((l) => meanOf(l, [0]));
    const patchMean = [0, 1].map((l) => meanOf(l, [1, 2, 3]));
    const npy = (name: string) => [...decodeNpyFloat64(readFileSync(path.join(m.dir, name)), 'npy').values];
    npy('stats-mean-cls.npy').forEach((v, k) => expect(v).toBeCloseTo(clsMean[Math.floor(k / D)][k % D], 12));
    npy('stats-mean-patches.npy').forEach((v, k) => expect(v).toBeCloseTo(patchMean[Math.floor(k / D)][k % D], 12));
    // (cls, -1) subtracts the CLS mean of layer -1; (patches, all) the average of the layers' patch means.
    const cases = [
      { config: { patches: 'cls', layer: -1 } as const, mean: clsMean[1] },
      {
        config: { patches: 'patches', layer: 'all' } as const,
        mean: patchMean[0].map((v, d) => (v + patchMean[1][d]) / 2),
      },
    ];
    for (const { config, mean } of cases) {
      const plain = await ActivationsDataset.open(m.dir, config);
      const scaled = await ActivationsDataset.open(m.dir, { ...config, scaleMean: true });
      for (const i of [0, plain.length - 1]) {
        const expected = [...(await plain.get(i)).act].map((v, d) => Math.fround(v - Math.fround(mean[d])));
        expect([...(await scaled.get(i)).act], JSON.stringify(config)).toEqual(expected);
      }
      await plain.close();
      await scaled.close();
    }
    // Mean norm by stored token position, and the summary's columns.
    for (let l = 0; l < L; l++) {
      for (let t = 0; t < T; t++) {
        const mean = Array.from({ length: N }, (_, n) => Math.hypot(...x(n, l, t))).reduce((a, b) => a + b) / N;
        expect(doc.perLayer[l].meanNormByPosition[t]! / mean).toBeCloseTo(1, 12);
      }
    }
    const row = readFileSync(path.join(m.dir, 'stats.txt'), 'utf8')
      .split('\n')
      .find((line) => /^ +-1 +patches /.test(line))!
      .trim()
      .split(/ +/);
    const p = doc.perLayer[1].patches;
    expect(row.slice(2, 9).map(Number)).toEqual(
      [p.n, p.meanNorm, p.centredMeanNorm, p.normScalar, p.rmsNormScalar, p.meanAbsMean, p.maxAbs].map((v) =>
        Number(v.toFixed(4)),
      ),
    );
  });

  it('refuses a mean file whose bytes or shape differ from what stats.json records', async () => {
    const m = makeShardDir(spec);
    await runStats(m.dir, { progressStream: quiet, plots: false });
    const npyPath = path.join(m.dir, 'stats-mean-patches.npy');
    const good = readFileSync(npyPath);
    const changed = Buffer.from(good);
    changed[changed.length - 1] ^= 1;
    writeFileSync(npyPath, changed);
    await expect(ActivationsDataset.open(m.dir, { layer: -1, scaleMean: true })).rejects.toThrow(
      /^stats: .*stats-mean-patches\.npy does not match the sha256 recorded in stats\.json; rerun saev activations stats$/,
    );
    // Same bytes and sha256, but stats.json records another shape.
    writeFileSync(npyPath, good);
    const statsPath = path.join(m.dir, 'stats.json');
    writeFileSync(statsPath, readFileSync(statsPath, 'utf8').replace(/"shape": \[\s*2,\s*4\s*\]/, '"shape": [4, 2]'));
    await expect(ActivationsDataset.open(m.dir, { layer: -1, scaleMean: true })).rejects.toThrow(
      /^stats: .*stats-mean-patches\.npy has shape \[2,4\], expected \[4,2\]$/,
    );
  });

  it.each(['float32', 'float16'] as const)(
    'clamps, subtracts the mean and divides by the scalar in every iterator (%s shards)',
    async (dtype) => {
      const m = makeShardDir({
        nImgs: 7,
        layers: [-2, -1],
        nPatchesPerImg: 3,
        clsToken: true,
        dVit: 4,
        nPatchesPerShard: 2 * 4 * 3,
        dtype,
        seed: 4,
      });
      const { doc } = await runStats(m.dir, { progressStream: quiet, plots: false });
      const mean = decodeNpyFloat64(readFileSync(path.join(m.dir, 'stats-mean-patches.npy')), 'npy').values.subarray(
        4,
        8,
      );
      const scalar = Math.fround(doc.perLayer[1].patches.normScalar);
      const clamp = 20;
      const naive = getNaiveItems(m, 'patches', -1);
      expect(naive.some((r) => r.act.some((v) => Math.abs(v) > clamp))).toBe(true);
      const expected = naive.map((r) => ({
        ...r,
        act: r.act.map((v, d) =>
          Math.fround(Math.fround(Math.max(-clamp, Math.min(clamp, v)) - Math.fround(mean[d])) / scalar),
        ),
      }));
      const ds = await ActivationsDataset.open(m.dir, {
        patches: 'patches',
        layer: -1,
        clamp,
        scaleMean: true,
        scaleNorm: true,
      });
      const rowsOf = async (gen: AsyncGenerator<ActsBatch>) => {
        const out = [];
        for await (const b of gen) out.push(...getBatchRows(b));
        return out;
      };
      expect(await rowsOf(ds.ordered({ batchSize: 5 }))).toEqual(expected);
      const key = (r: { imageI: number; patchI: number }) => r.imageI * 3 + r.patchI;
      const shuffled = await rowsOf(ds.shuffled({ batchSize: 5, bufferSize: 4, chunkBytes: 1 }));
      expect(shuffled.sort((a, b) => key(a) - key(b))).toEqual(expected);
      await ds.close();
    },
  );

  it("feeds the reader's scaleMean/scaleNorm: (x - mean) / scalar, no re-sampling", async () => {
    const m = makeShardDir(spec);
    const { doc } = await runStats(m.dir, { progressStream: quiet, plots: false });
    const plain = await ActivationsDataset.open(m.dir, { patches: 'patches', layer: -1 });
    const scaled = await ActivationsDataset.open(m.dir, {
      patches: 'patches',
      layer: -1,
      scaleMean: true,
      scaleNorm: true,
    });
    const viaNpy = await ActivationsDataset.open(m.dir, {
      patches: 'patches',
      layer: -1,
      scaleMean: path.join(m.dir, 'stats-mean-patches.npy'),
      scaleNorm: path.join(m.dir, 'stats.json'),
    });
    const viaDir = await ActivationsDataset.open(m.dir, {
      patches: 'patches',
      layer: -1,
      scaleMean: m.dir,
      scaleNorm: m.dir,
    });
    const mean = decodeNpyFloat64(readFileSync(path.join(m.dir, 'stats-mean-patches.npy')), 'npy').values.subarray(
      4,
      8,
    );
    const scalar = doc.perLayer[1].patches.normScalar;
    for (const i of [0, 13, 26]) {
      const x = (await plain.get(i)).act;
      const expected = [...x].map((v, d) => Math.fround(Math.fround(v - Math.fround(mean[d])) / Math.fround(scalar)));
      expect([...(await scaled.get(i)).act]).toEqual(expected);
      expect([...(await viaNpy.get(i)).act]).toEqual(expected);
      expect([...(await viaDir.get(i)).act]).toEqual(expected);
    }
    for (const ds of [plain, scaled, viaNpy, viaDir]) await ds.close();
  });

  it('refuses statistics of another shard directory, a missing file, and scaleNorm where the scalar is undefined', async () => {
    const a = makeShardDir(spec);
    const b = makeShardDir({ ...spec, valueAt: undefined, seed: 5 });
    await runStats(a.dir, { progressStream: quiet, plots: false });
    await expect(
      ActivationsDataset.open(b.dir, { layer: -1, scaleMean: path.join(a.dir, 'stats.json') }),
    ).rejects.toThrow(
      /^stats: .*stats\.json describes other shards \(digest [0-9a-f]{12}\.\.\., these shards [0-9a-f]{12}\.\.\.\); rerun saev activations stats on this directory$/,
    );
    await expect(ActivationsDataset.open(b.dir, { layer: -1, scaleNorm: true })).rejects.toThrow(
      /^stats: cannot read .*; run saev activations stats <shard-dir> first$/,
    );
    await expect(ActivationsDataset.open(a.dir, { layer: 'all', scaleNorm: true })).rejects.toThrow(
      /scaleNorm is defined for patches 'cls' or 'patches' with one integer layer, not \(patches, all\)/,
    );
    await expect(
      ActivationsDataset.open(a.dir, { layer: -1, scaleMean: path.join(a.dir, 'stats-mean-cls.npy') }),
    ).rejects.toThrow(/wrong population/);
    const all = await ActivationsDataset.open(a.dir, { patches: 'meanpool', layer: 'meanpool', scaleMean: true });
    expect(all.scale.mean_D).toHaveLength(4);
    await all.close();
  });

  it('refuses a damaged stats.json, a missing .npy and a scalar that is not a number, in one line each', async () => {
    const m = makeShardDir(spec);
    await runStats(m.dir, { progressStream: quiet, plots: false });
    const file = path.join(m.dir, 'stats.json');
    const good = readFileSync(file, 'utf8');
    const open = (config: object) => ActivationsDataset.open(m.dir, { layer: -1, ...config });
    const damaged: Array<[string, RegExp]> = [
      ['null', /^stats: .*stats\.json is not a saev-tfjs-stats\/2 file \(format null\); rerun saev activations stats$/],
      [
        good.replace('saev-tfjs-stats/2', 'saev-tfjs-stats/1'),
        /is not a saev-tfjs-stats\/2 file \(format "saev-tfjs-stats\/1"\); rerun saev activations stats$/,
      ],
      [
        good.replace(/"digest": "[0-9a-f]+",/, ''),
        /^stats: .*stats\.json is damaged \(digest, layers, perLayer or files missing or malformed\); rerun saev activations stats$/,
      ],
      [good.replace(/"files": \{/, '"filez": {'), /is damaged/],
    ];
    for (const [text, message] of damaged) {
      writeFileSync(file, text);
      await expect(open({ scaleMean: true })).rejects.toThrow(message);
    }
    writeFileSync(file, good.replace(/"normScalar": ([0-9.e+-]+)/g, '"normScalar": "$1"'));
    await expect(open({ scaleNorm: true })).rejects.toThrow(
      /^reader: .*stats\.json has no positive patches scalar for layer -1$/,
    );
    writeFileSync(file, good);
    rmSync(path.join(m.dir, 'stats-mean-patches.npy'));
    await expect(open({ scaleMean: true })).rejects.toThrow(
      /^stats: cannot read .*stats-mean-patches\.npy, named in stats\.json \(ENOENT\); rerun saev activations stats$/,
    );
  });

  it('summarises shards of CLS tokens only: no patch tokens, so no patch mean file', async () => {
    const m = makeShardDir({
      nImgs: 5,
      layers: [-1],
      nPatchesPerImg: 0,
      clsToken: true,
      dVit: 3,
      nPatchesPerShard: 2,
      valueAt: (n, _l, _t, d) => n + d,
    });
    const { doc, files } = await runStats(m.dir, { progressStream: quiet, plots: false });
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['stats-mean-cls.npy', 'stats.json', 'stats.txt']);
    expect(doc.perLayer[0].cls).toMatchObject({ n: 5, maxAbs: 6, nNaN: 0 });
    expect(decodeNpyFloat64(readFileSync(path.join(m.dir, 'stats-mean-cls.npy')), 'npy').values).toEqual(
      new Float64Array([2, 3, 4]),
    );
    expect(doc.perLayer[0].patches).toMatchObject({ n: 0, meanAbsMean: NaN, maxAbs: NaN });
    await expect(ActivationsDataset.open(m.dir, { patches: 'patches', layer: -1, scaleMean: true })).rejects.toThrow(
      /^stats: no patches mean in the statistics \(these shards have no patch tokens\)$/,
    );
  });

  it('gives a layer whose every token is NaN a NaN mean row, not zeros', async () => {
    const m = makeShardDir({ ...spec, valueAt: (n, l, t, d) => (l === 0 ? NaN : n + t + d) });
    await runStats(m.dir, { progressStream: quiet, plots: false });
    const { values } = decodeNpyFloat64(readFileSync(path.join(m.dir, 'stats-mean-patches.npy')), 'npy');
    expect([...values.subarray(0, 4)]).toEqual([NaN, NaN, NaN, NaN]);
    expect(values[4]).toBeCloseTo(4 + 2, 12); // layer -1, dimension 0: mean of n + t over n < 9, t in 1..3
  });

  it('refuses a directory of no images, and one it cannot write in before reading any shard', async () => {
    const empty = makeShardDir({ ...spec, nImgs: 0 });
    await expect(runStats(empty.dir, { progressStream: quiet })).rejects.toThrow(
      /^stats: .* holds no images \(metadata.json: n_imgs 0\), so there is nothing to summarise$/,
    );
    const m = makeShardDir(spec);
    if (spawnSync('chattr', ['+i', m.dir]).status !== 0) return; // no immutable flag here (not root, or another filesystem)
    let progressWritten = 0;
    const counting = { write: () => ++progressWritten > 0 } as unknown as NodeJS.WritableStream;
    try {
      await expect(runStats(m.dir, { progressStream: counting })).rejects.toThrow(
        /^stats: cannot write the statistics beside the shards in .* \(EPERM\); .*make the directory writable$/,
      );
    } finally {
      spawnSync('chattr', ['-i', m.dir]);
    }
    expect(progressWritten).toBe(0);
  });
});
