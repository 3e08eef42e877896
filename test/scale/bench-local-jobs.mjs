#!/usr/bin/env node
// Benchmark (not a test): throughput of 1, 2 and 4 local jobs on one synthetic dataset, and bytes
// written per image for each storage dtype. Runs the built CLI; prints one JSON document on stdout.
//   node test/scale/bench-local-jobs.mjs [--n-imgs 64] [--ckpt random:ViT-B-16]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/run.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const nImgs = Number(arg('--n-imgs', '64'));
const ckpt = arg('--ckpt', 'demo');
// Shards of 4 images, so 4 jobs each get whole shards.
const tokensPerImg = ckpt === 'demo' ? 50 : 197;
const base = [
  'activations',
  'extract',
  '--vit-ckpt',
  ckpt,
  '--data',
  'fake',
  '--data-n-imgs',
  String(nImgs),
  '--vit-layers=-1',
  '--n-patches-per-shard',
  String(4 * tokensPerImg),
  '--vit-batch-size',
  '4',
];

function run(extra) {
  const dumpTo = mkdtempSync(path.join(os.tmpdir(), 'saev-bench-'));
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...base, '--dump-to', dumpTo, ...extra], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`bench: ${extra.join(' ')} failed: ${r.stderr.slice(-500)}`);
  const dir = path.join(dumpTo, readdirSync(dumpTo)[0]);
  const bytes = readdirSync(dir)
    .filter((f) => /^acts\d+\.bin$/.test(f))
    .reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
  rmSync(dumpTo, { recursive: true, force: true });
  return { seconds, bytes };
}

const jobs = [];
for (const n of [1, 2, 4]) {
  const { seconds } = run(n === 1 ? [] : ['--n-jobs', String(n), '--local']);
  jobs.push({ nJobs: n, seconds: +seconds.toFixed(2), imgsPerS: +(nImgs / seconds).toFixed(2) });
  process.stderr.write(
    `bench: ${n} jobs: ${nImgs} images in ${seconds.toFixed(1)} s (wall clock, process start included)\n`,
  );
}
const dtypes = [];
for (const dtype of ['float32', 'float16', 'bfloat16']) {
  const { bytes } = run(['--dtype', dtype]);
  dtypes.push({ dtype, bytesPerImg: bytes / nImgs });
}
console.log(
  JSON.stringify(
    { ckpt, nImgs, cores: os.cpus().length, loadavg: os.loadavg().map((x) => +x.toFixed(2)), jobs, dtypes },
    null,
    2,
  ),
);
