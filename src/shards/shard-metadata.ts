/**
 * The two on-disk formats behind one view. `saev-0.1` is saev 0.1.0's
 * (docs/format.md; src/shards/metadata.ts): `<dump-to>/<sha256>/`, ten metadata
 * fields, optional half dtypes. `saev-2.1` is saev's current protocol 2.1
 * (src/shards/metadata-v21.ts): `<dump-to>/saev/shards/<8 hex>/`, which
 * saev's loaders insist on, 13 fields, float32 only. Both store the same
 * shard files (`[S, L, T, D]`, S = budget // (L * T)), `shards.json` and
 * `labels.bin`; only the metadata, the directory and the `shards.json` text
 * differ. Readers, `verify` and `stats` take the view from
 * `parseShardMetadata`, which tells the formats apart by the `protocol` field.
 */
import path from 'node:path';
import { parseStorageDtype, StorageDtype, getBytesPerValue } from './dtype.js';
import { getImgsPerEachShard, getShardFileName, ShardGeometry } from './layout.js';
import { formatMetadata, getMetadataHash, Metadata, parseMetadata } from './metadata.js';
import {
  checkMetadataV21,
  formatMetadataV21,
  getMetadataV21Hash,
  hasProtocolField,
  MetadataV21,
} from './metadata-v21.js';
import { orjsonDumps } from '../python/orjson.js';

export const SHARD_FORMATS = ['saev-0.1', 'saev-2.1'] as const;
export type ShardFormat = (typeof SHARD_FORMATS)[number];

/** What every consumer needs, whichever the format. */
interface ShardMetadataBase {
  /** Recorded layers in the user's notation, ascending by depth (the layer axis). */
  layers: readonly number[];
  /** P: patch tokens per image. */
  nPatchesPerImg: number;
  clsToken: boolean;
  /** D: model width. */
  dVit: number;
  /** N: images, i.e. real rows over all shards. */
  nImgs: number;
  /** Token budget per shard (`n_patches_per_shard`, `max_tokens_per_shard`). */
  nTokensPerShard: number;
  dtype: StorageDtype;
}

export type ShardMetadata =
  | (ShardMetadataBase & { format: 'saev-0.1'; fields: Metadata })
  | (ShardMetadataBase & { format: 'saev-2.1'; fields: MetadataV21 });

/** The parent saev's protocol-2.1 loaders require of a shard directory. */
export const V21_SHARDS_ROOT = path.join('saev', 'shards');

export function fromSeedMetadata(md: Metadata): ShardMetadata {
  return {
    layers: md.layers,
    nPatchesPerImg: md.n_patches_per_img,
    clsToken: md.cls_token,
    dVit: md.d_vit,
    nImgs: md.n_imgs,
    nTokensPerShard: md.n_patches_per_shard,
    dtype: parseStorageDtype(md.dtype ?? 'float32'),
    format: 'saev-0.1',
    fields: md,
  };
}

export function fromV21Metadata(md: MetadataV21): ShardMetadata {
  return {
    layers: md.layers,
    nPatchesPerImg: md.content_tokens_per_example,
    clsToken: md.cls_token,
    dVit: md.d_model,
    nImgs: md.n_examples,
    nTokensPerShard: md.max_tokens_per_shard,
    dtype: 'float32',
    format: 'saev-2.1',
    fields: md,
  };
}

/** Parses and checks the text of a `metadata.json` of either format; `source` names the file in errors. */
export function parseShardMetadata(text: string, source: string): ShardMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`metadata: ${source} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (
    raw !== null &&
    typeof raw === 'object' &&
    !Array.isArray(raw) &&
    hasProtocolField(raw as Record<string, unknown>)
  ) {
    return checkShape(fromV21Metadata(checkMetadataV21(raw as Record<string, unknown>, source)), source);
  }
  const md = parseMetadata(text, source);
  let view: ShardMetadata;
  try {
    view = fromSeedMetadata(md);
  } catch (error) {
    throw new Error(`metadata: ${source}: ${(error as Error).message.replace(/^dtype: /, '')}`, { cause: error });
  }
  return checkShape(view, source);
}

/** Metadata that describes shards holding something, with distinct layers (saev itself accepts an empty list). */
function checkShape(m: ShardMetadata, source: string): ShardMetadata {
  if (m.layers.length === 0 || new Set(m.layers).size !== m.layers.length) {
    throw new Error(
      `metadata: ${source}: layers must be a non-empty list of distinct layers, found ${JSON.stringify(m.layers)}`,
    );
  }
  if (m.nPatchesPerImg === 0 && !m.clsToken)
    throw new Error(`metadata: ${source}: an image stores no tokens (no patch tokens and no CLS token)`);
  return m;
}

/** The text of `metadata.json`, as the format's saev writes it. */
export function formatShardMetadata(m: ShardMetadata): string {
  return m.format === 'saev-0.1' ? formatMetadata(m.fields) : formatMetadataV21(m.fields);
}

/** saev's `Metadata.hash`: the name of the shard directory. */
export function getShardMetadataHash(m: ShardMetadata): string {
  return m.format === 'saev-0.1' ? getMetadataHash(m.fields) : getMetadataV21Hash(m.fields);
}

/** Where a writer puts the shards: `<dump-to>/<hash>` or `<dump-to>/saev/shards/<hash>`. */
export function getShardDirPath(dumpTo: string, m: ShardMetadata): string {
  const hash = getShardMetadataHash(m);
  return m.format === 'saev-0.1' ? path.join(dumpTo, hash) : path.join(dumpTo, V21_SHARDS_ROOT, hash);
}

/**
 * Why `dir` is not where saev would look for these shards, or null: the name must be the hash (and for 2.1 the parents
 * `saev/shards`).
 */
export function checkShardDirPath(dir: string, m: ShardMetadata): string | null {
  const hash = getShardMetadataHash(m);
  const absolute = path.resolve(dir);
  if (path.basename(absolute) !== hash)
    return `metadata hashes to ${hash}, but the directory is named ${path.basename(absolute)}`;
  if (m.format === 'saev-2.1' && !path.dirname(absolute).endsWith(path.sep + V21_SHARDS_ROOT)) {
    return `${absolute} is not inside a saev/shards directory, which saev's protocol-2.1 loaders require; move it to <somewhere>/saev/shards/${hash}`;
  }
  return null;
}

/** The shard layout the metadata implies. */
export function getShardGeometryOf(m: ShardMetadata): ShardGeometry {
  return {
    nLayers: m.layers.length,
    nPatchesPerImg: m.nPatchesPerImg,
    clsToken: m.clsToken,
    dVit: m.dVit,
    nPatchesPerShard: m.nTokensPerShard,
    bytesPerValue: getBytesPerValue(m.dtype),
  };
}

export const SHARDS_FILE = 'shards.json';

/** Per-patch labels of segmentation datasets, uint8 `[n_imgs, n_patches]`, beside the shards. */
export const LABELS_FILE = 'labels.bin';

/** One entry of `shards.json`: a shard file and its real (non-padding) image count. */
export interface ShardRecord {
  name: string;
  n_examples: number;
}

/** The `shards.json` records and text for `nImgs` images: one record per shard, in order. */
export function formatShardRecords(
  nImgs: number,
  geometry: ShardGeometry,
  format: ShardFormat = 'saev-0.1',
): { records: ShardRecord[]; text: string } {
  const records = getImgsPerEachShard(nImgs, geometry).map((n, shard) => ({
    name: getShardFileName(shard),
    n_examples: n,
  }));
  return { records, text: formatShardsJson(format, records) };
}

/**
 * The text of `shards.json` for these records: 0.1 as saev-tfjs always wrote it, 2.1 as saev's `ShardInfo.dump`
 * (orjson, indent 2).
 */
export function formatShardsJson(
  format: ShardFormat,
  records: ReadonlyArray<{ name: string; n_examples: number }>,
): string {
  const plain = records.map((r) => ({ name: r.name, n_examples: r.n_examples }));
  return format === 'saev-0.1' ? JSON.stringify(plain, null, 4) + '\n' : orjsonDumps(plain, { indent2: true });
}
