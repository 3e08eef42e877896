/**
 * `metadata.json` and the shard directory name (docs/format.md, saev-0.1).
 *
 * The file holds exactly saev's ten `Metadata` fields, in dataclass order,
 * written like `json.dump(asdict(md), fd, indent=4)`, so saev's own
 * `Metadata.load` accepts it. The directory is named by the full sha256 hex of
 * `json.dumps(asdict(md), sort_keys=True)`. A non-float32 storage dtype adds a
 * `dtype` field (covered by the hash); float32 output is exactly saev 0.1.0's.
 */
import { createHash } from 'node:crypto';
import { PyJson, pythonJsonDumps } from '../python/python-json.js';

export interface Metadata {
  /** `clip | siglip | dinov2 | dinov3 | moondream2 | pe-core | pe-spatial`. */
  vit_family: string;
  /** The checkpoint as the user named it. */
  vit_ckpt: string;
  /** Recorded layers in the user's notation (negatives allowed), in ascending block depth. */
  layers: number[];
  /** P: patch tokens stored per image (registers and CLS excluded). */
  n_patches_per_img: number;
  /** Whether token 0 of every stored image is CLS. */
  cls_token: boolean;
  /** D: model width. */
  d_vit: number;
  /** saev's `seed` field (`--seed`); part of the hash although it changes no activation. */
  seed: number;
  /** Images in the dataset, i.e. real rows over all shards. */
  n_imgs: number;
  /** Token budget per shard file. */
  n_patches_per_shard: number;
  /** Python repr of the dataset config, e.g. `ImageFolderDataset(root='./data/split')`. */
  data: string;
  /** Storage dtype; present only when not float32. */
  dtype?: string;
}

const FIELD_ORDER = [
  'vit_family',
  'vit_ckpt',
  'layers',
  'n_patches_per_img',
  'cls_token',
  'd_vit',
  'seed',
  'n_imgs',
  'n_patches_per_shard',
  'data',
] as const;

/** The metadata as a Python dict in saev's field order (with `dtype` last when set). */
function toPython(md: Metadata): { [key: string]: PyJson } {
  const out: { [key: string]: PyJson } = {};
  for (const field of FIELD_ORDER) out[field] = md[field] as PyJson;
  if (md.dtype !== undefined && md.dtype !== 'float32') out.dtype = md.dtype;
  return out;
}

/** The bytes of `metadata.json`, as saev's `Metadata.dump` writes them. */
export function formatMetadata(md: Metadata): string {
  return pythonJsonDumps(toPython(md), { indent: 4 });
}

/** saev's `Metadata.hash`: the shard directory name. */
export function getMetadataHash(md: Metadata): string {
  return createHash('sha256')
    .update(pythonJsonDumps(toPython(md), { sortKeys: true }), 'utf8')
    .digest('hex');
}

/** Parses and checks a `metadata.json` text; `source` names the file in errors. */
export function parseMetadata(text: string, source: string): Metadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`metadata: ${source} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`metadata: ${source} must hold a JSON object, found ${JSON.stringify(parsed)}`);
  }
  const raw = parsed as Record<string, unknown>;
  const expected = [...FIELD_ORDER, ...('dtype' in raw ? ['dtype'] : [])];
  const keys = Object.keys(raw);
  if (keys.length !== expected.length || expected.some((key) => !(key in raw))) {
    throw new Error(`metadata: ${source} has fields [${keys.join(', ')}], expected [${expected.join(', ')}]`);
  }
  const ints = ['n_patches_per_img', 'd_vit', 'seed', 'n_imgs', 'n_patches_per_shard'] as const;
  for (const key of ints) {
    if (!Number.isSafeInteger(raw[key]))
      throw new Error(`metadata: ${source}: ${key} must be an integer, found ${JSON.stringify(raw[key])}`);
  }
  const least = { n_patches_per_img: 0, d_vit: 1, n_imgs: 0, n_patches_per_shard: 1 } as const;
  for (const [key, min] of Object.entries(least)) {
    if ((raw[key] as number) < min)
      throw new Error(`metadata: ${source}: ${key} must be at least ${min}, found ${raw[key]}`);
  }
  if (!Array.isArray(raw.layers) || !raw.layers.every(Number.isSafeInteger)) {
    throw new Error(`metadata: ${source}: layers must be a list of integers, found ${JSON.stringify(raw.layers)}`);
  }
  if (typeof raw.cls_token !== 'boolean') throw new Error(`metadata: ${source}: cls_token must be a boolean`);
  for (const key of ['vit_family', 'vit_ckpt', 'data', ...('dtype' in raw ? (['dtype'] as const) : [])] as const) {
    if (typeof raw[key] !== 'string') throw new Error(`metadata: ${source}: ${key} must be a string`);
  }
  return raw as unknown as Metadata;
}
