/**
 * The extraction half of the GPU checks: the demo photographs through a real-size CLIP ViT-B/16 (seeded
 * random weights) into shards, two layers, several shards. The CPU side stores a sample of the shard
 * bytes; the GPU side extracts again, runs `verify`, and compares the same sample.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getFamily } from '../../models/registry.js';
import type { BackendRequest } from '../../src/backend.js';
import { validateExtractConfig } from '../../src/extract/config.js';
import { runExtraction } from '../../src/extract/run-extraction.js';
import { verifyShardDir } from '../../src/shards/verify-shards.js';
import { DEMO_IMAGES_DIR } from '../../src/version.js';
import { type Check, getRelRms, MODEL_TOLERANCE, pick, samplePositions } from './sampling.js';

const SAMPLE = 16384;

export interface ExtractSample {
  shardDir: string;
  /**
   * metadata.json without `data`, which names the photos' folder: the same run wherever the tool is unpacked
   * (the folder, and so the directory's hash, differs between the machine that made the references and the GPU's).
   */
  run: Record<string, unknown>;
  nShards: number;
  /** Sampled values of each shard's real rows (float32 shards). */
  shards: Array<{ name: string; size: number; values: number[] }>;
  verified: boolean;
}

export async function extractDemo(backend: BackendRequest): Promise<ExtractSample> {
  const dumpTo = mkdtempSync(path.join(os.tmpdir(), 'saev-gpu-check-'));
  try {
    const config = validateExtractConfig({
      vitFamily: 'clip',
      vitCkpt: 'random:ViT-B-16',
      vitLayers: [-2, -1],
      nWorkers: 4,
      nPatchesPerShard: 4 * 2 * 197, // four images per shard: three shards, the last one partial
      clsToken: undefined,
      dVit: undefined,
      nPatchesPerImg: undefined,
      dumpTo,
      seed: 42,
      data: 'image-folder',
      dataRoot: DEMO_IMAGES_DIR,
      dataNImgs: 1,
      backend,
    });
    const result = await runExtraction(config, getFamily('clip'), {
      log: () => undefined,
      progressStream: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    const report = await verifyShardDir(result.shardDir);
    const shards = result.shards.map((shard, i) => {
      const rows = new Float32Array(readFileSync(path.join(result.shardDir, shard.name)).buffer).subarray(
        0,
        shard.n_examples * 2 * 197 * 768,
      );
      return {
        name: shard.name,
        size: rows.length,
        values: Array.from(pick(rows, samplePositions(rows.length, SAMPLE, i + 100))),
      };
    });
    const { data: _data, ...run } = JSON.parse(readFileSync(path.join(result.shardDir, 'metadata.json'), 'utf8'));
    return { shardDir: path.basename(result.shardDir), run, nShards: result.nShards, shards, verified: report.ok };
  } finally {
    rmSync(dumpTo, { recursive: true, force: true });
  }
}

/** The same run (metadata but the photos' folder), shard count and a passing verify; then each shard's sample. */
export function compareExtractions(got: ExtractSample, want: ExtractSample): Check[] {
  const [gotRun, wantRun] = [JSON.stringify(got.run), JSON.stringify(want.run)];
  if (gotRun !== wantRun || got.nShards !== want.nShards) {
    throw new Error(
      `gpu-check: extraction wrote ${gotRun} (${got.nShards} shards), the reference ${wantRun} (${want.nShards})`,
    );
  }
  if (!got.verified) throw new Error('gpu-check: verify found problems in the shards written on the GPU');
  return want.shards.map((shard, i) => ({
    what: `extract ${shard.name} (verify ok) vs reference`,
    relRms: getRelRms(got.shards[i].values, shard.values),
    tolerance: MODEL_TOLERANCE,
  }));
}
