/**
 * Opening a shard directory for reading (docs/format.md), of either format
 * (src/shards/shard-metadata.ts): `metadata.json` (saev 0.1's, with its
 * optional non-float32 `dtype`, or protocol 2.1's), the derived geometry, the real image count of
 * every shard (from the layout maths; `shards.json`, when present, must agree), and a check
 * that every `acts%06d.bin` the metadata implies exists with exactly the
 * implied size. Other files in the directory are ignored. The digest ties a
 * statistics file to these shards.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { forEachBounded } from '../bounded-parallel.js';
import type { StorageDtype } from './dtype.js';
import {
  getBytesPerShard,
  getImgsPerEachShard,
  getImgsPerShard,
  getShardFileName,
  getTokensPerImg,
  ShardGeometry,
} from './layout.js';
import {
  getShardGeometryOf,
  getShardMetadataHash,
  parseShardMetadata,
  ShardFormat,
  ShardMetadata,
} from './shard-metadata.js';
import { explainNoMetadata } from './shard-dir-path.js';
import { STATE_DIR } from './shard-marker.js';

export interface ShardInfo {
  name: string;
  path: string;
  /** Real (non-padding) images in this shard. */
  nImgs: number;
}

export interface ShardDir {
  dir: string;
  /** Which format the directory follows. */
  format: ShardFormat;
  metadata: ShardMetadata;
  /** saev's `Metadata.hash` of this metadata (the directory name when made by a writer). */
  metadataHash: string;
  dtype: StorageDtype;
  geometry: ShardGeometry;
  /** L, P, T (= P + cls), D, S (images per shard), N (images). */
  nLayers: number;
  nPatchesPerImg: number;
  nTokensPerImg: number;
  dVit: number;
  nImgsPerShard: number;
  nImgs: number;
  clsToken: boolean;
  bytesPerValue: number;
  /** Bytes of one image slab `[L, T, D]`. */
  bytesPerImg: number;
  bytesPerShard: number;
  shards: readonly ShardInfo[];
}

async function readShardsJson(dir: string): Promise<Array<{ name: string; n_examples: number }> | null> {
  const file = path.join(dir, 'shards.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`reader: cannot read ${file} (${(error as Error).message})`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `reader: ${file} is not valid JSON (${(error as Error).message}); re-extract the directory or remove the file`,
      { cause: error },
    );
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every((r) => r && typeof r.name === 'string' && Number.isSafeInteger(r.n_examples))
  ) {
    throw new Error(`reader: ${file} must be a list of {"name", "n_examples"} records`);
  }
  return parsed;
}

/**
 * What to do about a missing shard. saev-tfjs renames a shard into place only once it is complete,
 * so in a directory it made (it has a state directory) a missing shard means an unfinished extraction.
 */
async function getMissingShardAdvice(dir: string, nShards: number): Promise<string> {
  const madeByUs = await fs.stat(path.join(dir, STATE_DIR)).then(
    () => true,
    () => false,
  );
  if (!madeByUs) return 're-extract the directory';
  const present = await fs.readdir(dir).then((names) => new Set(names));
  const nDone = Array.from({ length: nShards }, (_, k) => getShardFileName(k)).filter((name) =>
    present.has(name),
  ).length;
  return `${nDone} of ${nShards} shards are complete, so the extraction is unfinished: rerun the same saev activations extract command (or wait for its other jobs)`;
}

export async function openShardDir(dir: string): Promise<ShardDir> {
  const metadataPath = path.join(dir, 'metadata.json');
  let text: string;
  try {
    text = await fs.readFile(metadataPath, 'utf8');
  } catch {
    throw new Error(`reader: ${await explainNoMetadata(dir)}`);
  }
  const metadata = parseShardMetadata(text, metadataPath);
  const dtype = metadata.dtype;
  const geometry = getShardGeometryOf(metadata);
  const nImgsPerShard = getImgsPerShard(geometry);
  const bytesPerShard = getBytesPerShard(geometry);
  const counts = getImgsPerEachShard(metadata.nImgs, geometry);
  const recorded = await readShardsJson(dir);
  if (recorded) {
    // saev HEAD's trailing empty entry
    const real = recorded.filter((r, k) => !(k >= counts.length && r.n_examples === 0));
    const same =
      real.length === counts.length &&
      real.every((r, k) => r.name === getShardFileName(k) && r.n_examples === counts[k]);
    if (!same) {
      throw new Error(
        `reader: ${path.join(dir, 'shards.json')} lists ${JSON.stringify(real.map((r) => r.n_examples))} images per shard, ` +
          `but metadata.json implies ${JSON.stringify(counts)}; the directory is inconsistent, re-extract it`,
      );
    }
  }
  const shards: ShardInfo[] = [];
  for (let k = 0; k < counts.length; k++) {
    const name = getShardFileName(k);
    const file = path.join(dir, name);
    let size: number;
    try {
      size = (await fs.stat(file)).size;
    } catch {
      throw new Error(
        `reader: ${file} is missing (metadata.json implies ${counts.length} shards); ${await getMissingShardAdvice(dir, counts.length)}`,
      );
    }
    if (size !== bytesPerShard) {
      const what = size < bytesPerShard ? 'truncated' : 'too long';
      throw new Error(
        `reader: ${file} has ${size} bytes, metadata.json implies ${bytesPerShard} ` +
          `(${nImgsPerShard} x ${geometry.nLayers} x ${getTokensPerImg(geometry)} x ${geometry.dVit} ${dtype}); it is ${what}, re-extract it`,
      );
    }
    shards.push({ name, path: file, nImgs: counts[k] });
  }
  const nTokensPerImg = getTokensPerImg(geometry);
  return Object.freeze({
    dir,
    format: metadata.format,
    metadata,
    metadataHash: getShardMetadataHash(metadata),
    dtype,
    geometry,
    nLayers: geometry.nLayers,
    nPatchesPerImg: geometry.nPatchesPerImg,
    nTokensPerImg,
    dVit: geometry.dVit,
    nImgsPerShard,
    nImgs: metadata.nImgs,
    clsToken: geometry.clsToken,
    bytesPerValue: geometry.bytesPerValue,
    bytesPerImg: geometry.nLayers * nTokensPerImg * geometry.dVit * geometry.bytesPerValue,
    bytesPerShard,
    shards: Object.freeze(shards),
  });
}

/**
 * Whole images per chunk read for a byte budget, given the bytes read per image: at least one, at most a shard's real
 * images (more would only cost memory).
 */
export function getImgsPerChunk(sd: ShardDir, bytesPerImg: number, chunkBytes: number): number {
  const mostReal = Math.max(1, ...sd.shards.map((s) => s.nImgs));
  return Math.min(mostReal, Math.max(1, Math.floor(chunkBytes / bytesPerImg)));
}

/** Pages of each shard the digest reads: the first, the last and evenly spaced ones between. */
const DIGEST_PAGES_PER_SHARD = 8;
const DIGEST_PAGE_BYTES = 4096;
const DIGEST_FILES_AT_ONCE = 16;

/** Byte offsets of the pages the digest reads from a shard of `bytes` bytes (distinct, ascending). */
export function getDigestPageOffsets(bytes: number): number[] {
  const lastPage = Math.max(0, Math.ceil(bytes / DIGEST_PAGE_BYTES) - 1);
  const pages = Array.from({ length: DIGEST_PAGES_PER_SHARD }, (_, k) =>
    Math.round((k * lastPage) / (DIGEST_PAGES_PER_SHARD - 1)),
  );
  return [...new Set(pages)].map((page) => page * DIGEST_PAGE_BYTES);
}

/**
 * A digest of the shards' identity: the metadata hash plus 8 sampled 4 KiB
 * pages of every shard (the first, the last and 6 evenly spaced). Statistics
 * files record it; a reader refuses statistics whose digest differs: another
 * directory, or the same config re-extracted with other weights or images.
 * It reads 32 KiB per shard, not every byte, so an edit inside a shard that
 * misses those pages goes unseen (`saev activations verify` reads them all).
 */
export async function getShardDirDigest(sd: ShardDir): Promise<string> {
  const hash = createHash('sha256').update(sd.metadataHash);
  const offsets = getDigestPageOffsets(sd.bytesPerShard);
  const pages: Uint8Array[] = new Array(sd.shards.length);
  // never more files open than this
  await forEachBounded(
    sd.shards.length,
    DIGEST_FILES_AT_ONCE,
    async (k) => void (pages[k] = await readPages(sd.shards[k].path, offsets)),
  );
  sd.shards.forEach((shard, k) => hash.update(shard.name).update(pages[k]));
  return hash.digest('hex');
}

/** The bytes at `offsets` (up to a page each, less at the end of the file), concatenated. */
async function readPages(file: string, offsets: number[]): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    const parts = await Promise.all(
      offsets.map(async (offset) => {
        const page = Buffer.alloc(DIGEST_PAGE_BYTES);
        const { bytesRead } = await handle.read(page, 0, page.length, offset);
        return page.subarray(0, bytesRead);
      }),
    );
    return Buffer.concat(parts);
  } finally {
    await handle.close();
  }
}
