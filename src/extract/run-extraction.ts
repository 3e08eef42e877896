/**
 * The main job (the seed's `worker_fn`): dataset -> decode -> family
 * preprocessing -> multi-output ViT -> token selection -> shard writer, in
 * dataset order, so shard row i is dataset index i. The next batch is
 * decoded while the current one runs through the model, and each batch's
 * write overlaps the next forward pass.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BackendInfo, describeBackend, initBackend, tf } from '../backend.js';
import type { ImageDataset } from '../data/dataset.js';
import { makeDataset } from '../data/make-dataset.js';
import { writeFileAtomic } from '../format/atomic-write.js';
import { getBytesPerShard, getImgsPerShard, getShardCount, ShardGeometry } from '../format/layout.js';
import { formatMetadata, getMetadataHash, Metadata } from '../format/metadata.js';
import { ShardRecord, ShardWriter } from '../format/shard-writer.js';
import { Progress } from '../progress.js';
import { TOOL } from '../version.js';
import { makeRecorder } from '../vit/build-vit.js';
import type { VitFamily } from '../vit/family.js';
import { resolveLayers } from '../vit/layers.js';
import { loadVit } from '../vit/load-vit.js';
import { recordActivations } from '../vit/tokens.js';
import { checkAgainstModel, ExtractConfig } from './config.js';
import { loadBatch, PixelBatch } from './load-batch.js';

export const RUN_INFO_FILE = 'saev-tfjs.json';

export interface ExtractResult {
  shardDir: string;
  metadata: Metadata;
  nImgs: number;
  nShards: number;
  nImgsPerShard: number;
  shards: ShardRecord[];
  backend: string;
  backendInfo: BackendInfo;
  elapsedS: number;
  imgsPerS: number;
}

export interface ExtractHooks {
  /** Log lines (stderr). */
  log: (line: string) => void;
  /** Where progress goes; stderr by default. */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function runExtraction(config: Readonly<ExtractConfig>, family: VitFamily, hooks: ExtractHooks): Promise<ExtractResult> {
  const backendInfo = await initBackend(config.backend);
  hooks.log(`backend: ${describeBackend(backendInfo)}${backendInfo.skipped.length ? ` (skipped ${backendInfo.skipped.join('; ')})` : ''}`);
  const dataset = await makeDataset(config);
  hooks.log(`data: ${dataset.summary}`);
  const vit = await loadVit(family, config.vitCkpt);
  hooks.log(`model: ${vit.source}`);
  try {
    const shape = checkAgainstModel(config, vit.arch, `${family.name} '${config.vitCkpt}'`);
    const { layers, blocks } = resolveLayers(config.vitLayers, vit.arch.depth);
    const geometry: ShardGeometry = { nLayers: layers.length, ...shape, nPatchesPerShard: config.nPatchesPerShard, bytesPerValue: 4 };
    const nImgsPerShard = getImgsPerShard(geometry);
    const metadata: Metadata = {
      vit_family: family.name,
      vit_ckpt: config.vitCkpt,
      layers,
      n_patches_per_img: shape.nPatchesPerImg,
      cls_token: shape.clsToken,
      d_vit: shape.dVit,
      seed: config.seed,
      n_imgs: dataset.nImgs,
      n_patches_per_shard: config.nPatchesPerShard,
      data: dataset.repr,
    };
    const shardDir = path.join(config.dumpTo, getMetadataHash(metadata));
    await fs.mkdir(shardDir, { recursive: true });
    await writeFileAtomic(path.join(shardDir, 'metadata.json'), formatMetadata(metadata));
    const preprocess = family.getPreprocess(vit.arch);
    const runInfo = {
      tool: TOOL,
      backend: backendInfo,
      dtype: 'float32',
      model: { family: family.name, ckpt: config.vitCkpt, source: vit.source, arch: vit.arch, weightsSha256: vit.weightsSha256, recordedBlocks: blocks },
      preprocess,
      layout: { nImgsPerShard, nShards: getShardCount(dataset.nImgs, geometry), bytesPerShard: getBytesPerShard(geometry) },
      data: { repr: dataset.repr, summary: dataset.summary },
    };
    await writeFileAtomic(path.join(shardDir, RUN_INFO_FILE), JSON.stringify(runInfo, null, 2) + '\n');
    hooks.log(`shards: ${shardDir} (${runInfo.layout.nShards} x ${nImgsPerShard} images, layers [${layers.join(', ')}] = blocks [${blocks.join(', ')}])`);

    const recorder = makeRecorder(vit.model, blocks);
    const writer = new ShardWriter(shardDir, geometry, dataset.nImgs);
    const progress = new Progress({ label: 'extract', unit: 'images', total: dataset.nImgs, stream: hooks.progressStream });
    try {
      await extractAll(dataset, recorder, vit.arch, preprocess, config, writer, progress);
    } catch (error) {
      await writer.abort();
      throw error;
    }
    const shards = await writer.finish();
    const elapsedS = progress.elapsedS;
    const imgsPerS = dataset.nImgs / elapsedS;
    progress.finish(`${dataset.nImgs} images in ${elapsedS.toFixed(1)} s (${imgsPerS.toFixed(1)} images/s), ${shards.length} shards in ${shardDir}`);
    return {
      shardDir,
      metadata,
      nImgs: dataset.nImgs,
      nShards: shards.length,
      nImgsPerShard,
      shards,
      backend: backendInfo.name,
      backendInfo,
      elapsedS,
      imgsPerS,
    };
  } finally {
    vit.model.dispose();
  }
}

async function extractAll(
  dataset: ImageDataset,
  recorder: tf.LayersModel,
  arch: Parameters<typeof recordActivations>[2],
  preprocess: ReturnType<VitFamily['getPreprocess']>,
  config: Readonly<ExtractConfig>,
  writer: ShardWriter,
  progress: Progress,
): Promise<void> {
  const side = arch.imageSize;
  const load = (start: number): Promise<PixelBatch> | null => {
    if (start >= dataset.nImgs) return null;
    const pending = loadBatch(dataset, start, Math.min(config.vitBatchSize, dataset.nImgs - start), preprocess, config.nWorkers);
    pending.catch(() => undefined); // awaited below; this only stops an early rejection from being reported as unhandled
    return pending;
  };
  let next = load(0);
  let pendingWrite: Promise<void> = Promise.resolve();
  try {
    while (next) {
      const batch = await next;
      next = load(batch.start + batch.size);
      const pixels_BHWC = tf.tensor4d(batch.pixels, [batch.size, side, side, 3]);
      const acts_BLTD = recordActivations(recorder, pixels_BHWC, arch);
      pixels_BHWC.dispose();
      const values = (await acts_BLTD.data()) as Float32Array;
      acts_BLTD.dispose();
      await pendingWrite;
      pendingWrite = writer.write(batch.start, values).then(() => progress.tick(batch.size));
      pendingWrite.catch(() => undefined); // awaited on the next turn, after the loop, or below
    }
    await pendingWrite;
  } catch (error) {
    // The writer must be idle before the caller aborts it and removes the shard in progress.
    await pendingWrite.catch(() => undefined);
    throw error;
  }
}
