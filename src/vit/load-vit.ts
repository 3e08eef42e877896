/**
 * Turns `--vit-ckpt` into a ready model. A checkpoint is one of:
 *  - the family's demo name (`demo` for clip): the embedded, randomly
 *    initialised demo model, needing no download;
 *  - `random:<arch>[@seed]`: a known architecture with seeded random weights
 *    (benchmarks, tests);
 *  - a directory holding a converted model: `model.json`, its weight files
 *    and `saev-vit.json` (family, architecture), as the converter or
 *    `saveVit` writes it, read weight by weight.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tf } from '../tf.js';
import '../layers/index.js';
import type { PreprocessSpec } from '../images/preprocess.js';
import { getPatchCount, validateArch, VitArch } from './arch.js';
import { buildVit } from './build-vit.js';
import type { VitFamily } from './family.js';
import { CheckpointKind, getCheckpointKind, parseRandomCkpt, VIT_CONFIG_FILE } from './checkpoint-kind.js';
import { loadModelDir, writeModelDir, type WriteModelOptions } from './model-dir.js';
import { setRandomWeights } from './random-weights.js';

export interface LoadedVit {
  /** The whole network: one output per block. */
  model: tf.LayersModel;
  arch: VitArch;
  family: VitFamily;
  /** The checkpoint as the user named it. */
  ckpt: string;
  /** Embedded demo, seeded random weights, or a converted (trained) model. */
  kind: CheckpointKind;
  /** How the weights were obtained, for logs and the sidecar. */
  source: string;
  /** sha256 of the weight bytes, so a sidecar pins exactly which weights ran. */
  weightsSha256: string;
}

/** Where a converted model's weights came from. */
export interface VitSource {
  /** The checkpoint's file name. */
  file: string;
  /** Which reader understood it: `safetensors`, `torch-zip`, `torchscript`. */
  format: string;
  /** Which of the family's layouts it had, e.g. `open_clip / OpenAI CLIP (visual.*)`. */
  layout: string;
  /** sha256 of the checkpoint file. */
  sha256: string;
}

/** Contents of `saev-vit.json`. Loading needs only family and arch; the rest documents the model. */
interface VitConfigFile {
  family: string;
  arch: VitArch;
  /** The preprocessing the model expects (the family's, for this arch). */
  preprocess?: PreprocessSpec;
  /** Token layout of every block output and of what is stored. */
  tokens?: { cls: number; registers: number; patches: number; stored: number };
  source?: VitSource;
}

/** Reads the weights back asynchronously: GPU backends cannot read synchronously in Node. */
async function digestWeights(model: tf.LayersModel): Promise<string> {
  const hash = createHash('sha256');
  for (const weight of model.weights) {
    const values = (await weight.read().data()) as Float32Array;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}

async function makeRandomVit(
  family: VitFamily,
  ckpt: string,
  archName: string,
  seed: number,
  source: string,
): Promise<LoadedVit> {
  const known = family.archs[archName];
  if (!known) {
    throw new Error(
      `models: ${family.name} has no architecture '${archName}' (known: ${Object.keys(family.archs).join(', ')})`,
    );
  }
  const arch = validateArch(known, `${family.name}/${archName}`);
  const model = buildVit(arch, `${family.name}_${archName}`.replace(/[^A-Za-z0-9_]/g, '_'));
  setRandomWeights(model, seed);
  return {
    model,
    arch,
    family,
    ckpt,
    kind: ckpt === family.demo?.ckpt ? 'demo' : 'random',
    source,
    weightsSha256: await digestWeights(model),
  };
}

export async function loadVit(family: VitFamily, ckpt: string): Promise<LoadedVit> {
  const kind = getCheckpointKind(family, ckpt);
  if (kind === 'demo') {
    const { arch, seed } = family.demo!;
    return makeRandomVit(
      family,
      ckpt,
      arch,
      seed,
      `embedded demo (${family.name} '${arch}', random weights, seed ${seed}; not a trained model)`,
    );
  }
  if (kind === 'random') {
    const { archName, seed } = parseRandomCkpt(ckpt)!;
    return makeRandomVit(
      family,
      ckpt,
      archName,
      seed,
      `random weights (${family.name} '${archName}', seed ${seed}; not a trained model)`,
    );
  }
  return loadConvertedVit(family, ckpt);
}

/** Reads the model weight by weight (src/vit/model-dir.ts): about the weights' size in memory, whatever their size. */
async function loadConvertedVit(family: VitFamily, dir: string): Promise<LoadedVit> {
  const configPath = path.join(dir, VIT_CONFIG_FILE);
  const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as VitConfigFile;
  if (config.family !== family.name) {
    throw new Error(
      `models: ${configPath} holds a '${config.family}' model, not the '${family.name}' family asked for (--vit-family on the command line)`,
    );
  }
  const arch = validateArch(config.arch, configPath);
  const { model, weightsSha256 } = await loadModelDir(dir);
  return { model, arch, family, ckpt: dir, kind: 'converted', source: `converted model ${dir}`, weightsSha256 };
}

/** Writes `saev-vit.json`: what loading needs beyond the network (family, architecture) and what documents it. */
export async function writeVitConfig(
  vit: Pick<LoadedVit, 'arch' | 'family'>,
  dir: string,
  source?: VitSource,
): Promise<void> {
  const { arch } = vit;
  const cls = arch.clsToken ? 1 : 0;
  const patches = getPatchCount(arch);
  const config: VitConfigFile = {
    family: vit.family.name,
    arch,
    preprocess: vit.family.getPreprocess(arch),
    tokens: { cls, registers: arch.nRegisters, patches, stored: cls + patches },
    ...(source ? { source } : {}),
  };
  await fs.writeFile(path.join(dir, VIT_CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}

/**
 * Writes `model` as a converted-model directory that `loadVit` reads back,
 * reading each weight back from the backend in turn; `source` records the checkpoint.
 */
export async function saveVit(
  vit: Pick<LoadedVit, 'model' | 'arch' | 'family'>,
  dir: string,
  source?: VitSource,
  options: WriteModelOptions = {},
): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeModelDir(dir, vit.model, async (weight) => (await weight.read().data()) as Float32Array, options);
  await writeVitConfig(vit, dir, source);
}
