/**
 * What a `--vit-ckpt` names, told without loading anything (so it can be
 * checked before TensorFlow starts): the family's embedded demo model,
 * seeded random weights, or a converted model directory. Only converted
 * models are trained; the others prove the pipeline.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { VitFamily } from './family.js';

export type CheckpointKind = 'demo' | 'random' | 'converted';

/** The file a converted model directory holds besides model.json (written by saveVit). */
export const VIT_CONFIG_FILE = 'saev-vit.json';

/** `random:<arch>[@seed]`: the architecture's name and the seed (0 when not given), or null for other names. */
export function parseRandomCkpt(ckpt: string): { archName: string; seed: number } | null {
  const match = /^random:([^@]+)(?:@(\d+))?$/.exec(ckpt);
  return match ? { archName: match[1], seed: Number(match[2] ?? 0) } : null;
}

export function getCheckpointKind(family: VitFamily, ckpt: string): CheckpointKind {
  if (family.demo && ckpt === family.demo.ckpt) return 'demo';
  if (parseRandomCkpt(ckpt)) return 'random';
  if (existsSync(path.join(ckpt, VIT_CONFIG_FILE))) return 'converted';
  const convert = `convert one first: npx saev convert <checkpoint file> --family ${family.name} --out <dir>`;
  if (!existsSync(ckpt))
    throw new Error(
      `models: checkpoint '${ckpt}' does not exist; pass a checkpoint file, a converted model directory (${convert}) or a name (README 'Checkpoints by name')`,
    );
  if (statSync(ckpt).isFile())
    throw new Error(`models: '${ckpt}' is a checkpoint file, not a converted model directory; ${convert}`);
  const demo = family.demo ? `'${family.demo.ckpt}', ` : '';
  throw new Error(
    `models: '${ckpt}' has no ${VIT_CONFIG_FILE}, so it is not a converted ${family.name} model; --vit-ckpt takes ${demo}'random:<arch>' or a directory written by saev convert`,
  );
}
