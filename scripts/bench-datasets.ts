/**
 * Dataset reader benchmark (not a test): for each dataset kind, setup time
 * (cold: index built; warm: cached index reused), images/s reading and
 * decoding to RGB with `--workers` in flight (as extract's loader does) over
 * the first `--n` images, and the process's peak RSS; for imagenet also a
 * scan of every row of the split (bytes read, not decoded). Each kind runs in its own child process so peaks do
 * not mix. Data comes from scripts/make-bench-data.py (in /tmp, never
 * committed): `imagenet` is a multi-GB Hugging Face-style parquet split read
 * end to end (row groups of 100 rows), `imagenet-big` the same with ~1 GB
 * row groups (read in blocks through the offset index), `listing` an
 * ImageFolder of 1M empty files (setup only).
 *
 *   python scripts/make-bench-data.py --out /tmp/saev-bench --parquet-gb 4
 *   python scripts/make-bench-data.py --out /tmp/saev-bench --parquet-gb 4 --n-imgs 0 --listing-files 0 \
 *     --row-group-rows 25000 --parquet-dir imagenet-big
 *   npm run build && node dist/scripts/bench-datasets.js --root /tmp/saev-bench
 */
import { spawnSync } from 'node:child_process';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DatasetConfig, setupDataset } from '../src/data/make-dataset.js';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: '/tmp/saev-bench' },
    kind: { type: 'string' },
    n: { type: 'string', default: '3000' },
    workers: { type: 'string', default: '4' },
  },
});

const KINDS = ['image-folder', 'ade20k', 'imagenet', 'imagenet-big', 'listing'] as const;

interface KindResult {
  kind: string;
  nImgs: number;
  setupColdS: number;
  setupWarmS: number;
  nRead: number;
  imgsPerS: number | null;
  mpixPerS: number | null;
  peakRssMB: number;
  dataGB: number | null;
  /** imagenet: every row of every row group read (image bytes + label, not decoded). */
  scanS: number | null;
}

function configFor(kind: string, root: string): DatasetConfig {
  if (kind.startsWith('imagenet')) return { data: 'imagenet', dataRoot: path.join(root, kind), dataNImgs: 1 };
  if (kind === 'ade20k') return { data: 'ade20k', dataRoot: path.join(root, 'ade20k'), dataNImgs: 1 };
  return { data: 'image-folder', dataRoot: path.join(root, kind), dataNImgs: 1 };
}

async function runKind(kind: string): Promise<KindResult> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'saev-bench-cache-'));
  process.env.SAEV_CACHE = cache;
  const hooks = {
    log: (line: string) => process.stderr.write(line + '\n'),
    warn: (line: string) => process.stderr.write(line + '\n'),
  };
  const config = configFor(kind, values.root!);
  let t = performance.now();
  await setupDataset(config, hooks);
  const setupColdS = (performance.now() - t) / 1000;
  t = performance.now();
  const { dataset, report } = await setupDataset(config, hooks);
  const setupWarmS = (performance.now() - t) / 1000;
  let nRead = 0;
  let imgsPerS: number | null = null;
  let mpixPerS: number | null = null;
  if (kind !== 'listing') {
    const n = Math.min(Number(values.n), dataset.nImgs);
    let next = 0;
    let pixels = 0;
    t = performance.now();
    let lastLog = t;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const image = await dataset.getImage(i);
        if (dataset.getSegmentation) await dataset.getSegmentation(i);
        pixels += image.width * image.height;
        nRead++;
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          process.stderr.write(
            `bench: ${kind} ${nRead}/${n} images, ${(nRead / ((lastLog - t) / 1000)).toFixed(1)} images/s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Number(values.workers) }, worker));
    const seconds = (performance.now() - t) / 1000;
    imgsPerS = nRead / seconds;
    mpixPerS = pixels / 1e6 / seconds;
  }
  let scanS: number | null = null;
  let dataGB: number | null = null;
  if (kind.startsWith('imagenet')) {
    // the whole split through the row-group reader (getLabel reads the row's group, image bytes included)
    dataGB = await sizeOf(path.join(values.root!, kind, 'data'));
    t = performance.now();
    for (let i = 0; i < dataset.nImgs; i++) {
      await dataset.getLabel!(i);
      if (i % 20_000 === 0)
        process.stderr.write(
          `bench: scan ${i}/${dataset.nImgs} rows, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`,
        );
    }
    scanS = (performance.now() - t) / 1000;
  }
  rmSync(cache, { recursive: true, force: true });
  return {
    kind,
    nImgs: report.nImgs,
    setupColdS,
    setupWarmS,
    nRead,
    imgsPerS,
    mpixPerS,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    dataGB,
    scanS,
  };
}

async function sizeOf(dir: string): Promise<number> {
  let bytes = 0;
  for (const name of await fs.readdir(dir)) bytes += (await fs.stat(path.join(dir, name))).size;
  return bytes / 1e9;
}

if (values.kind !== undefined) {
  process.stdout.write(JSON.stringify(await runKind(values.kind)) + '\n');
} else {
  const self = fileURLToPath(import.meta.url);
  const results: KindResult[] = [];
  for (const kind of KINDS) {
    const args = [self, '--root', values.root!, '--kind', kind, '--n', values.n!, '--workers', values.workers!];
    const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) {
      process.stderr.write(`bench: ${kind} failed (exit ${child.status}); skipped\n`);
      continue;
    }
    results.push(JSON.parse(child.stdout.trim().split('\n').pop()!));
  }
  const f = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
  console.log(
    'kind          images     setup cold s  setup warm s  read    images/s  Mpix/s  peak RSS MB  data GB  full scan s',
  );
  for (const r of results) {
    console.log(
      `${r.kind.padEnd(13)} ${String(r.nImgs).padStart(9)}  ${f(r.setupColdS, 2).padStart(12)}  ${f(r.setupWarmS, 2).padStart(12)}  ${String(r.nRead).padStart(6)}  ${f(r.imgsPerS).padStart(8)}  ${f(r.mpixPerS).padStart(6)}  ${f(r.peakRssMB, 0).padStart(11)}  ${f(r.dataGB, 2).padStart(7)}  ${f(r.scanS, 1).padStart(11)}`,
    );
  }
  console.log(JSON.stringify({ workers: Number(values.workers), cpus: os.cpus().length, results }));
}
