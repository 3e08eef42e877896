/**
 * The reader's normalisation (saev 0.1.0's `act_mean` and `scalar`), taken from
 * the statistics files of `saev activations stats`, never re-sampled. `true`
 * means the `stats.json` beside the shards; a path names a `stats.json`, the
 * directory holding one, or one of its `.npy` mean files. The statistics' shard digest must match.
 *
 * Which statistics a mode uses: `cls` modes the CLS population, others the
 * patch population; an integer layer its own row; `all` and `meanpool` layers
 * the average of the layer means (every layer has the same token count, and a
 * mean of patch tokens has the patch mean). saev 0.1.0's scalar
 * mean‖x − μ‖/sqrt(d) exists only for single tokens of one layer, so
 * `scaleNorm` is refused for the other modes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MEAN_FILES, STATS_FILE } from '../stats/stats-doc.js';
import { readMeanFile, readStatsFile } from '../stats/stats-file.js';
import type { ReaderConfig } from './config.js';
import type { Mode } from './modes.js';
import { getShardDirDigest, ShardDir } from '../shards/shard-dir.js';

export interface Normalization {
  /** Subtracted after clamping; null for none. */
  mean_D: Float32Array | null;
  /** Divided by last; 1 for none. */
  scalar: number;
}

async function getStatsPath(
  value: string | true,
  sd: ShardDir,
): Promise<{ statsPath: string; npyName: string | null }> {
  if (value === true) return { statsPath: path.join(sd.dir, STATS_FILE), npyName: null };
  if (value.endsWith('.npy'))
    return { statsPath: path.join(path.dirname(value), STATS_FILE), npyName: path.basename(value) };
  const isDir = await fs.stat(value).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return { statsPath: isDir ? path.join(value, STATS_FILE) : value, npyName: null };
}

export async function loadNormalization(
  config: Readonly<ReaderConfig>,
  sd: ShardDir,
  mode: Mode,
): Promise<Normalization> {
  const scale: Normalization = { mean_D: null, scalar: 1 };
  if (config.scaleMean === false && config.scaleNorm === false) return scale;
  const digest = await getShardDirDigest(sd);
  const population = mode.patches === 'cls' ? 'cls' : 'patches';
  const D = sd.dVit;
  if (config.scaleMean !== false) {
    const { statsPath, npyName } = await getStatsPath(config.scaleMean, sd);
    if (npyName && npyName !== MEAN_FILES[population]) {
      throw new Error(
        `reader: scaleMean ${config.scaleMean} holds the wrong population for patches '${mode.patches}'; pass ${MEAN_FILES[population]}`,
      );
    }
    const doc = await readStatsFile(statsPath, digest);
    const mean_LD = await readMeanFile(doc, path.dirname(statsPath), population);
    const slots = mode.layer === 'int' ? [mode.layerSlot] : Array.from({ length: sd.nLayers }, (_, l) => l);
    const mean_D = new Float32Array(D);
    for (let d = 0; d < D; d++) {
      let sum = 0;
      for (const l of slots) sum += mean_LD[l * D + d];
      mean_D[d] = sum / slots.length;
    }
    scale.mean_D = mean_D;
  }
  if (config.scaleNorm !== false) {
    if (mode.layer !== 'int' || mode.patches === 'meanpool') {
      throw new Error(
        `reader: scaleNorm is defined for patches 'cls' or 'patches' with one integer layer, not (${mode.patches}, ${mode.layer}); pass scaleNorm false`,
      );
    }
    const { statsPath } = await getStatsPath(config.scaleNorm, sd);
    const doc = await readStatsFile(statsPath, digest);
    const entry = doc.perLayer[mode.layerSlot][population];
    if (!entry || typeof entry.normScalar !== 'number' || !(entry.normScalar > 0))
      throw new Error(
        `reader: ${statsPath} has no positive ${population} scalar for layer ${doc.layers[mode.layerSlot]}`,
      );
    scale.scalar = entry.normScalar;
  }
  return scale;
}
