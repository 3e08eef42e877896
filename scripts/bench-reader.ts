/**
 * Reader and stats benchmark (not a test): sequential scan, shuffled iteration and the stats pass against
 * `dd` on the same files, hot and cold page cache. Cold = every shard's cached pages dropped first with
 * `dd iflag=nocache count=0` (posix_fadvise DONTNEED, this file only). Usage, after `npm run build`:
 *
 *   node dist/scripts/bench-reader.js [--imgs 400] [--dir /tmp/saev-reader-bench] [--d 768] [--tokens 196] [--layers 2]
 *
 * Writes a synthetic shard directory (ViT-B/16-sized by default: 2 layers x (196 + CLS) x 768 float32,
 * 100 images = 121 MB per shard), prints one line per measurement and a JSON summary on stdout.
 * Everything goes through the user-facing API: `ActivationsDataset.ordered`/`shuffled` with default
 * options (and `ordered` with `reuseBatches`, the option for training loops), and `runStats` with
 * nJobs 1 (the CLI's `--n-jobs` default) and 2. dd's times are its own reports (no process start-up).
 * Cold ratios are taken against the mean of dd cold runs made at the start and after every cold
 * measurement; hot rows are the median of 3 runs after an unmeasured one, each paired with a hot dd
 * run, and their ratios the median of the 3 pairs' ratios.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatMetadata, Metadata } from '../src/format/metadata.js';
import { ActivationsDataset } from '../src/reader/dataset.js';
import { openShardDir } from '../src/reader/shard-dir.js';
import { makeNormal } from '../src/random.js';
import { runStats } from '../src/stats/run-stats.js';
import { runStatsPass } from '../src/stats/stats-pass.js';
import { median } from './bench/median.js';

function arg(name: string, fallback: number | string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : String(fallback);
}

const nImgs = Number(arg('imgs', 400));
const D = Number(arg('d', 768));
const P = Number(arg('tokens', 196));
const L = Number(arg('layers', 2));
const root = arg('dir', '/tmp/saev-reader-bench');
const S = 100;
const T = P + 1;

function makeShards(): string {
  const dir = path.join(root, `bench-${nImgs}x${L}x${T}x${D}`);
  mkdirSync(dir, { recursive: true });
  const md: Metadata = { vit_family: 'clip', vit_ckpt: 'bench', layers: Array.from({ length: L }, (_, l) => l - L), n_patches_per_img: P, cls_token: true, d_vit: D, seed: 42, n_imgs: nImgs, n_patches_per_shard: S * L * T, data: 'FakeDataset()' };
  writeFileSync(path.join(dir, 'metadata.json'), formatMetadata(md));
  const block = new Float32Array(1 << 18);
  const normal = makeNormal(1);
  for (let i = 0; i < block.length; i++) block[i] = normal() * 2 + (i % D) / D;
  const bytesPerShard = S * L * T * D * 4;
  const records = [];
  for (let s = 0; s < Math.ceil(nImgs / S); s++) {
    const fd = openSync(path.join(dir, `acts${String(s).padStart(6, '0')}.bin`), 'w');
    for (let o = 0; o < bytesPerShard; o += block.byteLength) writeSync(fd, new Uint8Array(block.buffer, 0, Math.min(block.byteLength, bytesPerShard - o)));
    fsyncSync(fd); // written back, so dropping the cache really drops these pages (dirty pages stay cached)
    closeSync(fd);
    records.push({ name: `acts${String(s).padStart(6, '0')}.bin`, n_examples: Math.min(S, nImgs - s * S) });
  }
  writeFileSync(path.join(dir, 'shards.json'), JSON.stringify(records));
  return dir;
}

const files = (dir: string) => Array.from({ length: Math.ceil(nImgs / S) }, (_, s) => path.join(dir, `acts${String(s).padStart(6, '0')}.bin`));

function dropCache(dir: string): void {
  for (const f of files(dir)) execFileSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
}

/** Seconds dd reports for reading every shard (its own clock: no process start-up counted). */
function timeDd(dir: string): number {
  let s = 0;
  for (const f of files(dir)) {
    const { stderr } = spawnSync('dd', [`if=${f}`, 'of=/dev/null', 'bs=8M'], { encoding: 'utf8' });
    const copied = /copied, ([\d.e-]+) s/.exec(stderr);
    if (!copied) throw new Error(`bench: no timing in dd's output: ${stderr}`);
    s += Number(copied[1]);
  }
  return s;
}

const cpuS = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;

async function timeScan(dir: string, layer: number | 'all', reuseBatches = false): Promise<{ s: number; cpu: number; items: number }> {
  const ds = await ActivationsDataset.open(dir, { patches: 'patches', layer });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let items = 0;
  for await (const b of ds.ordered({ batchSize: 4096, reuseBatches })) items += b.n;
  await ds.close();
  return { s: (performance.now() - t0) / 1000, cpu: cpuS(process.cpuUsage(c0)), items };
}

interface Timing {
  s: number;
  cpu: number;
  items: number;
}

async function main(): Promise<void> {
  const dir = makeShards();
  const sd = await openShardDir(dir);
  const mb = (sd.shards.length * sd.bytesPerShard) / 1e6;
  const dataMb = (nImgs * sd.bytesPerImg) / 1e6;
  /**
   * Hot rows: one unmeasured run (page cache, JIT and WebAssembly tiers warm), then 3 pairs of the run
   * and a hot dd back to back (each side first in turn), since this machine's speed drifts within
   * seconds. Returns the median seconds and CPU seconds, and the median over pairs of the run's MB/s
   * (`runMb` per run) over dd's.
   */
  const timeHot = async (runMb: number, run: () => Promise<Timing>) => {
    await run();
    const runs: Timing[] = [];
    for (let pair = 0; pair < 3; pair++) {
      if (pair % 2) runs.push(await run());
      ddHotS.push(timeDd(dir));
      if (pair % 2 === 0) runs.push(await run());
    }
    const pairs = ddHotS.slice(-3);
    const vsDd = median(runs.map((r, k) => runMb / r.s / (mb / pairs[k])));
    return { s: median(runs.map((r) => r.s)), cpu: median(runs.map((r) => r.cpu)), items: runs[0].items, vsDd };
  };
  const ddHotS: number[] = [];
  const out: Record<string, number> = { mb };
  const log = (k: string, v: number, unit: string) => {
    out[k] = v;
    process.stderr.write(`${k}: ${v.toFixed(1)} ${unit}\n`);
  };
  // The disk's cold speed drifts (shared machine), so dd cold is measured again after every cold run and cold ratios use the mean.
  const ddCold: number[] = [];
  const measureDdCold = () => {
    dropCache(dir);
    ddCold.push(mb / timeDd(dir));
    return ddCold[ddCold.length - 1];
  };
  log('ddColdMBps', measureDdCold(), 'MB/s');
  timeDd(dir);
  const ratios: Record<string, number> = {};
  dropCache(dir);
  let r = await timeScan(dir, -1);
  log('scanColdMBps', dataMb / r.s, 'dataset MB/s (patches, -1: reads only that layer, 1/L of the bytes)');
  log('scanColdItemsPerS', r.items / r.s, 'examples/s');
  let hot = await timeHot(dataMb, () => timeScan(dir, -1));
  ratios.scanOneLayerHotVsDd = hot.vsDd;
  log('scanHotMBps', dataMb / hot.s, 'MB/s');
  log('scanHotItemsPerS', hot.items / hot.s, 'examples/s');
  log('scanHotMBperCpuS', dataMb / hot.cpu, 'MB per CPU second (load-independent)');
  hot = await timeHot(dataMb, () => timeScan(dir, 'all'));
  ratios.scanAllHotVsDd = hot.vsDd;
  log('scanAllHotMBps', dataMb / hot.s, 'MB/s (patches, all: every byte read, same bytes as dd)');
  log('scanAllHotItemsPerS', hot.items / hot.s, 'examples/s');
  dropCache(dir);
  r = await timeScan(dir, 'all');
  log('scanAllColdMBps', dataMb / r.s, 'MB/s (patches, all)');
  log('ddColdAfterScanMBps', measureDdCold(), 'MB/s');
  // reuseBatches: the training-loop option (each batch valid until the next step; recycled memory, SIMD clamp scan).
  hot = await timeHot(dataMb, () => timeScan(dir, 'all', true));
  ratios.scanAllHotReuseVsDd = hot.vsDd;
  log('scanAllHotReuseMBps', dataMb / hot.s, 'MB/s (patches, all, reuseBatches)');
  dropCache(dir);
  r = await timeScan(dir, 'all', true);
  log('scanAllColdReuseMBps', dataMb / r.s, 'MB/s (patches, all, reuseBatches)');
  log('ddColdAfterScanReuseMBps', measureDdCold(), 'MB/s');
  timeDd(dir);
  const ds = await ActivationsDataset.open(dir, { patches: 'patches', layer: -1 });
  const t0 = performance.now();
  let items = 0;
  for await (const b of ds.shuffled({ batchSize: 4096, bufferSize: 65536, seed: 1 })) items += b.n;
  await ds.close();
  log('shuffledHotItemsPerS', items / ((performance.now() - t0) / 1000), 'examples/s');
  const cores = (await import('node:os')).loadavg()[0];
  log('loadAverage1m', cores, '(other processes on this machine)');
  // The two passes alone, in this thread: what `stats` does per byte, without opening, the digest or writing files.
  hot = await timeHot(2 * dataMb, async () => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const all = { shard0: 0, shard1: sd.shards.length };
    await runStatsPass(sd, { ...all, pass: 2, prior: await runStatsPass(sd, { ...all, pass: 1 }) });
    return { s: (performance.now() - t0) / 1000, cpu: cpuS(process.cpuUsage(c0)), items: 0 };
  });
  ratios.statsPassesHotPerPassVsDd = hot.vsDd;
  log('statsPassesHotMBps', (2 * dataMb) / hot.s, 'MB/s (bytes read over both passes, passes only)');
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  // The whole command: nJobs 1 is the default of `saev activations stats --n-jobs`; nJobs 2 uses both cores of a 2-core machine.
  const timeStats = async (nJobs: number, cold: boolean) => {
    if (cold) dropCache(dir);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await runStats(dir, { plots: false, progressStream: sink, nJobs });
    return { s: (performance.now() - t0) / 1000, cpu: cpuS(process.cpuUsage(c0)), items: 0 };
  };
  const runs = [['statsHot', false, 1], ['statsCold', true, 1], ['statsJobs2Hot', false, 2], ['statsJobs2Cold', true, 2]] as const;
  for (const [name, cold, nJobs] of runs) {
    if (!cold) {
      hot = await timeHot(2 * dataMb, () => timeStats(nJobs, false));
      ratios[`${name}PerPassVsDd`] = hot.vsDd;
    }
    const t = cold ? await timeStats(nJobs, true) : hot;
    log(`${name}MBperCpuS`, (2 * dataMb) / t.cpu, 'MB per CPU second, both passes');
    log(`${name}MBps`, (2 * dataMb) / t.s, 'MB/s (bytes read over both passes)');
    log(`${name}DatasetMBps`, dataMb / t.s, 'MB/s (dataset bytes / wall time)');
    if (cold) log(`ddColdAfter${name}MBps`, measureDdCold(), 'MB/s');
  }
  log('ddColdMeanMBps', ddCold.reduce((a, b) => a + b, 0) / ddCold.length, `MB/s (mean of ${ddCold.length} dd cold runs)`);
  log('ddHotMBps', mb / median(ddHotS), `MB/s (median of the ${ddHotS.length} hot dd runs paired with hot rows)`);
  Object.assign(ratios, {
    scanAllColdVsDd: out.scanAllColdMBps / out.ddColdMeanMBps,
    scanAllColdReuseVsDd: out.scanAllColdReuseMBps / out.ddColdMeanMBps,
    scanOneLayerColdVsDd: out.scanColdMBps / out.ddColdMeanMBps,
    statsColdPerPassVsDd: out.statsColdMBps / out.ddColdMeanMBps,
    statsJobs2ColdPerPassVsDd: out.statsJobs2ColdMBps / out.ddColdMeanMBps,
  });
  process.stdout.write(JSON.stringify({ dir, nImgs, L, T, D, ...out, ratios }, null, 1) + '\n');
  if (process.argv.includes('--clean')) rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
