/**
 * Shard-writer bandwidth against `dd` on the same disk: both write the same
 * number of bytes with a final fsync, alternately, `reps` times.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ShardGeometry } from '../../src/format/layout.js';
import { ShardWriter } from '../../src/format/shard-writer.js';
import { median } from './median.js';

export interface WriterResult { mb: number; reps: number; writerMBs: number; ddMBs: number }

export async function measureWriter(parentDir: string, mb = 1024, reps = 3): Promise<WriterResult> {
  // One ViT-B/16 layer: 197 x 768 float32 = 605 KB per image; 64-image batches.
  const geometry: ShardGeometry = { nLayers: 1, nPatchesPerImg: 196, clsToken: true, dVit: 768, nPatchesPerShard: 2_400_000, bytesPerValue: 4 };
  const perImg = 197 * 768;
  const nImgs = Math.floor((mb * 1024 * 1024) / (perImg * 4));
  const batch = new Float32Array(64 * perImg).map((_, i) => (i % 1000) / 1000);
  const writerRates: number[] = [];
  const ddRates: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const dir = mkdtempSync(path.join(parentDir, 'saev-bench-writer-'));
    const writer = new ShardWriter(dir, geometry, nImgs);
    const start = performance.now();
    for (let i = 0; i < nImgs; i += 64) await writer.write(i, batch.subarray(0, Math.min(64, nImgs - i) * perImg));
    await writer.finish();
    writerRates.push((nImgs * perImg * 4) / 1e6 / ((performance.now() - start) / 1000));
    rmSync(dir, { recursive: true, force: true });

    const ddFile = path.join(parentDir, `saev-bench-dd-${process.pid}`);
    const ddStart = performance.now();
    execFileSync('dd', ['if=/dev/zero', `of=${ddFile}`, 'bs=1M', `count=${Math.round((nImgs * perImg * 4) / 1048576)}`, 'conv=fsync'], { stdio: 'ignore' });
    ddRates.push((nImgs * perImg * 4) / 1e6 / ((performance.now() - ddStart) / 1000));
    rmSync(ddFile, { force: true });
  }
  return { mb, reps, writerMBs: median(writerRates), ddMBs: median(ddRates) };
}
