/**
 * Checkpoints by name, for extraction, in three steps placed where a mistake
 * shows earliest: `resolveNamedCheckpoint` (pure, offline: before anything
 * else), `fetchNamedCheckpoint` (caches, else download: before the backend
 * loads, so its errors come before TensorFlow's start-up lines) and
 * `loadNamedVit` (conversion needs the backend: converts once, loads the
 * converted model, and says what the name resolved to). The model keeps the
 * name the user gave as its `ckpt`, which `metadata.json` records, so the
 * shard directory hash equals saev's for the same name.
 */
import { statSync } from 'node:fs';
import type { VitFamily } from '../vit/family.js';
import { loadVit, LoadedVit } from '../vit/load-vit.js';
import { CheckpointName, PathKind, resolveCheckpointName } from './checkpoint-name.js';
import { getConvertedModel } from './convert-once.js';
import { CheckpointRecord, fetchCheckpoint, FetchedCheckpoint } from './fetch-checkpoint.js';

export type { CheckpointName, CheckpointRecord, FetchedCheckpoint };

const getPathKind = (p: string): PathKind => {
  const stat = statSync(p, { throwIfNoEntry: false });
  return stat ? (stat.isDirectory() ? 'directory' : 'file') : null;
};

/** The name `ckpt` gives, or null for `demo`, `random:<arch>` and directories (src/vit/checkpoint-kind.ts). */
export function resolveNamedCheckpoint(family: VitFamily, ckpt: string): CheckpointName | null {
  return resolveCheckpointName(family, ckpt, getPathKind);
}

export function fetchNamedCheckpoint(
  name: CheckpointName,
  family: VitFamily,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FetchedCheckpoint> {
  return fetchCheckpoint(name, family.name, { log, env });
}

/**
 * One line on what a name ran, the same on every host (no local paths): `hf-hub timm/...@<commit>
 * open_clip_model.safetensors`.
 */
export function describeRecord(record: CheckpointRecord): string {
  const where = record.repository
    ? `${record.repository}@${record.commit ?? record.revision}`
    : (record.url ?? record.name);
  return `${record.source} ${where} ${record.file}${record.sha256 ? ` (sha256 ${record.sha256.slice(0, 16)})` : ''}`;
}

/**
 * For launchers (`--local`, `--slurm`): a bad name fails now, and the files are fetched once here, into
 * the caches the jobs read; a fetch that fails here (a login node without the network) is only a warning,
 * as the jobs may still reach the Hub or find the files.
 */
export async function prefetchNamedCheckpoint(
  family: VitFamily,
  ckpt: string,
  log: (line: string) => void,
): Promise<void> {
  const name = resolveNamedCheckpoint(family, ckpt);
  if (!name) return;
  await fetchNamedCheckpoint(name, family, log).catch((error: Error) =>
    log(`warning: ${error.message.split('\n')[0]}; each job will try again`),
  );
}

export interface NamedVit extends LoadedVit {
  /** What the name resolved to, for `saev-tfjs.json`. */
  resolved: CheckpointRecord;
}

export async function loadNamedVit(
  fetched: FetchedCheckpoint,
  family: VitFamily,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NamedVit> {
  const converted = await getConvertedModel(fetched, family, { log, env });
  if (!converted.converted) log(`model: ${fetched.name.name} converted before, loading ${converted.dir}`);
  const vit = await loadVit(family, converted.dir);
  const resolved = { ...fetched.record, sha256: converted.sha256 };
  return { ...vit, ckpt: fetched.name.name, source: `${describeRecord(resolved)}, converted`, resolved };
}
