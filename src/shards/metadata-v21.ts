/**
 * `metadata.json` of saev's shard protocol 2.1 (`Metadata` in saev's
 * `saev/data/shards.py`) and the directory name it implies.
 *
 * The file holds saev's 13 fields in class order, `family, ckpt, layers,
 * content_tokens_per_example, cls_token, d_model, n_examples,
 * max_tokens_per_shard, data, dataset, pixel_agg, dtype, protocol`, written as
 * `orjson.dumps(md, option=OPT_INDENT_2)` writes them (src/python/orjson.ts).
 * The directory is `<shards root>/<hash>`, `hash` the first 8 hex digits of
 * sha256 over the compact orjson bytes of the same fields in the same order
 * (saev passes `OPT_SORT_KEYS`, which orjson does not apply to dataclass
 * fields). `data` is base64 of a pickled dataset config
 * (src/data/saev-data-config.ts); `dataset` is that config's root as text.
 * Protocol 2.1 stores float32 only.
 */
import { createHash } from 'node:crypto';
import { orjsonDumps, OrjsonValue } from '../python/orjson.js';

/** Family names saev's `Metadata.family` accepts. */
export const SAEV_V21_FAMILIES = [
  'bird-mae',
  'clip',
  'dinov2',
  'dinov3',
  'fake-clip',
  'pe-core',
  'pe-spatial',
  'siglip',
] as const;

/** `PixelAgg`: how a segmentation dataset's pixel labels become one label per patch. */
export const PIXEL_AGGS = ['majority', 'prefer-fg'] as const;
export type PixelAgg = (typeof PIXEL_AGGS)[number];

export const PROTOCOL_V21 = '2.1';

export interface MetadataV21 {
  /** The transformer family, as saev spells it (`SAEV_V21_FAMILIES`). */
  family: string;
  /** The checkpoint as the user named it. */
  ckpt: string;
  /** Recorded layers in the user's notation, in ascending block depth (the shards' layer axis). */
  layers: number[];
  /** P: content (patch) tokens per example. */
  content_tokens_per_example: number;
  /** Whether token 0 of every stored example is CLS. */
  cls_token: boolean;
  /** D: model width. */
  d_model: number;
  /** Examples in the dataset, i.e. real rows over all shards. */
  n_examples: number;
  /** Token budget per shard: examples per shard = this // (T * L). */
  max_tokens_per_shard: number;
  /** base64 of `pickle.dumps(dataset config)`. */
  data: string;
  /** `str(dataset config .root)`. */
  dataset: string;
  pixel_agg: PixelAgg;
  dtype: 'float32';
  protocol: typeof PROTOCOL_V21;
}

const FIELD_ORDER = [
  'family',
  'ckpt',
  'layers',
  'content_tokens_per_example',
  'cls_token',
  'd_model',
  'n_examples',
  'max_tokens_per_shard',
  'data',
  'dataset',
  'pixel_agg',
  'dtype',
  'protocol',
] as const;

/** Fields saev's `Metadata` gives defaults, so a file may leave them out. */
const DEFAULTS = { pixel_agg: 'majority', dtype: 'float32' } as const;

function ordered(md: MetadataV21): { [key: string]: OrjsonValue } {
  const out: { [key: string]: OrjsonValue } = {};
  for (const field of FIELD_ORDER) out[field] = md[field];
  return out;
}

/** The text of `metadata.json`, as saev's `Metadata.dump` writes it (no final newline). */
export function formatMetadataV21(md: MetadataV21): string {
  return orjsonDumps(ordered(md), { indent2: true });
}

/** saev's `Metadata.hash`: the shard directory name. */
export function getMetadataV21Hash(md: MetadataV21): string {
  return createHash('sha256')
    .update(orjsonDumps(ordered(md)), 'utf8')
    .digest('hex')
    .slice(0, 8);
}

/** Whether a parsed `metadata.json` object is protocol-versioned (saev after 0.1), not saev 0.1.0's ten fields. */
export function hasProtocolField(raw: Record<string, unknown>): boolean {
  return 'protocol' in raw;
}

/** Checks a parsed protocol-2.1 `metadata.json` object as saev's `Metadata.load` would; `source` names the file. */
export function checkMetadataV21(raw: Record<string, unknown>, source: string): MetadataV21 {
  if (raw.protocol !== PROTOCOL_V21) {
    const found = JSON.stringify(raw.protocol);
    throw new Error(
      `metadata: ${source} has protocol ${found}; only saev 0.1's metadata and protocol '2.1' are read, re-extract with --format saev-2.1`,
    );
  }
  const full: Record<string, unknown> = { ...DEFAULTS, ...raw };
  const keys = Object.keys(full);
  const unknown = keys.filter((key) => !(FIELD_ORDER as readonly string[]).includes(key));
  const missing = FIELD_ORDER.filter((key) => !(key in full));
  if (unknown.length > 0 || missing.length > 0) {
    const lacks = missing.length ? `lacks ${missing.join(', ')}` : '';
    const what = [lacks, unknown.length ? `has unknown ${unknown.join(', ')}` : ''].filter(Boolean).join(' and ');
    throw new Error(`metadata: ${source} ${what}; protocol 2.1 has exactly [${FIELD_ORDER.join(', ')}]`);
  }
  const least = { content_tokens_per_example: 0, d_model: 1, n_examples: 0, max_tokens_per_shard: 1 } as const;
  for (const [key, min] of Object.entries(least)) {
    if (!Number.isSafeInteger(full[key]) || (full[key] as number) < min) {
      throw new Error(
        `metadata: ${source}: ${key} must be an integer of at least ${min}, found ${JSON.stringify(full[key])}`,
      );
    }
  }
  if (!Array.isArray(full.layers) || !full.layers.every(Number.isSafeInteger)) {
    throw new Error(`metadata: ${source}: layers must be a list of integers, found ${JSON.stringify(full.layers)}`);
  }
  if (typeof full.cls_token !== 'boolean') throw new Error(`metadata: ${source}: cls_token must be a boolean`);
  for (const key of ['family', 'ckpt', 'data', 'dataset'] as const) {
    if (typeof full[key] !== 'string') throw new Error(`metadata: ${source}: ${key} must be a string`);
  }
  if (!(PIXEL_AGGS as readonly unknown[]).includes(full.pixel_agg)) {
    throw new Error(
      `metadata: ${source}: pixel_agg must be one of ${PIXEL_AGGS.join(', ')}, found ${JSON.stringify(full.pixel_agg)}`,
    );
  }
  if (full.dtype !== 'float32') {
    throw new Error(`metadata: ${source}: protocol 2.1 stores float32 only, found dtype ${JSON.stringify(full.dtype)}`);
  }
  const md = {} as Record<string, unknown>;
  for (const key of FIELD_ORDER) md[key] = full[key];
  return md as unknown as MetadataV21;
}
