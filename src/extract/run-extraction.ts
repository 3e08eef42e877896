/**
 * The main job (saev 0.1.0's `worker_fn`), one job's range of shards: dataset -> decode ->
 * family preprocessing -> multi-output ViT -> token selection -> shard files,
 * in dataset order, so shard row i is dataset index i. With `nJobs` > 1 the
 * job writes only its contiguous range of shards (src/extract/job-range.ts);
 * any job may come first, and rerunning any job resumes it: complete shards
 * are skipped, the shard in progress is redone (src/extract/extract-shards.ts).
 * The job that finds every shard complete writes `shards.json`.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { BackendInfo, describeBackend, initBackend } from '../backend.js';
import type { ImageDataset } from '../data/dataset.js';
import { makeDataset } from '../data/make-dataset.js';
import { writePatchLabels } from '../data/patch-labels.js';
import type { PixelAgg } from '../shards/metadata-v21.js';
import { LABELS_FILE, type ShardMetadata, type ShardRecord } from '../shards/shard-metadata.js';
import type { PreprocessSpec } from '../images/preprocess.js';
import { PreprocessPool } from '../images/preprocess-pool.js';
import { formatCount, Progress } from '../progress.js';
import { makeRecorder } from '../vit/build-vit.js';
import { chooseBatchSize } from './batch-size.js';
import type { CheckpointKind } from '../vit/checkpoint-kind.js';
import type { VitFamily } from '../vit/family.js';
import { loadVit } from '../vit/load-vit.js';
import { resolveLayers } from '../vit/recorded-blocks.js';
import { fetchNamedCheckpoint, loadNamedVit } from '../hub/named-checkpoint.js';
import type { ValidExtractConfig } from './config.js';
import { extractJobRange, getJobRangeStatus } from './extract-shards.js';
import { watchForInterrupt } from './interrupt.js';
import { checkBeforeBackend } from './preflight.js';
import { finishIfComplete, removeDeadTmpFiles } from './finish-run.js';
import { describeJobRange, getJobRange, JobRange } from './job-range.js';
import { prepareRun, RUN_INFO_FILE } from './prepare-run.js';

export { RUN_INFO_FILE };

export interface ExtractResult {
  shardDir: string;
  metadata: ShardMetadata;
  /**
   * The model that ran: family, checkpoint as given, its kind (only `converted` is a trained model), and where it came
   * from.
   */
  model: { family: string; ckpt: string; kind: CheckpointKind; source: string };
  nImgs: number;
  nShards: number;
  nImgsPerShard: number;
  /** Every shard of the directory, with its real image count. */
  shards: ShardRecord[];
  backend: string;
  backendInfo: BackendInfo;
  dtype: string;
  nJobs: number;
  jobIndex: number;
  /** This job's shards `[first, end)`. */
  share: JobRange;
  /** Shards this job wrote, found complete and skipped, or saw completed by another process. */
  written: number[];
  skipped: number[];
  doneElsewhere: number[];
  /** Whether every shard of the directory is complete (then `shards.json` exists). */
  complete: boolean;
  /** Images this job ran through the model. */
  nImgsDone: number;
  elapsedS: number;
  imgsPerS: number;
}

export interface ExtractHooks {
  /** Log lines (stderr). */
  log: (line: string) => void;
  /** Where progress goes; stderr by default. */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * Hears every batch written: `done` of the `total` images of this job's range that were not complete at the start.
   */
  onProgress?: (done: number, total: number) => void;
}

export async function runExtraction(
  config: ValidExtractConfig,
  family: VitFamily,
  hooks: ExtractHooks,
): Promise<ExtractResult> {
  const { kind, named } = await checkBeforeBackend(config, family);
  const dataset = await makeDataset(config, { log: hooks.log, warn: hooks.log });
  hooks.log(`data: ${dataset.summary}`);
  // caches or download, before TensorFlow starts
  const fetched = named && (await fetchNamedCheckpoint(named, family, hooks.log));
  const backendInfo = await initBackend(config.backend);
  hooks.log(
    `backend: ${describeBackend(backendInfo)}${backendInfo.failed.length ? ` (skipped ${backendInfo.failed.join('; ')})` : ''}`,
  );
  const vit = fetched ? await loadNamedVit(fetched, family, hooks.log) : await loadVit(family, config.vitCkpt);
  hooks.log(`model: ${vit.source}`);
  if (kind !== 'converted')
    hooks.log(
      `warning: '${config.vitCkpt}' has random weights, not a trained model: these activations test the pipeline, they are not for research`,
    );
  try {
    // Before anything is written: a batch the GPU cannot hold is refused here.
    const nRecorded = resolveLayers(config.vitLayers, vit.arch.depth).blocks.length;
    const batchSize = chooseBatchSize(config.vitBatchSize, backendInfo, vit.arch, nRecorded);
    const run = await prepareRun(config, family, dataset, vit, backendInfo);
    const range = getJobRange(run.nShards, config.nJobs, config.jobIndex);
    const nRemoved = await removeDeadTmpFiles(run.shardDir);
    if (nRemoved > 0) hooks.log(`resume: removed ${formatCount(nRemoved, 'temporary file')} left by dead processes`);
    hooks.log(
      `shards: ${run.shardDir} (${formatCount(run.metadata.nImgs, 'image')} in ${formatCount(run.nShards, 'shard')} of up to ${formatCount(run.nImgsPerShard, 'image')}, ` +
        `${config.dtype}, layers [${run.metadata.layers.join(', ')}] = blocks [${run.blocks.join(', ')}])`,
    );
    if (config.nJobs > 1) hooks.log(describeJobRange(range, run.nShards, config.nJobs, config.jobIndex));

    const start = await getJobRangeStatus(run, range, config.dtype);
    const ofJobRange = config.nJobs > 1 ? " of this job's range" : '';
    if (start.nCompleteShards > 0 && start.nCompleteShards < start.nShards) {
      hooks.log(
        `resuming: ${start.nCompleteShards} of ${formatCount(start.nShards, 'shard')}${ofJobRange} complete (${formatCount(start.nCompleteImgs, 'image')})`,
      );
    }
    const total = start.nImgs - start.nCompleteImgs;
    const progress = new Progress({
      label: 'extract',
      unit: 'images',
      total: start.nImgs,
      initial: start.nCompleteImgs,
      stream: hooks.progressStream,
    });
    let nImgsDone = 0;
    let nShardsDone = start.nCompleteShards;
    hooks.onProgress?.(0, total);
    if (config.vitBatchSize === undefined)
      hooks.log(
        `batch: ${formatCount(batchSize, 'image')} per forward pass (the ${backendInfo.name} default; --vit-batch-size sets it)`,
      );
    const recorder = makeRecorder(vit.model, run.blocks);
    const interrupt = watchForInterrupt(
      () => `${nShardsDone} of ${formatCount(start.nShards, 'shard')}${ofJobRange} complete in ${run.shardDir}`,
      hooks.log,
    );
    const preprocessor = new PreprocessPool(
      family.getPreprocess(vit.arch),
      Math.min(config.nWorkers, availableParallelism()),
    );
    const outcome = await extractJobRange(
      {
        config,
        run,
        dataset,
        recorder,
        arch: vit.arch,
        batchSize,
        preprocessor,
        backend: `${backendInfo.name} ${backendInfo.libVersion ?? backendInfo.version}`,
        log: hooks.log,
        onImages: (n) => {
          nImgsDone += n;
          progress.tick(n);
          hooks.onProgress?.(nImgsDone, total);
        },
        onShardDone: (shard) => {
          if (!start.completeShards.has(shard)) nShardsDone += 1; // those are counted already
        },
      },
      range,
    ).finally(() => {
      interrupt.stop();
      return preprocessor.close();
    });
    const completion = await finishIfComplete(run, config.dtype, hooks.log);
    if (completion.complete)
      await writeLabelsOnce(
        dataset,
        family.getPreprocess(vit.arch),
        vit.arch.patchSize,
        run,
        config.pixelAgg,
        hooks.log,
      );
    const elapsedS = progress.elapsedS;
    const imgsPerS = nImgsDone / elapsedS;
    const skippedNote = outcome.skipped.length
      ? `, ${formatCount(outcome.skipped.length, 'complete shard')} skipped`
      : '';
    const state = completion.complete
      ? run.nShards === 1
        ? 'the shard is complete'
        : `all ${run.nShards} shards complete`
      : `${completion.missing.length} of ${formatCount(run.nShards, 'shard')} still to do by other jobs`;
    progress.finish(
      nImgsDone === 0
        ? `nothing to do: ${state} in ${run.shardDir}`
        : `${formatCount(nImgsDone, 'image')} in ${elapsedS.toFixed(1)} s (${imgsPerS.toFixed(1)} images/s), ${formatCount(outcome.written.length, 'shard')} written${skippedNote}; ${state} in ${run.shardDir}`,
    );
    return {
      shardDir: run.shardDir,
      metadata: run.metadata,
      model: { family: family.name, ckpt: config.vitCkpt, kind, source: vit.source },
      nImgs: dataset.nImgs,
      nShards: run.nShards,
      nImgsPerShard: run.nImgsPerShard,
      shards: completion.records,
      backend: backendInfo.name,
      backendInfo,
      dtype: config.dtype,
      nJobs: config.nJobs,
      jobIndex: config.jobIndex,
      share: range,
      ...outcome,
      complete: completion.complete,
      nImgsDone,
      elapsedS,
      imgsPerS,
    };
  } finally {
    vit.model.dispose();
  }
}

/**
 * Segmentation datasets (ADE20K) get per-patch labels beside the shards,
 * `labels.bin` uint8 [n_imgs, n_patches] (saev's later protocol; `pixelAgg`
 * says how, majority unless protocol 2.1 records otherwise), written once by
 * whichever job sees the directory complete.
 */
async function writeLabelsOnce(
  dataset: ImageDataset,
  preprocess: PreprocessSpec,
  patchSize: number,
  run: { shardDir: string; metadata: { nPatchesPerImg: number } },
  pixelAgg: PixelAgg,
  log: (line: string) => void,
): Promise<void> {
  const labelsPath = path.join(run.shardDir, LABELS_FILE);
  if (!dataset.getSegmentation || existsSync(labelsPath)) return;
  await writePatchLabels(dataset, preprocess, patchSize, run.metadata.nPatchesPerImg, labelsPath, pixelAgg);
  log(`labels: wrote per-patch ${pixelAgg} labels to ${labelsPath}`);
}
