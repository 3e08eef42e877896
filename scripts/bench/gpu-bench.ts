/**
 * `npm run bench -- --backend webgpu`: the GPU benchmark, in one run.
 *
 *  - model-only images/s, CLIP ViT-B/16 and DINOv2 ViT-B/14 (random weights, all blocks run, the last one
 *    read back to the host), at each `--gpu-batches` size; PyTorch on CUDA beside it in strict float32 and
 *    with TF32 (saev's setting), the same graph (timm's models, block hooks, output copied to the host);
 *  - end-to-end `extract` from a folder of JPEGs to shards, one layer and all layers, against PyTorch's
 *    DataLoader recipe, and the disk's own write rate (`dd`) for the all-layers bytes;
 *  - ratios within alternating pairs (ours first in even pairs), median and spread.
 *
 * Each measurement is its own process. PyTorch needs `SAEV_BENCH_PYTHON` (default python3) with torch,
 * torchvision and timm, and a CUDA GPU.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractOurs, extractTorch, runJsonLines, TORCH_SCRIPT } from './child-runs.js';
import { makeJpegFolder } from './jpeg-folder.js';
import { median } from './median.js';
import { runAlternatePairs } from './pairs.js';

export interface GpuBenchOptions {
  backend: string;
  pairs: number;
  batches: number[];
  /** Images in the JPEG folder of the one-layer extraction; the all-layers one uses a quarter. */
  nImgs: number;
  python: string;
  log: (line: string) => void;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODELS = [
  {
    label: 'CLIP B/16',
    family: 'clip',
    ours: 'ViT-B-16',
    torch: 'timm:vit_base_patch16_clip_224',
    depth: 12,
    tokens: 197,
    width: 768,
  },
  {
    label: 'DINOv2 B/14',
    family: 'dinov2',
    ours: 'dinov2_vitb14',
    torch: 'timm:vit_base_patch14_dinov2',
    depth: 12,
    tokens: 257,
    width: 768,
  },
];
/** End-to-end extraction runs the first (CLIP B/16). */
const EXTRACT_MODEL = MODELS[0];

const rate = (r: Record<string, unknown>) => median(r.imgsPerS as number[]);

export interface GpuRow {
  what: string;
  ours: number[];
  strict: number[];
  tf32: number[];
}

function summarise(xs: number[]): string {
  if (xs.length === 0) return '-';
  return `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)})`;
}

function ratios(a: number[], b: number[]): string {
  if (!a.length || !b.length) return '-';
  const r = a.map((x, i) => x / b[i]);
  return `${median(r).toFixed(2)} (${Math.min(...r).toFixed(2)}..${Math.max(...r).toFixed(2)})`;
}

async function benchForward(options: GpuBenchOptions): Promise<GpuRow[]> {
  const rows: GpuRow[] = [];
  for (const model of MODELS) {
    const perBatch = new Map(
      options.batches.map((b) => [
        b,
        { what: `model-only ${model.label} b${b}`, ours: [] as number[], strict: [] as number[], tf32: [] as number[] },
      ]),
    );
    const ours = () =>
      runJsonLines(process.execPath, [
        path.join(HERE, 'forward.js'),
        '--backend',
        options.backend,
        '--family',
        model.family,
        '--arch',
        model.ours,
        '--batch',
        options.batches.join(','),
        '--layers=-1',
        '--reps',
        '3',
      ]);
    const torch = () =>
      runJsonLines(options.python, [
        TORCH_SCRIPT,
        'forward',
        '--arch',
        model.torch,
        '--batches',
        options.batches.join(','),
        '--tf32-modes',
        'off,on',
        '--layers=-1',
        '--reps',
        '3',
        '--device',
        'cuda',
      ]);
    for (const [oursLines, torchLines] of await runAlternatePairs(options.pairs, ours, torch)) {
      for (const line of oursLines) perBatch.get(line.batch as number)!.ours.push(rate(line));
      for (const line of torchLines)
        perBatch.get(line.batch as number)![line.tf32 ? 'tf32' : 'strict'].push(rate(line));
      options.log(
        `forward ${model.label}: ${oursLines.map((l) => `b${l.batch} ${rate(l).toFixed(0)}`).join(', ')} images/s; pytorch ${torchLines.map((l) => `b${l.batch}${l.tf32 ? ' tf32' : ''} ${rate(l).toFixed(0)}`).join(', ')}`,
      );
    }
    rows.push(...perBatch.values());
  }
  return rows;
}

/** `dd` writing `bytes` of random data with a final fsync, MB/s. */
function measureDd(bytes: number): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-gpu-bench-dd-'));
  try {
    const source = path.join(dir, 'source');
    spawnSync('dd', ['if=/dev/urandom', `of=${source}`, 'bs=64M', 'count=4', 'status=none']);
    const count = Math.ceil(bytes / (256 * 1024 * 1024));
    const start = performance.now();
    for (let i = 0; i < count; i++)
      spawnSync('dd', [`if=${source}`, `of=${path.join(dir, `out${i}`)}`, 'bs=64M', 'conv=fsync', 'status=none']);
    const seconds = (performance.now() - start) / 1000;
    return (count * statSync(source).size) / seconds / 1e6;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchExtract(
  options: GpuBenchOptions,
): Promise<{ rows: GpuRow[]; disk: { allLayersMBs: number[]; ddMBs: number } }> {
  const rows: GpuRow[] = [];
  const { depth, tokens, width } = EXTRACT_MODEL;
  const allLayers = Array.from({ length: depth }, (_, i) => i).join(',');
  const bytesPerImgAll = depth * tokens * width * 4;
  const disk = { allLayersMBs: [] as number[], ddMBs: 0 };
  // Every core decodes on our side (worker threads and libuv's pool); PyTorch gets its DataLoader workers, with TF32.
  const cores = String(os.availableParallelism());
  const oursArgs = ['--n-workers', cores];
  const env = { UV_THREADPOOL_SIZE: cores };
  const torchWorkers = String(Math.min(16, os.availableParallelism()));
  const torchArgs = ['--device', 'cuda', '--tf32', '--n-workers', torchWorkers, '--threads', cores];
  for (const [label, layers, nImgs] of [
    ['1 layer', '-2', options.nImgs],
    [`all ${depth} layers`, allLayers, Math.ceil(options.nImgs / 4)],
  ] as const) {
    const root = makeJpegFolder(nImgs);
    const row: GpuRow = { what: `extract ${label}, ${nImgs} JPEGs`, ours: [], strict: [], tf32: [] };
    const run = { root, layers, batch: 256 };
    try {
      for (const [ours, torch] of await runAlternatePairs(
        options.pairs,
        () => extractOurs({ ...run, backend: options.backend, arch: EXTRACT_MODEL.ours, extraArgs: oursArgs, env }),
        () => extractTorch({ ...run, python: options.python, arch: EXTRACT_MODEL.torch, extraArgs: torchArgs }),
      )) {
        row.ours.push(ours);
        row.tf32.push(torch);
        options.log(`${row.what}: ours ${ours.toFixed(0)}, pytorch (tf32) ${torch.toFixed(0)} images/s`);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    rows.push(row);
    if (layers === allLayers) {
      disk.allLayersMBs = row.ours.map((r) => (r * bytesPerImgAll) / 1e6);
      disk.ddMBs = measureDd(nImgs * bytesPerImgAll);
      options.log(`dd writes ${disk.ddMBs.toFixed(0)} MB/s of random data with fsync`);
    }
  }
  return { rows, disk };
}

export async function runGpuBench(
  options: GpuBenchOptions,
  parts: Set<string>,
): Promise<{ rows: GpuRow[]; table: string[] }> {
  const rows: GpuRow[] = [];
  if (parts.has('forward')) rows.push(...(await benchForward(options)));
  const extract = parts.has('extract') ? await benchExtract(options) : null;
  if (extract) rows.push(...extract.rows);
  const table = [
    '| measurement | ours images/s | PyTorch fp32 | PyTorch TF32 | ours / fp32 | ours / TF32 |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.what} | ${summarise(r.ours)} | ${summarise(r.strict)} | ${summarise(r.tf32)} | ${ratios(r.ours, r.strict)} | ${ratios(r.ours, r.tf32)} |`,
    ),
  ];
  if (extract?.disk.ddMBs) {
    const { allLayersMBs, ddMBs } = extract.disk;
    table.push(
      '',
      `all layers: ours writes ${summarise(allLayersMBs)} MB/s of shards; dd ${ddMBs.toFixed(0)} MB/s (ours / dd ${(median(allLayersMBs) / ddMBs).toFixed(2)})`,
    );
  }
  table.push(`(median (min..max) over ${options.pairs} alternating pairs)`);
  return { rows, table };
}
