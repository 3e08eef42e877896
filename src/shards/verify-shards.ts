/**
 * `saev activations verify`: checks a shard directory of either format
 * (src/shards/shard-metadata.ts) end to end and lists every problem, one line
 * each: metadata that does not hash to the directory name (or, for protocol
 * 2.1, a directory outside `saev/shards`), sidecars (`saev-tfjs.json`,
 * `shards.json`, `labels.bin`) that disagree with it,
 * shards that are missing, short or unfinished (no completion marker), whose
 * bytes no longer match the sha256 their marker recorded, that hold NaN or
 * Inf, or whose padding rows are not zero; and leftovers of unfinished work
 * (`.partial` files, temporary files, live locks). Reads every byte once;
 * the digest and NaN scan cover the real rows, the padding is compared to zeros.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { StorageDtype } from './dtype.js';
import { getBytesPerShard, getImgsPerEachShard, getImgsPerShard, getShardFileName, getValuesPerImg } from './layout.js';
import {
  checkShardDirPath,
  formatShardRecords,
  getShardGeometryOf,
  parseShardMetadata,
  LABELS_FILE,
  ShardMetadata,
  SHARDS_FILE,
} from './shard-metadata.js';
import { explainNoMetadata } from './shard-dir-path.js';
import { readMarker, STATE_DIR } from './shard-marker.js';

export type ProblemKind =
  | 'metadata'
  | 'sidecar'
  | 'missing'
  | 'size'
  | 'unfinished'
  | 'marker'
  | 'checksum'
  | 'nonfinite'
  | 'padding'
  | 'leftover';

export interface Problem {
  kind: ProblemKind;
  /** The file concerned, relative to the shard directory. */
  file: string;
  message: string;
}

export interface VerifyReport {
  shardDir: string;
  ok: boolean;
  nImgs: number | null;
  nShards: number | null;
  dtype: string | null;
  /** Shards whose bytes were read and matched their marker. */
  nShardsVerified: number;
  problems: Problem[];
}

/** Counts NaN/Inf values in `bytes` of `dtype` (exponent bits all ones). */
export function countNonFinite(bytes: Uint8Array, dtype: StorageDtype): number {
  let n = 0;
  if (dtype === 'float32') {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
    for (let i = 0; i < words.length; i++) if ((words[i] & 0x7f800000) === 0x7f800000) n++;
  } else {
    const mask = dtype === 'float16' ? 0x7c00 : 0x7f80;
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 1);
    for (let i = 0; i < halves.length; i++) if ((halves[i] & mask) === mask) n++;
  }
  return n;
}

const ZEROS = Buffer.alloc(1 << 22);

/**
 * Reads a shard once: the sha256 and NaN/Inf count of its real rows (bytes
 * before `paddingFrom`), and whether every byte from `paddingFrom` on is zero.
 */
async function scanShard(
  filePath: string,
  dtype: StorageDtype,
  paddingFrom: number,
): Promise<{ rowsSha256: string; nonFinite: number; paddingZero: boolean }> {
  const hash = createHash('sha256');
  let nonFinite = 0;
  let paddingZero = true;
  let offset = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: ZEROS.byteLength }) as AsyncIterable<Buffer>) {
    const split = Math.max(0, Math.min(chunk.byteLength, paddingFrom - offset));
    if (split > 0) {
      const rows = new Uint8Array(split); // aligned copy for the typed-array scan
      rows.set(chunk.subarray(0, split));
      hash.update(rows);
      nonFinite += countNonFinite(rows, dtype);
    }
    if (paddingZero && split < chunk.byteLength)
      paddingZero = chunk.subarray(split).equals(ZEROS.subarray(0, chunk.byteLength - split));
    offset += chunk.byteLength;
  }
  return { rowsSha256: hash.digest('hex'), nonFinite, paddingZero };
}

export async function verifyShardDir(shardDir: string): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const report = (kind: ProblemKind, file: string, message: string) => problems.push({ kind, file, message });
  const done = (md: Partial<{ nImgs: number; nShards: number; dtype: string }>, verified = 0): VerifyReport => ({
    shardDir,
    ok: problems.length === 0,
    nImgs: md.nImgs ?? null,
    nShards: md.nShards ?? null,
    dtype: md.dtype ?? null,
    nShardsVerified: verified,
    problems,
  });

  let metadata: ShardMetadata;
  try {
    metadata = parseShardMetadata(await fs.readFile(path.join(shardDir, 'metadata.json'), 'utf8'), 'metadata.json');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? await explainNoMetadata(shardDir)
        : (error as Error).message.replace(/^metadata: /, '');
    report('metadata', 'metadata.json', message);
    return done({});
  }
  const misplaced = checkShardDirPath(shardDir, metadata);
  if (misplaced) report('metadata', 'metadata.json', misplaced);
  const dtype = metadata.dtype;
  const geometry = getShardGeometryOf(metadata);
  const counts = getImgsPerEachShard(metadata.nImgs, geometry);
  const bytesPerShard = getBytesPerShard(geometry);
  const bytesPerImg = getValuesPerImg(geometry) * geometry.bytesPerValue;
  const summary = { nImgs: metadata.nImgs, nShards: counts.length, dtype };

  await checkRunInfo(
    shardDir,
    { dtype, nImgsPerShard: getImgsPerShard(geometry), nShards: counts.length, bytesPerShard },
    report,
  );

  let verified = 0;
  let allMarked = true;
  for (let shard = 0; shard < counts.length; shard++) {
    const name = getShardFileName(shard);
    const size = await fs.stat(path.join(shardDir, name)).then(
      (s) => s.size,
      () => null,
    );
    let marker = null;
    try {
      marker = await readMarker(shardDir, name);
    } catch (error) {
      report('marker', name, (error as Error).message);
    }
    if (marker === null) allMarked = false;
    if (size === null) {
      report('missing', name, `${name} is missing (expected ${counts[shard]} images)`);
      continue;
    }
    if (size !== bytesPerShard)
      report(
        'size',
        name,
        `${name} has ${size} bytes, expected ${bytesPerShard} (${size < bytesPerShard ? 'short' : 'long'})`,
      );
    if (marker === null) {
      report(
        'unfinished',
        name,
        `${name} has no completion marker (${STATE_DIR}/${name}.done): it was never finished; rerun the extraction to redo it`,
      );
    } else if (marker.n_examples !== counts[shard] || marker.bytes !== bytesPerShard || marker.dtype !== dtype) {
      report(
        'marker',
        name,
        `${name} marker says ${marker.n_examples} images, ${marker.bytes} bytes, ${marker.dtype}; metadata implies ${counts[shard]}, ${bytesPerShard}, ${dtype}`,
      );
    }
    if (size !== bytesPerShard) continue;
    const scan = await scanShard(path.join(shardDir, name), dtype, counts[shard] * bytesPerImg);
    if (marker !== null && scan.rowsSha256 !== marker.rows_sha256) {
      report(
        'checksum',
        name,
        `${name} rows sha256 ${scan.rowsSha256.slice(0, 16)}... differs from its marker's ${marker.rows_sha256.slice(0, 16)}...: the file changed after it was written`,
      );
    } else if (marker !== null) verified++;
    if (scan.nonFinite > 0) report('nonfinite', name, `${name} holds ${scan.nonFinite} NaN or Inf values`);
    if (!scan.paddingZero)
      report(
        'padding',
        name,
        `${name} has non-zero bytes in its ${Math.round((bytesPerShard - counts[shard] * bytesPerImg) / bytesPerImg)} padding rows`,
      );
  }

  const { text } = formatShardRecords(metadata.nImgs, geometry, metadata.format);
  const shardsJson = await fs.readFile(path.join(shardDir, SHARDS_FILE), 'utf8').catch(() => null);
  if (shardsJson === null) {
    if (allMarked)
      report(
        'sidecar',
        SHARDS_FILE,
        `${SHARDS_FILE} is missing although every shard is complete; rerun the extraction to write it`,
      );
  } else if (!sameJson(shardsJson, text)) {
    report(
      'sidecar',
      SHARDS_FILE,
      `${SHARDS_FILE} disagrees with metadata.json (expected ${counts.length} shards with counts [${counts.join(', ')}])`,
    );
  }
  await checkLabels(shardDir, metadata, report);
  await checkLeftovers(shardDir, counts.length, report);
  return done(summary, verified);
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

type Report = (kind: ProblemKind, file: string, message: string) => void;

async function checkRunInfo(
  shardDir: string,
  want: { dtype: string; nImgsPerShard: number; nShards: number; bytesPerShard: number },
  report: Report,
): Promise<void> {
  const file = 'saev-tfjs.json';
  let info: { dtype?: string; layout?: { nImgsPerShard?: number; nShards?: number; bytesPerShard?: number } };
  try {
    info = JSON.parse(await fs.readFile(path.join(shardDir, file), 'utf8'));
  } catch (error) {
    report(
      'sidecar',
      file,
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${file} is missing` : `${file} is not valid JSON`,
    );
    return;
  }
  if ((info.dtype ?? 'float32') !== want.dtype)
    report('sidecar', file, `${file} says dtype ${info.dtype}, metadata.json implies ${want.dtype}`);
  for (const key of ['nImgsPerShard', 'nShards', 'bytesPerShard'] as const) {
    if (info.layout?.[key] !== want[key])
      report('sidecar', file, `${file} says layout.${key} ${info.layout?.[key]}, metadata.json implies ${want[key]}`);
  }
}

/** `labels.bin`, where present, is uint8 `[n_imgs, n_patches]`. */
async function checkLabels(shardDir: string, md: ShardMetadata, report: Report): Promise<void> {
  const size = await fs.stat(path.join(shardDir, LABELS_FILE)).then(
    (s) => s.size,
    () => null,
  );
  const want = md.nImgs * md.nPatchesPerImg;
  if (size !== null && size !== want)
    report(
      'sidecar',
      LABELS_FILE,
      `labels.bin has ${size} bytes, metadata.json implies ${want} (${md.nImgs} images x ${md.nPatchesPerImg} patches, uint8)`,
    );
}

async function checkLeftovers(shardDir: string, nShards: number, report: Report): Promise<void> {
  for (const name of await fs.readdir(shardDir)) {
    const extra = /^acts(\d{6})\.bin$/.exec(name);
    if (extra && Number(extra[1]) >= nShards)
      report('leftover', name, `${name} is beyond the ${nShards} shards metadata.json implies`);
    else if (name.endsWith('.partial'))
      report(
        'leftover',
        name,
        `${name} is a shard still being written (or left by a crash); rerun the extraction to finish it`,
      );
    else if (name.includes('.tmp-')) report('leftover', name, `${name} is a temporary file left by an interrupted job`);
  }
  const state = await fs.readdir(path.join(shardDir, STATE_DIR)).catch(() => [] as string[]);
  for (const name of state.filter((n) => n.includes('.lock')))
    report(
      'leftover',
      `${STATE_DIR}/${name}`,
      `${STATE_DIR}/${name}: a job holds (or held) this shard's lock; wait for it or rerun to take over a dead one`,
    );
}
