/**
 * The extraction config: flags in, one validated, frozen object out. Values
 * that follow from the model (`dVit`, `nPatchesPerImg`, `clsToken`) stay
 * optional here; `checkAgainstModel` derives them and rejects given values
 * that disagree. The scale-out options (`dtype`, `nJobs`, `jobIndex`,
 * `lockLeaseS`) and the output format (`format`, `pixelAgg`) are optional in
 * the raw config and always set in the valid one; the job split also honours
 * Slurm's `SLURM_ARRAY_TASK_ID/COUNT`.
 */
import type { BackendRequest } from '../backend.js';
import { DatasetConfig, validateDatasetConfig } from '../data/make-dataset.js';
import { parseStorageDtype, StorageDtype } from '../shards/dtype.js';
import { PIXEL_AGGS, PixelAgg, SAEV_V21_FAMILIES } from '../shards/metadata-v21.js';
import { SHARD_FORMATS, ShardFormat } from '../shards/shard-metadata.js';
import type { VitArch } from '../vit/arch.js';
import { getPatchCount } from '../vit/arch.js';

export interface ScaleOptions {
  /** `--dtype`: storage dtype of the shards (float32, saev 0.1.0's, by default). */
  dtype?: StorageDtype;
  /** `--n-jobs`: how many jobs share the shards (1 by default). */
  nJobs?: number;
  /** `--job-index`: which share this job writes, 0-based. */
  jobIndex?: number;
  /** Seconds a shard lock holds without renewal; another host takes it over after that. */
  lockLeaseS?: number;
}

export interface FormatOptions {
  /** `--format`: saev 0.1.0's layout (the default) or saev's current protocol 2.1. */
  format?: ShardFormat;
  /**
   * `--pixel-agg`: how segmentation labels become one label per patch (`prefer-fg` needs protocol 2.1, which records
   * it).
   */
  pixelAgg?: PixelAgg;
}

export interface ExtractConfig extends DatasetConfig, ScaleOptions, FormatOptions {
  /** `--vit-family`: which family's architecture and preprocessing. */
  vitFamily: string;
  /** `--vit-ckpt`: `demo`, `random:<arch>[@seed]` or a converted model directory. */
  vitCkpt: string;
  /** `--vit-layers`: saev-style layer indices, negatives from the end. */
  vitLayers: readonly number[];
  /** Images per forward pass; undefined: the backend's default (src/extract/batch-size.ts). */
  vitBatchSize?: number;
  /** Images decoded concurrently. */
  nWorkers: number;
  /** Token budget per shard file. */
  nPatchesPerShard: number;
  /** Expected model properties, checked against the model when given. */
  clsToken: boolean | undefined;
  dVit: number | undefined;
  nPatchesPerImg: number | undefined;
  /** Parent of the shard directory. */
  dumpTo: string;
  /** saev's seed field (recorded in metadata and its hash). */
  seed: number;
  backend: BackendRequest;
}

function requirePositiveInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`config: --${name} must be a positive integer, found ${value}`);
}

/** A validated config: every scale-out and format option set. */
export type ValidExtractConfig = Readonly<ExtractConfig & Required<ScaleOptions> & Required<FormatOptions>>;

/** The environment variables the job split reads (Slurm job arrays). */
export interface JobEnv {
  SLURM_ARRAY_TASK_ID?: string;
  SLURM_ARRAY_TASK_COUNT?: string;
}

function parseEnvInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw new Error(`config: ${name}='${value}' is not a non-negative integer; unset it or fix the job script`);
  return Number(value);
}

/**
 * `--n-jobs/--job-index` win; otherwise `SLURM_ARRAY_TASK_COUNT/ID` (an array
 * submitted as `--array=0-(N-1)`); otherwise one job.
 */
export function resolveJob(raw: ScaleOptions, env: JobEnv): { nJobs: number; jobIndex: number } {
  const nJobs = raw.nJobs ?? parseEnvInt('SLURM_ARRAY_TASK_COUNT', env.SLURM_ARRAY_TASK_COUNT) ?? 1;
  const jobIndex = raw.jobIndex ?? parseEnvInt('SLURM_ARRAY_TASK_ID', env.SLURM_ARRAY_TASK_ID) ?? 0;
  requirePositiveInt('n-jobs', nJobs);
  if (!Number.isSafeInteger(jobIndex) || jobIndex < 0 || jobIndex >= nJobs) {
    throw new Error(
      `config: job index ${jobIndex} is outside 0..${nJobs - 1} (--n-jobs ${nJobs}); pass --job-index below --n-jobs`,
    );
  }
  return { nJobs, jobIndex };
}

export function validateExtractConfig(raw: ExtractConfig, env: JobEnv = {}): ValidExtractConfig {
  if (raw.vitBatchSize !== undefined) requirePositiveInt('vit-batch-size', raw.vitBatchSize);
  requirePositiveInt('n-workers', raw.nWorkers);
  requirePositiveInt('n-patches-per-shard', raw.nPatchesPerShard);
  if (raw.dVit !== undefined) requirePositiveInt('d-vit', raw.dVit);
  if (raw.nPatchesPerImg !== undefined) requirePositiveInt('n-patches-per-img', raw.nPatchesPerImg);
  if (!Number.isSafeInteger(raw.seed)) throw new Error(`config: --seed must be an integer, found ${raw.seed}`);
  const dataset = validateDatasetConfig(raw); // with imagenet's name and split, and ade20k's split, filled in
  for (const layer of raw.vitLayers) {
    if (!Number.isSafeInteger(layer)) throw new Error(`config: --vit-layers must be integers, found ${layer}`);
  }
  const dtype = parseStorageDtype(raw.dtype ?? 'float32');
  const lockLeaseS = raw.lockLeaseS ?? 600;
  if (!(lockLeaseS > 0)) throw new Error(`config: lock lease must be positive seconds, found ${lockLeaseS}`);
  const format = validateFormat(raw, dtype);
  return Object.freeze({
    ...raw,
    ...dataset,
    ...resolveJob(raw, env),
    dtype,
    lockLeaseS,
    ...format,
    vitLayers: Object.freeze([...raw.vitLayers]),
  });
}

/** The output format and what it allows: protocol 2.1 stores float32 only, and names only saev's families. */
function validateFormat(raw: ExtractConfig, dtype: StorageDtype): Required<FormatOptions> {
  const format = raw.format ?? 'saev-0.1';
  const pixelAgg = raw.pixelAgg ?? 'majority';
  if (!(SHARD_FORMATS as readonly string[]).includes(format))
    throw new Error(`config: unknown --format '${format}' (known: ${SHARD_FORMATS.join(', ')})`);
  if (!(PIXEL_AGGS as readonly string[]).includes(pixelAgg))
    throw new Error(`config: unknown --pixel-agg '${pixelAgg}' (known: ${PIXEL_AGGS.join(', ')})`);
  if (format === 'saev-2.1') {
    if (dtype !== 'float32')
      throw new Error(
        `config: --dtype ${dtype} cannot be written as --format saev-2.1, whose protocol stores float32 only; drop --dtype or use --format saev-0.1`,
      );
    if (!(SAEV_V21_FAMILIES as readonly string[]).includes(raw.vitFamily)) {
      throw new Error(
        `config: saev's protocol 2.1 has no family name for --vit-family ${raw.vitFamily} (it knows ${SAEV_V21_FAMILIES.join(', ')}); use --format saev-0.1`,
      );
    }
  } else if (pixelAgg !== 'majority') {
    throw new Error(
      `config: --pixel-agg ${pixelAgg} needs --format saev-2.1 (saev 0.1's metadata has no pixel_agg field, so its labels.bin is majority); add --format saev-2.1 or drop --pixel-agg`,
    );
  }
  return { format, pixelAgg };
}

/** What the model says the stored tokens look like. */
export interface ModelShape {
  dVit: number;
  nPatchesPerImg: number;
  clsToken: boolean;
}

/** Derives the model's shape and fails on any user-given value that disagrees. */
export function checkAgainstModel(config: Readonly<ExtractConfig>, arch: VitArch, modelName: string): ModelShape {
  const shape: ModelShape = { dVit: arch.width, nPatchesPerImg: getPatchCount(arch), clsToken: arch.clsToken };
  const check = (flag: string, given: unknown, actual: unknown) => {
    if (given !== undefined && given !== actual) {
      throw new Error(
        `config: --${flag} ${given} disagrees with ${modelName}, which has ${actual}; drop the flag or fix it`,
      );
    }
  };
  check('d-vit', config.dVit, shape.dVit);
  check('n-patches-per-img', config.nPatchesPerImg, shape.nPatchesPerImg);
  if (config.clsToken !== undefined && config.clsToken !== shape.clsToken) {
    const has = shape.clsToken
      ? 'has a CLS token (drop --no-cls-token)'
      : 'has no CLS token (pass --no-cls-token or drop --cls-token)';
    throw new Error(`config: ${modelName} ${has}`);
  }
  return shape;
}
