/**
 * `npm run bench`: throughput of saev-tfjs against saev's PyTorch recipe on
 * this machine, in one invocation. Every measurement runs in its own child
 * process; ours and PyTorch's alternate, and each ratio (ours / PyTorch) is a
 * median over those pairs with its min..max spread. Results: a table on
 * stdout and JSON in `--out` (default bench-results.json).
 *
 *  - model-only forward images/s per backend and batch size (random weights);
 *  - end-to-end extraction images/s on a folder of real JPEGs (the demo photos
 *    repeated), one recorded layer and all layers;
 *  - shard-writing MB/s (extraction's ShardFile) against `dd` with fsync on the same disk.
 *
 * PyTorch parts need `SAEV_BENCH_PYTHON` (default python3) with torch,
 * torchvision and open_clip_torch; they are skipped with a note otherwise.
 *
 * `--backend webgpu` runs the GPU benchmark instead (scripts/bench/gpu-bench.ts):
 * batches `--gpu-batches`, PyTorch on CUDA in strict float32 and TF32.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { extractOurs, extractTorch, runJsonLines, TORCH_SCRIPT } from './child-runs.js';
import { runGpuBench } from './gpu-bench.js';
import { makeJpegFolder } from './jpeg-folder.js';
import { median } from './median.js';
import { runAlternatePairs } from './pairs.js';
import { measureWriter } from './writer-bench.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' },
    batches: { type: 'string', default: '1,8,32' },
    'wasm-batches': { type: 'string', default: '1,8' },
    'n-imgs': { type: 'string', default: '64' },
    out: { type: 'string', default: 'bench-results.json' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'forward,extract,writer' },
    backend: { type: 'string', default: 'native' },
    'gpu-batches': { type: 'string', default: '32,128,256' },
    'gpu-n-imgs': { type: 'string', default: '2560' },
  },
});
const PAIRS = values.quick ? 1 : Number(values.pairs);
const PYTHON = process.env.SAEV_BENCH_PYTHON ?? 'python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARCH = { ours: 'ViT-B-16', torch: 'ViT-B-16-quickgelu' };
/** Model-only rows: CLIP ViT-B/16 and DINOv2 ViT-B/14 (224 px, 257 tokens), the same architecture on both sides. */
const FORWARD_MODELS = [
  { label: 'CLIP B/16', family: 'clip', ours: ARCH.ours, torch: ARCH.torch },
  { label: 'DINOv2 B/14', family: 'dinov2', ours: 'dinov2_vitb14', torch: 'timm:vit_base_patch14_dinov2' },
];

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch, torchvision, open_clip'], { encoding: 'utf8' }).status === 0;
}

function oursForward(backend: string, family: string, arch: string, batch: number, layers = 'all'): number {
  const [r] = runJsonLines(
    process.execPath,
    [
      path.join(HERE, 'forward.js'),
      '--backend',
      backend,
      '--family',
      family,
      '--arch',
      arch,
      '--batch',
      String(batch),
      `--layers=${layers}`,
      '--reps',
      '2',
    ],
    {
      SAEV_BACKEND: backend,
    },
  );
  return median(r.imgsPerS as number[]);
}

function torchForward(arch: string, batch: number): number {
  const [r] = runJsonLines(PYTHON, [TORCH_SCRIPT, 'forward', '--arch', arch, '--batch', String(batch), '--reps', '2']);
  return median(r.imgsPerS as number[]);
}

interface Row {
  what: string;
  ours: number[];
  torch: number[];
  ratios: number[];
}

/** `PAIRS` runs of ours, each paired with one of PyTorch's when there is a PyTorch side; either may run first. */
async function pairUp(what: string, ours: () => number, torch: (() => number) | null): Promise<Row> {
  const row: Row = { what, ours: [], torch: [], ratios: [] };
  const pairs = await runAlternatePairs(PAIRS, ours, torch ?? (() => Number.NaN));
  for (const [oursImgsPerS, torchImgsPerS] of pairs) {
    row.ours.push(oursImgsPerS);
    if (torch) {
      row.torch.push(torchImgsPerS);
      row.ratios.push(oursImgsPerS / torchImgsPerS);
    }
    log(`${what}: ours ${oursImgsPerS.toFixed(2)}${torch ? `, pytorch ${torchImgsPerS.toFixed(2)}` : ''} images/s`);
  }
  return row;
}

function fmt(xs: number[]): string {
  if (xs.length === 0) return '-';
  return `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)})`;
}

const parts = new Set(values.only!.split(','));
if (values.backend === 'webgpu') {
  const { rows, table } = await runGpuBench(
    {
      backend: 'webgpu',
      pairs: PAIRS,
      batches: values['gpu-batches']!.split(',').map(Number),
      nImgs: Number(values['gpu-n-imgs']),
      python: PYTHON,
      log,
    },
    parts,
  );
  writeFileSync(
    values.out!,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        pairs: PAIRS,
        rows,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(table.join('\n'));
  process.exit(0);
}
const withTorch = torchAvailable();
if (!withTorch)
  log(`PyTorch side skipped: ${PYTHON} cannot import torch, torchvision and open_clip (set SAEV_BENCH_PYTHON)`);
const rows: Row[] = [];
for (const model of parts.has('forward') ? FORWARD_MODELS : []) {
  for (const batch of values.batches!.split(',').map(Number)) {
    const row = `forward ${model.label} native b${batch}`;
    rows.push(
      await pairUp(
        row,
        () => oursForward('native', model.family, model.ours, batch),
        withTorch ? () => torchForward(model.torch, batch) : null,
      ),
    );
  }
}
// wasm is ~10x slower: CLIP only.
for (const batch of parts.has('forward') ? values['wasm-batches']!.split(',').map(Number) : []) {
  const clip = FORWARD_MODELS[0];
  rows.push(
    await pairUp(
      `forward ${clip.label} wasm b${batch}`,
      () => oursForward('wasm', clip.family, clip.ours, batch),
      withTorch ? () => torchForward(clip.torch, batch) : null,
    ),
  );
}
/** End-to-end over model-only for the same recorded layers and batch (target: >= 0.9). */
const endToEnd: Array<{ what: string; extract: number; modelOnly: number; ratio: number }> = [];
if (parts.has('extract')) {
  const root = makeJpegFolder(Number(values['n-imgs']));
  for (const layers of ['-2', Array.from({ length: 12 }, (_, i) => i).join(',')]) {
    const label = layers === '-2' ? '1 layer' : 'all layers';
    const extract = await pairUp(
      `extract native ${label} b8`,
      () => extractOurs({ backend: 'native', arch: ARCH.ours, root, layers, batch: 8 }),
      withTorch ? () => extractTorch({ python: PYTHON, arch: ARCH.torch, root, layers, batch: 8 }) : null,
    );
    const modelOnly = await pairUp(
      `model-only native ${label} b8`,
      () => oursForward('native', 'clip', ARCH.ours, 8, layers),
      null,
    );
    rows.push(extract, modelOnly);
    endToEnd.push({
      what: label,
      extract: median(extract.ours),
      modelOnly: median(modelOnly.ours),
      ratio: median(extract.ours) / median(modelOnly.ours),
    });
  }
  rmSync(root, { recursive: true, force: true });
}
const writer = parts.has('writer') ? await measureWriter(os.tmpdir()) : null;

const machine = {
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model,
  node: process.version,
  torch: withTorch
    ? execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim()
    : null,
};
writeFileSync(
  values.out!,
  JSON.stringify({ date: new Date().toISOString(), machine, pairs: PAIRS, rows, endToEnd, writer }, null, 2) + '\n',
);
console.log('| measurement | ours images/s | PyTorch images/s | ours / PyTorch |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(`| ${row.what} | ${fmt(row.ours)} | ${fmt(row.torch)} | ${fmt(row.ratios)} |`);
for (const e of endToEnd)
  console.log(
    `\nend-to-end / model-only, ${e.what}, b8: ${e.extract.toFixed(2)} / ${e.modelOnly.toFixed(2)} = ${e.ratio.toFixed(2)} (medians)`,
  );
if (writer) {
  const { median: mid, min, max } = writer.ratio;
  console.log(
    `\nwriter ${writer.writerMBs.toFixed(0)} MB/s vs dd ${writer.ddMBs.toFixed(0)} MB/s, ${writer.mb} MB with fsync, medians of ${writer.reps} pairs; writer/dd within a pair ${mid.toFixed(2)} (${min.toFixed(2)}..${max.toFixed(2)})`,
  );
}
console.log(`(median (min..max) over ${PAIRS} alternating pairs; JSON in ${values.out})`);
