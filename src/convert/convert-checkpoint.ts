/**
 * Checkpoint conversion: an upstream checkpoint (already read into a lazy
 * state dict) becomes a tfjs ViT. `convertCheckpoint` streams it into a
 * converted-model directory tensor by tensor (read, fix, lay out, append to
 * the weight files), so it needs about one tensor of memory beyond the
 * process, whatever the model's size; `makeVitFromCheckpoint` builds the
 * model in memory instead (tests, small models). The directory is written
 * under a temporary name beside `--out` and renamed only when complete, so a
 * failed conversion leaves nothing that looks like a model.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { tf } from '../tf.js';
import type { Checkpoint } from '../checkpoint/state-dict.js';
import type { PreprocessSpec } from '../images/preprocess.js';
import { TOOL } from '../version.js';
import type { VitArch } from '../vit/arch.js';
import { buildVit } from '../vit/build-vit.js';
import type { VitFamily } from '../vit/family.js';
import { writeVitConfig } from '../vit/load-vit.js';
import { writeModelDir } from '../vit/model-dir.js';
import { ArchFlags, GELU_NAMES, inferArch } from './infer-arch.js';
import {
  assignWeights,
  checkWeightNames,
  getTfjsValues,
  isComputedWeight,
  Renamed,
  renameTensors,
} from './remap-weights.js';
import type { ConfigHints } from '../vit/checkpoint-spec.js';

export interface MadeVit {
  model: tf.LayersModel;
  arch: VitArch;
  /** Name of the checkpoint layout found. */
  layout: string;
  /** Tower keys skipped on purpose, and (not strict) unknown ones. */
  ignored: string[];
  unknown: string[];
}

export interface MakeOptions extends ArchFlags {
  /** File name used in messages. */
  file: string;
  /** Refuse tower keys nothing maps (default true). */
  strict?: boolean;
  /** What a config file beside the checkpoint says, if there is one. */
  config?: ConfigHints | null;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));

/** A config's preprocessing must agree with the family's; we run the family's. */
function checkPreprocess(stated: Partial<PreprocessSpec>, ours: PreprocessSpec, file: string, family: string): void {
  for (const key of ['mean', 'std'] as const) {
    const values = stated[key];
    if (values && (values.length !== 3 || values.some((v, c) => !close(v, ours[key][c])))) {
      throw new Error(
        `convert: ${file} gives ${key} [${values.join(', ')}] but ${family} preprocessing uses [${ours[key].join(', ')}]`,
      );
    }
  }
  for (const key of ['filter', 'resize'] as const) {
    if (stated[key] !== undefined && stated[key] !== ours[key]) {
      throw new Error(`convert: ${file} gives ${key} '${stated[key]}' but ${family} preprocessing uses '${ours[key]}'`);
    }
  }
}

/** The checkpoint's keys renamed and its architecture settled; no tensor value read yet. */
type CheckpointTensors = Pick<Checkpoint, 'tensors'> & Partial<Pick<Checkpoint, 'format'>>;

function planConversion(
  checkpoint: CheckpointTensors,
  family: VitFamily,
  options: MakeOptions,
): { renamed: Renamed; arch: VitArch } {
  const context = { file: options.file, family: family.name };
  const renamed = renameTensors(checkpoint.tensors, family.checkpoint, options.strict ?? true, context);
  const interpolatesPositions = family.checkpoint.fixes.some((fix) => fix.target.test('tokens/positions'));
  const config = options.config ?? null;
  const arch = inferArch(renamed, family.archSource, config, options, {
    ...context,
    interpolatesPositions,
    format: checkpoint.format,
  });
  if (config) checkPreprocess(config.preprocess, family.getPreprocess(arch), config.file, family.name);
  return { renamed, arch };
}

/** The converted model in memory, every weight set (the whole model at once; `convertCheckpoint` streams). */
export function makeVitFromCheckpoint(checkpoint: CheckpointTensors, family: VitFamily, options: MakeOptions): MadeVit {
  const { renamed, arch } = planConversion(checkpoint, family, options);
  const model = buildVit(arch, `${family.name}_converted`, { zeroInit: true });
  try {
    assignWeights(model, renamed, family.checkpoint, { arch }, { file: options.file, family: family.name });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, arch, layout: renamed.format.name, ignored: renamed.ignored, unknown: renamed.unknown };
}

/** Reads the first of the family's config files found beside `checkpointPath`, or `configPath` when given. */
export async function readConfigHints(
  checkpointPath: string,
  family: VitFamily,
  configPath?: string,
): Promise<ConfigHints | null> {
  const candidates = configPath
    ? [configPath]
    : family.archSource.configFiles.map((name) => path.join(path.dirname(checkpointPath), name));
  for (const file of candidates) {
    if (!existsSync(file)) {
      if (configPath) throw new Error(`convert: config ${configPath} does not exist`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(`convert: cannot parse ${file} (${(error as Error).message.split('\n')[0]})`, { cause: error });
    }
    const hints = family.archSource.readConfig(json, path.basename(file));
    if (!hints)
      throw new Error(
        `convert: ${file} does not describe a ${family.name} model; pick the right --family or pass --config`,
      );
    return hints;
  }
  return null;
}

export interface ConvertOptions extends ArchFlags {
  checkpointPath: string;
  family: VitFamily;
  outDir: string;
  /** Reads a checkpoint file of any supported format. */
  readCheckpoint(path: string): Promise<Checkpoint>;
  strict?: boolean;
  /** An explicit config file instead of the family's names beside the checkpoint. */
  configPath?: string;
  /** Largest weight file written (default 1 GiB); tests pass a few kB. */
  maxWeightFileBytes?: number;
  /**
   * Called once the checkpoint is read and its architecture settled, before anything needs TensorFlow: the
   * CLI starts the backend here, so a bad path or an unsettled head count fails before TensorFlow's start-up
   * lines.
   */
  beforeBuild?(): Promise<void>;
}

export interface ConvertResult {
  outDir: string;
  arch: VitArch;
  preprocess: PreprocessSpec;
  layout: string;
  format: string;
  sha256: string;
  /** The config file used, if any. */
  config: string | null;
  ignored: string[];
  unknown: string[];
}

export async function convertCheckpoint(options: ConvertOptions): Promise<ConvertResult> {
  const { family, outDir } = options;
  if (existsSync(outDir)) throw new Error(`convert: ${outDir} already exists; remove it or choose another --out`);
  const file = path.basename(options.checkpointPath);
  const config = await readConfigHints(options.checkpointPath, family, options.configPath);
  const checkpoint = await options.readCheckpoint(options.checkpointPath);
  const { renamed, arch } = planConversion(checkpoint, family, { ...options, file, config });
  const context = { file, family: family.name };
  await options.beforeBuild?.();
  // The topology and the weight names only: its weights are never drawn or touched (zeroInit).
  const model = buildVit(arch, `${family.name}_converted`, { zeroInit: true });
  const tmpDir = path.join(path.dirname(path.resolve(outDir)), `.${path.basename(outDir)}.partial-${process.pid}`);
  try {
    checkWeightNames(
      model.weights.map((weight) => weight.originalName),
      renamed,
      context,
    );
    await fs.rm(tmpDir, { recursive: true, force: true });
    await fs.mkdir(tmpDir, { recursive: true });
    // A computed weight is read back as saveVit reads any weight: asynchronously, which every backend supports.
    const getValues = async (weight: tf.LayerVariable) =>
      isComputedWeight(weight.originalName, renamed)
        ? ((await weight.read().data()) as Float32Array)
        : getTfjsValues(weight.originalName, weight.shape as number[], renamed, family.checkpoint, { arch }, context);
    await writeModelDir(tmpDir, model, getValues, {
      maxFileBytes: options.maxWeightFileBytes,
      convertedBy: `${TOOL.name} ${TOOL.version}`,
    });
    const source = { file, format: checkpoint.format, layout: renamed.format.name, sha256: checkpoint.sha256 };
    await writeVitConfig({ arch, family }, tmpDir, source);
    await fs.rename(tmpDir, outDir);
  } catch (error) {
    await fs.rm(tmpDir, { recursive: true, force: true });
    throw error;
  } finally {
    model.dispose();
  }
  return {
    outDir,
    arch,
    preprocess: family.getPreprocess(arch),
    layout: renamed.format.name,
    format: checkpoint.format,
    sha256: checkpoint.sha256,
    config: config?.file ?? null,
    ignored: renamed.ignored,
    unknown: renamed.unknown,
  };
}

/**
 * What `saev convert` prints for people: the output directory, the architecture it settled, what it skipped, the
 * checkpoint's sha256.
 */
export function formatResult(result: ConvertResult): string {
  const a = result.arch;
  return [
    `converted ${result.format} (${result.layout}) -> ${result.outDir}`,
    `  arch: ${a.imageSize} px, patch ${a.patchSize}, width ${a.width}, depth ${a.depth}, heads ${a.nHeads}, mlp ${a.mlpWidth}` +
      `${a.mlp === 'swiglu' ? ' swiglu' : `, gelu ${GELU_NAMES[a.gelu]}`}, eps ${a.layerNormEps}, cls ${a.clsToken}, registers ${a.nRegisters}` +
      `${a.rope ? `, rope ${a.rope.pairing}` : ''}${result.config ? ` (config ${result.config})` : ''}`,
    `  skipped ${result.ignored.length} unused tower keys${result.unknown.length ? `, ${result.unknown.length} unknown keys (--no-strict)` : ''}`,
    `  sha256 ${result.sha256}`,
  ].join('\n');
}
