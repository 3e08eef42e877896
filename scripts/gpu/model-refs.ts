/**
 * Full-size model references for the GPU checks: each case is a family's real architecture with seeded
 * random weights (identical on every backend), run on demo photographs preprocessed by the family's
 * own pipeline, recording its first and last block. A CPU backend writes `<case>.json` (a sample of
 * every recorded block at seeded positions, plus the weight digest); the GPU side recomputes the
 * same sample and compares.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getFamily } from '../../models/registry.js';
import { tf } from '../../src/backend.js';
import { preprocessPixels } from '../../src/images/preprocess-pixels.js';
import { DEMO_IMAGES_DIR } from '../../src/version.js';
import { makeRecorder } from '../../src/vit/build-vit.js';
import { loadVit } from '../../src/vit/load-vit.js';
import { recordActivations } from '../../src/vit/tokens.js';
import { type Check, checksOrFailure, getRelRms, MODEL_TOLERANCE, pick, samplePositions } from './sampling.js';

export interface ModelCase {
  name: string;
  family: string;
  ckpt: string;
}

/**
 * Every family at real widths: head widths 64 (B, L) and 72 (moondream2), no CLS (SigLIP), registers, tanh GELU,
 * RoPE with storage tokens and SwiGLU (DINOv3 S+ at 256 px), interleaved RoPE after a CLS (PE-Core B/16).
 */
export const MODEL_CASES: readonly ModelCase[] = [
  { name: 'clip-b16', family: 'clip', ckpt: 'random:ViT-B-16' },
  { name: 'clip-l14', family: 'clip', ckpt: 'random:ViT-L-14' },
  { name: 'siglip-b16', family: 'siglip', ckpt: 'random:ViT-B-16-SigLIP' },
  { name: 'dinov2-b14-reg', family: 'dinov2', ckpt: 'random:dinov2_vitb14_reg' },
  { name: 'dinov3-s16plus', family: 'dinov3', ckpt: 'random:dinov3_vits16plus' },
  { name: 'pe-core-b16', family: 'pe-core', ckpt: 'random:PE-Core-B16-224' },
  { name: 'moondream2', family: 'moondream2', ckpt: 'random:2024-08-26' },
];
const PHOTOS = ['animal/cat.jpg', 'people/astronaut.png'];
const SAMPLE = 16384;

interface Reference {
  case: ModelCase;
  backend: string;
  weightsSha256: string;
  /** Per recorded block: values at `samplePositions(size, SAMPLE, block)`. */
  blocks: Array<{ block: number; size: number; values: number[] }>;
}

/** Runs one case on the active backend: the recorded blocks' sampled values. */
async function runCase(
  c: ModelCase,
): Promise<{ weightsSha256: string; blocks: Reference['blocks']; rawBlocks: Float32Array[] }> {
  const family = getFamily(c.family);
  const vit = await loadVit(family, c.ckpt);
  const side = vit.arch.imageSize;
  const pixels = await Promise.all(
    PHOTOS.map((photo) =>
      preprocessPixels(readFileSync(path.join(DEMO_IMAGES_DIR, photo)), photo, family.getPreprocess(vit.arch)),
    ),
  );
  const input = new Float32Array(pixels.length * side * side * 3);
  pixels.forEach((p, i) => input.set(p, i * p.length));
  const blockIds = [0, vit.arch.depth - 1];
  const recorder = makeRecorder(vit.model, blockIds);
  const acts = tf.tidy(() => recordActivations(recorder, tf.tensor4d(input, [pixels.length, side, side, 3]), vit.arch));
  const [batch, nLayers, nTokens, width] = acts.shape;
  const values = (await acts.data()) as Float32Array;
  acts.dispose();
  vit.model.dispose();
  const rawBlocks = blockIds.map((_, l) => {
    const out = new Float32Array(batch * nTokens * width);
    for (let b = 0; b < batch; b++)
      out.set(
        values.subarray((b * nLayers + l) * nTokens * width, (b * nLayers + l + 1) * nTokens * width),
        b * nTokens * width,
      );
    return out;
  });
  const blocks = blockIds.map((block, l) => ({
    block,
    size: rawBlocks[l].length,
    values: Array.from(pick(rawBlocks[l], samplePositions(rawBlocks[l].length, SAMPLE, block + 1))),
  }));
  return { weightsSha256: vit.weightsSha256, blocks, rawBlocks };
}

/** The cases named (all of them when none are), refusing an unknown name. */
export function selectCases(names?: string[]): readonly ModelCase[] {
  if (!names) return MODEL_CASES;
  const unknown = names.filter((name) => !MODEL_CASES.some((c) => c.name === name));
  if (unknown.length)
    throw new Error(
      `gpu-check: unknown case ${unknown.join(', ')} (known: ${MODEL_CASES.map((c) => c.name).join(', ')})`,
    );
  return MODEL_CASES.filter((c) => names.includes(c.name));
}

export async function writeReferences(
  dir: string,
  backend: string,
  log: (line: string) => void,
  names?: string[],
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const c of selectCases(names)) {
    const started = performance.now();
    const { weightsSha256, blocks } = await runCase(c);
    const reference: Reference = { case: c, backend, weightsSha256, blocks };
    writeFileSync(path.join(dir, `${c.name}.json`), JSON.stringify(reference));
    log(`reference ${c.name} on ${backend}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/**
 * One case on the active backend against its reference: relative RMS per recorded block, or one failed check saying
 * why it could not run.
 */
export function compareWithReference(dir: string, c: ModelCase): Promise<Check[]> {
  const what = `${c.name} (${c.family} ${c.ckpt})`;
  return checksOrFailure(what, MODEL_TOLERANCE, () => compareCase(dir, c, what));
}

async function compareCase(dir: string, c: ModelCase, what: string): Promise<Check[]> {
  const reference = JSON.parse(readFileSync(path.join(dir, `${c.name}.json`), 'utf8')) as Reference;
  const ours = await runCase(c);
  if (ours.weightsSha256 !== reference.weightsSha256)
    throw new Error(`the random weights differ from the reference's (${reference.weightsSha256.slice(0, 12)})`);
  return reference.blocks.map((ref, l) => ({
    what: `${what} block ${ref.block} vs ${reference.backend}`,
    relRms: getRelRms(pick(ours.rawBlocks[l], samplePositions(ref.size, SAMPLE, ref.block + 1)), ref.values),
    tolerance: MODEL_TOLERANCE,
  }));
}
