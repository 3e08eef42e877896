/**
 * Hand-made shard directories for reader and stats tests: values chosen by
 * the test, written byte by byte (little-endian, zero-padded full-size
 * shards, `metadata.json` via the format module, `shards.json`), so expected
 * values never come from the code under test. `format: 'saev-2.1'` writes
 * protocol 2.1 metadata (a `FakeImg` dataset) into `<tmp>/saev/shards/<hash>`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeValues, getBytesPerValue, StorageDtype } from '../../src/shards/dtype.js';
import { encodeSaevDataConfig, makeSaevDataConfig } from '../../src/data/saev-data-config.js';
import { formatMetadata, Metadata } from '../../src/shards/metadata.js';
import {
  formatShardMetadata,
  formatShardsJson,
  fromV21Metadata,
  getShardDirPath,
  ShardFormat,
} from '../../src/shards/shard-metadata.js';
import { makeUniform } from '../../src/random.js';
import type { ActsBatch } from '../../src/reader/batch.js';

export interface ShardSpec {
  nImgs: number;
  layers: number[];
  nPatchesPerImg: number;
  clsToken: boolean;
  dVit: number;
  nPatchesPerShard: number;
  dtype?: StorageDtype;
  /** On-disk format (saev-0.1 by default). */
  format?: ShardFormat;
  seed?: number;
  /** Values per (img, layer slot, token, dim); default: seeded k/4, |k| <= 127 (exact in every dtype). */
  valueAt?: (img: number, l: number, t: number, d: number) => number;
}

export interface MadeShards {
  dir: string;
  /** The geometry in saev 0.1's field names (whatever the format on disk). */
  metadata: Metadata;
  /** All real values, `[N, L, T, D]` in C order. */
  values_NLTD: Float32Array;
  T: number;
  S: number;
  bytesPerShard: number;
}

export function makeShardDir(spec: ShardSpec, parent?: string): MadeShards {
  const dtype = spec.dtype ?? 'float32';
  const L = spec.layers.length;
  const T = spec.nPatchesPerImg + (spec.clsToken ? 1 : 0);
  const D = spec.dVit;
  const S = Math.floor(Math.floor(spec.nPatchesPerShard / L) / T);
  if (S < 1) throw new Error('test helper: budget too small');
  const uniform = makeUniform(spec.seed ?? 1);
  const valueAt = spec.valueAt ?? (() => Math.round(uniform() * 254 - 127) / 4 + 0);
  const values = new Float32Array(spec.nImgs * L * T * D);
  let k = 0;
  for (let n = 0; n < spec.nImgs; n++)
    for (let l = 0; l < L; l++)
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) values[k++] = valueAt(n, l, t, d);
  const metadata: Metadata = {
    vit_family: 'clip',
    vit_ckpt: 'hand-made',
    layers: spec.layers,
    n_patches_per_img: spec.nPatchesPerImg,
    cls_token: spec.clsToken,
    d_vit: D,
    seed: 42,
    n_imgs: spec.nImgs,
    n_patches_per_shard: spec.nPatchesPerShard,
    data: 'FakeDataset(n_imgs=' + spec.nImgs + ')',
    ...(dtype !== 'float32' ? { dtype } : {}),
  };
  let dir = mkdtempSync(path.join(parent ?? os.tmpdir(), 'saev-reader-'));
  if (spec.format === 'saev-2.1') {
    const data = makeSaevDataConfig({ data: 'fake', dataRoot: '', dataNImgs: spec.nImgs });
    const v21 = fromV21Metadata({
      family: 'clip',
      ckpt: 'hand-made',
      layers: spec.layers,
      content_tokens_per_example: spec.nPatchesPerImg,
      cls_token: spec.clsToken,
      d_model: D,
      n_examples: spec.nImgs,
      max_tokens_per_shard: spec.nPatchesPerShard,
      data: encodeSaevDataConfig(data),
      dataset: 'fake',
      pixel_agg: 'majority',
      dtype: 'float32',
      protocol: '2.1',
    });
    dir = getShardDirPath(dir, v21);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'metadata.json'), formatShardMetadata(v21));
  } else {
    writeFileSync(path.join(dir, 'metadata.json'), formatMetadata(metadata));
  }
  const perImg = L * T * D;
  const bytesPerShard = S * perImg * getBytesPerValue(dtype);
  const nShards = Math.ceil(spec.nImgs / S);
  const records = [];
  for (let s = 0; s < nShards; s++) {
    const n = Math.min(S, spec.nImgs - s * S);
    const bytes = new Uint8Array(bytesPerShard);
    bytes.set(encodeValues(values.slice(s * S * perImg, (s * S + n) * perImg), dtype), 0);
    const name = `acts${String(s).padStart(6, '0')}.bin`;
    writeFileSync(path.join(dir, name), bytes);
    records.push({ name, n_examples: n });
  }
  writeFileSync(
    path.join(dir, 'shards.json'),
    spec.format === 'saev-2.1' ? formatShardsJson('saev-2.1', records) : JSON.stringify(records, null, 4) + '\n',
  );
  return { dir, metadata, values_NLTD: values, T, S, bytesPerShard };
}

export type PatchMode = 'cls' | 'meanpool' | 'patches';
export type LayerMode = number | 'all' | 'meanpool';

/**
 * Naive reference for every mode: the item list in index order, straight from
 * the definitions (image-major; `all` modes layer before patch).
 */
export function getNaiveItems(
  m: MadeShards,
  patches: PatchMode,
  layer: LayerMode,
): Array<{ act: number[]; imageI: number; layerI: number; patchI: number }> {
  const { layers, n_patches_per_img: P, cls_token, d_vit: D, n_imgs: N } = m.metadata;
  const L = layers.length;
  const T = m.T;
  const cls = cls_token ? 1 : 0;
  const v = (n: number, l: number, t: number, d: number) => m.values_NLTD[((n * L + l) * T + t) * D + d];
  const mean = (pairs: Array<[number, number]>, n: number) =>
    Array.from({ length: D }, (_, d) => Math.fround(pairs.reduce((s, [l, t]) => s + v(n, l, t, d), 0) / pairs.length));
  const slots = layer === 'all' ? [...Array(L).keys()] : layer === 'meanpool' ? [-1] : [layers.indexOf(layer)];
  const tokens = patches === 'patches' ? [...Array(P).keys()] : [-1];
  const out = [];
  for (let n = 0; n < N; n++) {
    for (const slot of slots) {
      for (const p of tokens) {
        const ls = slot >= 0 ? [slot] : [...Array(L).keys()];
        const ts =
          patches === 'cls' ? [0] : patches === 'patches' ? [cls + p] : [...Array(P).keys()].map((q) => cls + q);
        out.push({
          act: mean(
            ls.flatMap((l) => ts.map((t) => [l, t] as [number, number])),
            n,
          ),
          imageI: n,
          layerI: slot,
          patchI: p,
        });
      }
    }
  }
  return out;
}

/** A batch as plain rows, comparable with `getNaiveItems`. */
export function getBatchRows(b: ActsBatch): Array<{ act: number[]; imageI: number; layerI: number; patchI: number }> {
  return Array.from({ length: b.n }, (_, i) => ({
    act: [...b.acts_BD.subarray(i * b.dVit, (i + 1) * b.dVit)],
    imageI: b.imageI[i],
    layerI: b.layerI[i],
    patchI: b.patchI[i],
  }));
}
