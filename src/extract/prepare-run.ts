/**
 * Everything an extraction job settles before touching a shard: the dataset,
 * the model, the metadata and its directory, and the sidecars. Any of N jobs
 * may get here first: `metadata.json` and `saev-tfjs.json` are created once,
 * atomically, and every later job checks that they say what it would have
 * written (for `saev-tfjs.json`, everything but the backend, which each
 * shard's marker records instead).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BackendInfo } from '../backend.js';
import type { ImageDataset } from '../data/dataset.js';
import { createFileOnce } from '../util/create-once.js';
import { describeWriteError } from '../shards/shard-io.js';
import { getBytesPerShard, getImgsPerShard, getShardCount, ShardGeometry } from '../shards/layout.js';
import { formatShardMetadata, getShardDirPath, getShardGeometryOf, ShardMetadata } from '../shards/shard-metadata.js';
import { TOOL } from '../version.js';
import type { VitFamily } from '../vit/family.js';
import { resolveLayers } from '../vit/recorded-blocks.js';
import type { LoadedVit } from '../vit/load-vit.js';
import type { CheckpointRecord } from '../hub/fetch-checkpoint.js';
import { checkAgainstModel, ValidExtractConfig } from './config.js';
import { makeRunMetadata } from './run-metadata.js';

export const RUN_INFO_FILE = 'saev-tfjs.json';
export const METADATA_FILE = 'metadata.json';

export interface PreparedRun {
  shardDir: string;
  metadata: ShardMetadata;
  geometry: ShardGeometry;
  nImgsPerShard: number;
  nShards: number;
  /** Blocks to record, ascending. */
  blocks: number[];
}

/** `saev-tfjs.json` minus `backend`: what must agree between jobs. */
function getRunIdentity(text: string): string | null {
  try {
    const { backend: _backend, ...rest } = JSON.parse(text) as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch {
    return null;
  }
}

export async function prepareRun(
  config: ValidExtractConfig,
  family: VitFamily,
  dataset: ImageDataset,
  vit: LoadedVit & { resolved?: CheckpointRecord },
  backendInfo: BackendInfo,
): Promise<PreparedRun> {
  const shape = checkAgainstModel(config, vit.arch, `${family.name} '${config.vitCkpt}'`);
  const { layers, blocks } = resolveLayers(config.vitLayers, vit.arch.depth);
  const { metadata, dataRepr } = makeRunMetadata(config, family.name, dataset, shape, layers);
  // As a reader derives it from metadata.json, so writer and readers cannot disagree on the layout.
  const geometry = getShardGeometryOf(metadata);
  const nImgsPerShard = getImgsPerShard(geometry);
  const shardDir = getShardDirPath(config.dumpTo, metadata);
  const nShards = getShardCount(dataset.nImgs, geometry);
  const create = (name: string, text: string, same?: (existing: string) => boolean) =>
    createFileOnce(path.join(shardDir, name), text, same).catch((error: NodeJS.ErrnoException) => {
      throw error.code ? describeWriteError(error, path.join(shardDir, name), 'no shard was written') : error;
    });
  await fs.mkdir(shardDir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `shards: cannot create ${shardDir} (${error.code ?? error.message.split('\n')[0]}); --dump-to must be a directory this user can write in (or create)`,
    );
  });
  await create(METADATA_FILE, formatShardMetadata(metadata));
  const runInfo = {
    tool: TOOL,
    backend: backendInfo,
    dtype: config.dtype,
    model: {
      family: family.name,
      ckpt: config.vitCkpt,
      source: vit.source,
      ...(vit.resolved ? { resolved: vit.resolved } : {}),
      arch: vit.arch,
      weightsSha256: vit.weightsSha256,
      recordedBlocks: blocks,
    },
    preprocess: family.getPreprocess(vit.arch),
    layout: { nImgsPerShard, nShards, bytesPerShard: getBytesPerShard(geometry) },
    data: { repr: dataset.repr, summary: dataset.summary },
    // Protocol 2.1 only, so the sidecars of 0.1 directories made before --format stay the same (and resumable).
    ...(config.format === 'saev-0.1' ? {} : { format: config.format, saevData: dataRepr, pixelAgg: config.pixelAgg }),
  };
  const runInfoText = JSON.stringify(runInfo, null, 2) + '\n';
  await create(RUN_INFO_FILE, runInfoText, (existing) => getRunIdentity(existing) === getRunIdentity(runInfoText));
  return { shardDir, metadata, geometry, nImgsPerShard, nShards, blocks };
}
