/**
 * Shard-writing bandwidth against `dd` on the same disk. The writer is
 * extraction's: one `ShardFile` per shard, written in 64-image batches and
 * committed (padded, fsynced, renamed). Both write the same
 * 1 GB of random bytes with a final fsync: the writer from memory, `dd` from
 * a copy in /dev/shm (RAM). Random, because this VM's disk stores zeros far
 * faster than data (`dd if=/dev/zero` reached 1.3 GB/s where the same dd of
 * random bytes reached 0.34-1.0 GB/s), and activations are not zeros.
 * The two alternate (`runAlternatePairs`); the disk's speed drifts by 3x
 * within minutes, so the ratio is taken within each pair.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getImgsPerEachShard, getValuesPerImg, ShardGeometry } from '../../src/shards/layout.js';
import { ShardFile } from '../../src/shards/shard-file.js';
import { median } from './median.js';
import { runAlternatePairs } from './pairs.js';

export interface WriterResult {
  mb: number;
  reps: number;
  writerMBs: number;
  ddMBs: number;
  ratio: { median: number; min: number; max: number };
  /** Every run, in order (pair i is writerRates[i] with ddRates[i]). */
  writerRates: number[];
  ddRates: number[];
}

export async function measureWriter(parentDir: string, mb = 1024, reps = 9): Promise<WriterResult> {
  // One ViT-B/16 layer: 197 x 768 float32 = 605 KB per image, written in 64-image batches.
  const geometry: ShardGeometry = {
    nLayers: 1,
    nPatchesPerImg: 196,
    clsToken: true,
    dVit: 768,
    nPatchesPerShard: 2_400_000,
    bytesPerValue: 4,
  };
  const perImg = getValuesPerImg(geometry);
  const nImgs = Math.floor((mb * 1024 * 1024) / (perImg * 4));
  const acts = new Float32Array(nImgs * perImg);
  randomFillSync(acts);
  const nBytes = acts.byteLength;
  // dd's source in RAM when /dev/shm has room (containers often give it 64 MB), else beside the output.
  let ddSource = path.join('/dev/shm', `saev-bench-dd-source-${process.pid}`);
  try {
    writeFileSync(ddSource, acts);
  } catch {
    rmSync(ddSource, { force: true });
    ddSource = path.join(parentDir, `saev-bench-dd-source-${process.pid}`);
    writeFileSync(ddSource, acts);
  }

  const runWriter = async (): Promise<number> => {
    const dir = mkdtempSync(path.join(parentDir, 'saev-bench-writer-'));
    const start = performance.now();
    let first = 0;
    for (const [shard, n] of getImgsPerEachShard(nImgs, geometry).entries()) {
      const end = first + n;
      const file = await ShardFile.open(dir, geometry, shard);
      for (let i = first; i < end; i += 64) await file.write(acts.subarray(i * perImg, Math.min(i + 64, end) * perImg));
      await file.commit();
      first = end;
    }
    const rate = nBytes / 1e6 / ((performance.now() - start) / 1000);
    rmSync(dir, { recursive: true, force: true });
    return rate;
  };
  const runDd = (): number => {
    const ddFile = path.join(parentDir, `saev-bench-dd-${process.pid}`);
    const start = performance.now();
    execFileSync('dd', [`if=${ddSource}`, `of=${ddFile}`, 'bs=1M', 'conv=fsync'], { stdio: 'ignore' });
    const rate = nBytes / 1e6 / ((performance.now() - start) / 1000);
    rmSync(ddFile, { force: true });
    return rate;
  };

  let pairs: Array<[number, number]>;
  try {
    pairs = await runAlternatePairs(reps, runWriter, runDd);
  } finally {
    rmSync(ddSource, { force: true });
  }
  const writerRates = pairs.map(([writer]) => writer);
  const ddRates = pairs.map(([, dd]) => dd);
  const ratios = writerRates.map((w, i) => w / ddRates[i]);
  return {
    mb,
    reps,
    writerMBs: median(writerRates),
    ddMBs: median(ddRates),
    ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
    writerRates,
    ddRates,
  };
}
