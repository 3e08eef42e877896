/**
 * `npm run bench:preprocess`: image preprocessing throughput, ours against
 * Pillow, on the same JPEG files in one run (a benchmark, never a timed test).
 *
 * Data: `--n-imgs` real photographs at 451x300 px, ~38 KB JPEGs (made by
 * Pillow from the demo photos: scripts/bench/pillow_preprocess.py make-data).
 *
 *  (a) ours per core: read the file, sharp decode, Pillow-exact resize +
 *      centre crop + normalise, one image at a time on one thread;
 *  (b) Pillow per core: one Python process doing `Image.open(path)
 *      .convert("RGB")` + torchvision's Resize + CenterCrop + ToTensor +
 *      Normalize (or the same arithmetic without torchvision; the script says
 *      which);
 *  (c) ours on all cores: what extraction does before the model, batches of
 *      an image-folder dataset through `loadBatch` and a `PreprocessPool`, the
 *      next batch loading while one is handed over;
 *  (d) Pillow on all cores: one such process per core at once.
 *
 * (a) and (b) alternate in pairs, as do (c) and (d) (scripts/bench/pairs.ts);
 * each row gives medians and min..max over the pairs, and the median of the
 * per-pair ratios. The CLIP pipeline (Resize(224) bicubic, CenterCrop(224))
 * gets `--pairs` pairs; DINOv2's (Resize(256) bilinear, CenterCrop(224)) and
 * SigLIP's squash (224x224 bicubic) `--other-pairs`. Before timing, both sides
 * preprocess the same files and the values are compared.
 *
 * Needs `SAEV_BENCH_PYTHON` (default python3) with Pillow and numpy. libuv's
 * thread pool (sharp's decodes) is sized to the cores for (c) when
 * UV_THREADPOOL_SIZE is unset: the benchmark reruns itself with it set.
 */
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { clip } from '../../models/clip.js';
import { dinov2 } from '../../models/dinov2.js';
import { siglip } from '../../models/siglip.js';
import { makeDataset } from '../../src/data/make-dataset.js';
import { loadBatch, PixelBatch } from '../../src/extract/load-batch.js';
import { decodeRgb } from '../../src/images/decode.js';
import { PreprocessPool } from '../../src/images/preprocess-pool.js';
import { getInputSize, preprocessInto, PreprocessSpec } from '../../src/images/preprocess.js';
import { PACKAGE_ROOT } from '../../src/version.js';
import { median } from './median.js';
import { runAlternatePairs } from './pairs.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '7' },
    'other-pairs': { type: 'string', default: '3' },
    seconds: { type: 'string', default: '2' },
    'n-imgs': { type: 'string', default: '100' },
    'batch-size': { type: 'string', default: '32' },
    out: { type: 'string', default: 'bench-preprocess.json' },
  },
});
const N_CORES = os.availableParallelism();
if (!process.env.UV_THREADPOOL_SIZE) {
  const env = { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(4, N_CORES)) };
  process.exit(spawnSync(process.execPath, process.argv.slice(1), { env, stdio: 'inherit' }).status ?? 1);
}
const PYTHON = process.env.SAEV_BENCH_PYTHON ?? 'python3';
const SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'bench', 'pillow_preprocess.py');
const SECONDS = Number(values.seconds);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const PIPELINES: Array<{ name: string; spec: PreprocessSpec; pairs: number }> = [
  {
    name: 'CLIP: Resize(224) bicubic + CenterCrop(224)',
    spec: clip.getPreprocess(clip.archs['ViT-B-16']),
    pairs: Number(values.pairs),
  },
  {
    name: 'DINOv2: Resize(256) bilinear + CenterCrop(224)',
    spec: dinov2.getPreprocess(dinov2.archs.dinov2_vitb14_reg),
    pairs: Number(values['other-pairs']),
  },
  {
    name: 'SigLIP: squash to 224x224 bicubic',
    spec: siglip.getPreprocess(siglip.archs['ViT-B-16-SigLIP']),
    pairs: Number(values['other-pairs']),
  },
];

/** The pipeline as the Python script takes it. */
const toPython = (spec: PreprocessSpec) => ({
  resize: spec.resize,
  size: spec.resizeSize,
  filter: spec.filter,
  crop: spec.cropSize,
  mean: spec.mean,
  std: spec.std,
});

/** A Python process answering one JSON line per request. */
class PillowServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: AsyncIterator<string>;

  constructor() {
    this.child = spawn(PYTHON, [SCRIPT, 'serve'], { env: { ...process.env, OMP_NUM_THREADS: '1' } });
    this.child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    this.replies = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async request(message: object): Promise<Record<string, unknown>> {
    this.child.stdin.write(JSON.stringify(message) + '\n');
    const { value, done } = await this.replies.next();
    if (done) throw new Error(`bench: ${PYTHON} ${SCRIPT} serve ended early`);
    return JSON.parse(value) as Record<string, unknown>;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** (a): one image at a time, the decode awaited, so one thread works at any moment. */
async function oursPerCore(files: string[], spec: PreprocessSpec): Promise<number> {
  const side = getInputSize(spec);
  const out = new Float32Array(side * side * 3);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    for (const file of files) {
      preprocessInto(await decodeRgb(readFileSync(file), file), spec, out, 0);
      n++;
    }
  }
  return n / ((performance.now() - start) / 1000);
}

async function pillowPerCore(server: PillowServer, files: string[], spec: PreprocessSpec): Promise<number> {
  const reply = await server.request({ op: 'run', files, pipeline: toPython(spec), seconds: SECONDS });
  return (reply.n as number) / (reply.s as number);
}

/**
 * (c): batches of the dataset as extraction loads them (one batch ahead), over and over for SECONDS; rate and peak RSS.
 */
async function oursAllCores(
  root: string,
  spec: PreprocessSpec,
  batchSize: number,
): Promise<{ rate: number; rssMb: number }> {
  const dataset = await makeDataset({ data: 'image-folder', dataRoot: root, dataNImgs: 1 }); // as extract opens it; dataNImgs counts fake images only
  const nWorkers = Math.max(4, N_CORES);
  const pool = new PreprocessPool(spec, Math.min(nWorkers, N_CORES));
  let rss = process.memoryUsage.rss();
  const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage.rss())), 20);
  try {
    await loadBatch(dataset, 0, Math.min(batchSize, dataset.nImgs), pool, nWorkers); // start-up: threads, wasm compile
    let n = 0;
    let index = 0;
    const load = () => {
      const size = Math.min(batchSize, dataset.nImgs - index);
      const pending = loadBatch(dataset, index, size, pool, nWorkers);
      index = (index + size) % dataset.nImgs;
      return pending;
    };
    const start = performance.now();
    let next: Promise<PixelBatch> = load();
    while (performance.now() - start < SECONDS * 1000) {
      const batch = await next;
      next = load();
      n += batch.size;
    }
    const rate = n / ((performance.now() - start) / 1000);
    await next;
    return { rate, rssMb: rss / 2 ** 20 };
  } finally {
    clearInterval(sampler);
    await pool.close();
  }
}

async function pillowAllCores(servers: PillowServer[], files: string[], spec: PreprocessSpec): Promise<number> {
  const rates = await Promise.all(servers.map((server) => pillowPerCore(server, files, spec)));
  return rates.reduce((a, b) => a + b, 0);
}

/** The same files through both sides: Pillow's float32 values against ours. */
async function checkSameValues(
  server: PillowServer,
  files: string[],
  spec: PreprocessSpec,
  dir: string,
): Promise<string> {
  const dump = path.join(dir, 'pillow.f32');
  const reply = await server.request({ op: 'dump', files, pipeline: toPython(spec), out: dump });
  const theirs = new Float32Array(new Uint8Array(readFileSync(dump)).buffer);
  const side = getInputSize(spec);
  const ours = new Float32Array(files.length * side * side * 3);
  for (const [k, file] of files.entries())
    preprocessInto(await decodeRgb(readFileSync(file), file), spec, ours, k * side * side * 3);
  if (theirs.length !== ours.length) throw new Error(`bench: Pillow gave ${theirs.length} values, ours ${ours.length}`);
  let differing = 0;
  let maxAbs = 0;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] !== theirs[i]) differing++;
    maxAbs = Math.max(maxAbs, Math.abs(ours[i] - theirs[i]));
  }
  return `${files.length} images, ${differing} of ${ours.length} values differ (max |diff| ${maxAbs}); Python side: ${reply.flavour}`;
}

interface Row {
  pipeline: string;
  what: string;
  ours: number[];
  pillow: number[];
  ratios: number[];
  note?: string;
}

const fmt = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)})`;
const fmtRatio = (xs: number[]) =>
  `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)})`;

async function main(): Promise<void> {
  sharp.concurrency(1); // decodes run side by side on libuv's pool; one libvips thread each
  const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-bench-preprocess-'));
  const root = path.join(dir, 'images');
  const made = spawnSync(PYTHON, [SCRIPT, 'make-data', '--out', path.join(root, 'photos'), '--n', values['n-imgs']!], {
    encoding: 'utf8',
  });
  if (made.status !== 0)
    throw new Error(
      `bench: ${PYTHON} ${SCRIPT} make-data failed (needs Pillow and numpy): ${made.stderr.trim().split('\n').pop()}`,
    );
  const files = made.stdout.trim().split('\n');
  const kb = files.reduce((sum, f) => sum + readFileSync(f).length, 0) / files.length / 1000;
  log(
    `${files.length} JPEGs of 451x300 px, mean ${kb.toFixed(1)} KB, in ${root}; ${N_CORES} cores, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE}`,
  );
  process.env.SAEV_CACHE ??= path.join(dir, 'cache');

  const server = new PillowServer();
  const servers = [server, ...Array.from({ length: N_CORES - 1 }, () => new PillowServer())];
  const rows: Row[] = [];
  const checks: string[] = [];
  try {
    for (const { name, spec, pairs } of PIPELINES) {
      const check = await checkSameValues(server, files.slice(0, 10), spec, dir);
      checks.push(`${name}: ${check}`);
      log(`${name}: ${check}`);
      await oursPerCore(files.slice(0, 10), spec); // warm-up: wasm compiled, JIT, page cache
      const perCore = await runAlternatePairs(
        pairs,
        () => oursPerCore(files, spec),
        () => pillowPerCore(server, files, spec),
      );
      rows.push({
        pipeline: name,
        what: 'per core',
        ours: perCore.map((p) => p[0]),
        pillow: perCore.map((p) => p[1]),
        ratios: perCore.map(([a, b]) => a / b),
      });
      log(`${name}, per core: ours ${fmt(rows.at(-1)!.ours)}, Pillow ${fmt(rows.at(-1)!.pillow)} images/s`);
      const rss: number[] = [];
      const allCores = await runAlternatePairs(
        pairs,
        async () => {
          const r = await oursAllCores(root, spec, Number(values['batch-size']));
          rss.push(r.rssMb);
          return r.rate;
        },
        () => pillowAllCores(servers, files, spec),
      );
      rows.push({
        pipeline: name,
        what: `all ${N_CORES} cores`,
        ours: allCores.map((p) => p[0]),
        pillow: allCores.map((p) => p[1]),
        ratios: allCores.map(([a, b]) => a / b),
        note: `peak RSS of ours ${Math.round(Math.max(...rss))} MB`,
      });
      log(`${name}, all cores: ours ${fmt(rows.at(-1)!.ours)}, Pillow ${fmt(rows.at(-1)!.pillow)} images/s`);
    }
  } finally {
    servers.forEach((s) => s.close());
    rmSync(dir, { recursive: true, force: true });
  }

  const lines = [
    `| pipeline | where | ours, images/s | Pillow, images/s | ours / Pillow | pairs |`,
    `|---|---|---|---|---|---|`,
    ...rows.map(
      (r) =>
        `| ${r.pipeline} | ${r.what} | ${fmt(r.ours)} | ${fmt(r.pillow)} | ${fmtRatio(r.ratios)} | ${r.ratios.length}${r.note ? `; ${r.note}` : ''} |`,
    ),
  ];
  process.stdout.write(
    `${lines.join('\n')}\n\nmedian (min..max) over alternating pairs of ${SECONDS} s runs; ${files.length} JPEGs of 451x300 px, ${kb.toFixed(1)} KB on average\n${checks.join('\n')}\n`,
  );
  writeFileSync(
    values.out!,
    JSON.stringify(
      {
        nCores: N_CORES,
        seconds: SECONDS,
        nImgs: files.length,
        meanKb: kb,
        uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE),
        checks,
        rows,
      },
      null,
      2,
    ) + '\n',
  );
  log(`results in ${values.out}`);
}

await main();
