/**
 * Per-shard completion markers, the resume and integrity record. A shard is
 * complete exactly when `<shard-dir>/.saev-tfjs/acts000042.bin.done` exists;
 * it is written (atomically) only after the shard's bytes were fsynced and
 * renamed into place, so a missing marker always means "redo this shard".
 * The marker holds what a later job or `saev activations verify` checks:
 *
 *   {"name": "acts000042.bin", "n_examples": 3, "bytes": 153600, "dtype": "float32",
 *    "rows_sha256": "<sha256 hex of the real rows>", "backend": "tensorflow 4.22.0"}
 *
 * `rows_sha256` covers the file's first `n_examples` rows (bytes
 * `[0, n_examples * row size)`); the rest of the file must be zeros.
 *
 * Its text depends only on the shard's content and the backend, so an
 * interrupted-and-resumed run leaves the same bytes as an uninterrupted one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { STORAGE_DTYPES } from './dtype.js';

/** Directory, inside the shard directory, of markers and locks. */
export const STATE_DIR = '.saev-tfjs';
const DONE_SUFFIX = '.done';

export interface ShardMarker {
  name: string;
  /** Real (non-padding) images in the shard. */
  n_examples: number;
  /** Full file size. */
  bytes: number;
  dtype: string;
  /** sha256 hex of the real rows (the file's bytes before the zero padding). */
  rows_sha256: string;
  /** The backend that computed it, e.g. `tensorflow 4.22.0`. */
  backend: string;
}

export function getMarkerPath(shardDir: string, name: string): string {
  return path.join(shardDir, STATE_DIR, name + DONE_SUFFIX);
}

export function formatMarker(marker: ShardMarker): string {
  const { name, n_examples, bytes, dtype, rows_sha256, backend } = marker;
  return JSON.stringify({ name, n_examples, bytes, dtype, rows_sha256, backend }) + '\n';
}

/** Records a shard as complete. Call only after its file is durable under its final name. */
export async function writeMarker(shardDir: string, marker: ShardMarker): Promise<void> {
  await fs.mkdir(path.join(shardDir, STATE_DIR), { recursive: true });
  await writeFileAtomic(getMarkerPath(shardDir, marker.name), formatMarker(marker));
}

/** Parses a marker text; throws one line naming `source` when it is not a marker. */
export function parseMarker(text: string, source: string): ShardMarker {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`marker: ${source} is not valid JSON`);
  }
  const ok =
    raw !== null &&
    typeof raw === 'object' &&
    typeof raw.name === 'string' &&
    Number.isSafeInteger(raw.n_examples) &&
    Number.isSafeInteger(raw.bytes) &&
    (STORAGE_DTYPES as readonly unknown[]).includes(raw.dtype) &&
    typeof raw.rows_sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(raw.rows_sha256) &&
    typeof raw.backend === 'string';
  if (!ok)
    throw new Error(
      `marker: ${source} is not a shard marker (expected name, n_examples, bytes, dtype, rows_sha256, backend)`,
    );
  return raw as unknown as ShardMarker;
}

/** The marker of shard `name`, or null when there is none (the shard is not complete). */
export async function readMarker(shardDir: string, name: string): Promise<ShardMarker | null> {
  const markerPath = getMarkerPath(shardDir, name);
  let text: string;
  try {
    text = await fs.readFile(markerPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseMarker(text, markerPath);
}

/** Removes a marker (before a shard is redone); absent is fine. */
export async function removeMarker(shardDir: string, name: string): Promise<void> {
  await fs.rm(getMarkerPath(shardDir, name), { force: true });
}
