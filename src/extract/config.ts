/**
 * The extraction config: flags in, one validated, frozen object out. Values
 * that follow from the model (`dVit`, `nPatchesPerImg`, `clsToken`) stay
 * optional here; `checkAgainstModel` derives them and rejects given values
 * that disagree.
 */
import type { BackendRequest } from '../backend.js';
import { DatasetConfig, validateDatasetConfig } from '../data/make-dataset.js';
import type { VitArch } from '../vit/arch.js';
import { getPatchCount } from '../vit/arch.js';

export interface ExtractConfig extends DatasetConfig {
  /** `--vit-family`: which family's architecture and preprocessing. */
  vitFamily: string;
  /** `--vit-ckpt`: `demo`, `random:<arch>[@seed]` or a converted model directory. */
  vitCkpt: string;
  /** `--vit-layers`: saev-style layer indices, negatives from the end. */
  vitLayers: readonly number[];
  /** Images per forward pass. */
  vitBatchSize: number;
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
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`config: --${name} must be a positive integer, found ${value}`);
}

export function validateExtractConfig(raw: ExtractConfig): Readonly<ExtractConfig> {
  requirePositiveInt('vit-batch-size', raw.vitBatchSize);
  requirePositiveInt('n-workers', raw.nWorkers);
  requirePositiveInt('n-patches-per-shard', raw.nPatchesPerShard);
  if (raw.dVit !== undefined) requirePositiveInt('d-vit', raw.dVit);
  if (raw.nPatchesPerImg !== undefined) requirePositiveInt('n-patches-per-img', raw.nPatchesPerImg);
  if (!Number.isSafeInteger(raw.seed)) throw new Error(`config: --seed must be an integer, found ${raw.seed}`);
  validateDatasetConfig(raw);
  for (const layer of raw.vitLayers) {
    if (!Number.isSafeInteger(layer)) throw new Error(`config: --vit-layers must be integers, found ${layer}`);
  }
  return Object.freeze({ ...raw, vitLayers: Object.freeze([...raw.vitLayers]) });
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
      throw new Error(`config: --${flag} ${given} disagrees with ${modelName}, which has ${actual}; drop the flag or fix it`);
    }
  };
  check('d-vit', config.dVit, shape.dVit);
  check('n-patches-per-img', config.nPatchesPerImg, shape.nPatchesPerImg);
  if (config.clsToken !== undefined && config.clsToken !== shape.clsToken) {
    const has = shape.clsToken ? 'has a CLS token (drop --no-cls-token)' : 'has no CLS token (pass --no-cls-token or drop --cls-token)';
    throw new Error(`config: ${modelName} ${has}`);
  }
  return shape;
}
