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
 * Every row is 3 runs, each paired with a dd run of the same cache state, and its ratio the median of
 * the 3 pairs' ratios (hot rows after one unmeasured run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatMetadata, Metadata } from '../src/shards/metadata.js';
import { ActivationsDataset } from '../src/reader/dataset.js';
import { openShardDir } from '../src/shards/shard-dir.js';
import { makeNormal } from '../src/random.js';
import { runStats } from '../src/stats/run-stats.js';
import { runStatsPass } from '../src/stats/stats-pass.js';
import { median } from './bench/median.js';
import { runAlternatePairs } from './bench/pairs.js';

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
  const md: Metadata = {
    vit_family: 'clip',
    vit_ckpt: 'bench',
    layers: Array.from({ length: L }, (_, l) => l - L),
    n_patches_per_img: P,
    cls_token: true,
    d_vit: D,
    seed: 42,
    n_imgs: nImgs,
    n_patches_per_shard: S * L * T,
    data: 'FakeDataset()',
  };
  writeFileSync(path.join(dir, 'metadata.json'), formatMetadata(md));
  const block = new Float32Array(1 << 18);
  const normal = makeNormal(1);
  for (let i = 0; i < block.length; i++) block[i] = normal() * 2 + (i % D) / D;
  const bytesPerShard = S * L * T * D * 4;
  const records = [];
  for (let s = 0; s < Math.ceil(nImgs / S); s++) {
    const fd = openSync(path.join(dir, `acts${String(s).padStart(6, '0')}.bin`), 'w');
    for (let o = 0; o < bytesPerShard; o += block.byteLength)
      writeSync(fd, new Uint8Array(block.buffer, 0, Math.min(block.byteLength, bytesPerShard - o)));
    fsyncSync(fd); // written back, so dropping the cache really drops these pages (dirty pages stay cached)
    closeSync(fd);
    records.push({ name: `acts${String(s).padStart(6, '0')}.bin`, n_examples: Math.min(S, nImgs - s * S) });
  }
  writeFileSync(path.join(dir, 'shards.json'), JSON.stringify(records));
  return dir;
}

const files = (dir: string) =>
  Array.from({ length: Math.ceil(nImgs / S) }, (_, s) => path.join(dir, `acts${String(s).padStart(6, '0')}.bin`));

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

/** Wall and CPU seconds of one run, and the examples it yielded (0 where that means nothing). */
interface Timing {
  s: number;
  cpu: number;
  items: number;
}

/** Times `work`, which resolves with the examples it yielded (0 where that means nothing). */
async function timed(work: () => Promise<number>): Promise<Timing> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const items = await work();
  return { s: (performance.now() - t0) / 1000, cpu: cpuS(process.cpuUsage(c0)), items };
}

async function timeScan(dir: string, layer: number | 'all', reuseBatches = false): Promise<Timing> {
  const ds = await ActivationsDataset.open(dir, { patches: 'patches', layer });
  return timed(async () => {
    let items = 0;
    for await (const b of ds.ordered({ batchSize: 4096, reuseBatches })) items += b.n;
    await ds.close();
    return items;
  });
}

async function main(): Promise<void> {
  const dir = makeShards();
  const sd = await openShardDir(dir);
  const mb = (sd.shards.length * sd.bytesPerShard) / 1e6;
  const dataMb = (nImgs * sd.bytesPerImg) / 1e6;
  const out: Record<string, number> = { mb };
  const ratios: Record<string, number> = {};
  const log = (k: string, v: number, unit: string) => {
    out[k] = v;
    process.stderr.write(`${k}: ${v.toFixed(1)} ${unit}\n`);
  };
  const ddS = { hot: [] as number[], cold: [] as number[] };
  /**
   * Every row is 3 alternating pairs (`runAlternatePairs`) of a dd over the same files and the run,
   * after one unmeasured run when hot. Returns the median seconds and CPU seconds, and the median over
   * pairs of the run's MB/s (`runMb` per run) over dd's.
   */
  const timePaired = async (cache: 'hot' | 'cold', runMb: number, run: () => Promise<Timing>) => {
    const cold = cache === 'cold';
    const dd = () => {
      if (cold) dropCache(dir);
      const seconds = timeDd(dir);
      ddS[cache].push(seconds);
      return seconds;
    };
    const measure = () => {
      if (cold) dropCache(dir);
      return run();
    };
    if (!cold) await run();
    const pairs = await runAlternatePairs(3, dd, measure);
    const runs = pairs.map(([, r]) => r);
    const vsDd = median(pairs.map(([ddSeconds, r]) => runMb / r.s / (mb / ddSeconds)));
    return { s: median(runs.map((r) => r.s)), cpu: median(runs.map((r) => r.cpu)), items: runs[0].items, vsDd };
  };
  const row = async (name: string, cache: 'hot' | 'cold', runMb: number, run: () => Promise<Timing>, what: string) => {
    const t = await timePaired(cache, runMb, run);
    ratios[`${name}VsDd`] = t.vsDd;
    log(`${name}MBps`, runMb / t.s, `MB/s (${what})`);
    log(`${name}MBperCpuS`, runMb / t.cpu, 'MB per CPU second');
    if (t.items) log(`${name}ItemsPerS`, t.items / t.s, 'examples/s');
  };
  timeDd(dir);
  await row(
    'scanOneLayerCold',
    'cold',
    dataMb,
    () => timeScan(dir, -1),
    'dataset MB/s, patches x -1: reads only that layer, 1/L of the bytes',
  );
  await row('scanOneLayerHot', 'hot', dataMb, () => timeScan(dir, -1), 'dataset MB/s, patches x -1');
  await row(
    'scanAllCold',
    'cold',
    dataMb,
    () => timeScan(dir, 'all'),
    'patches x all: every byte read, the same bytes as dd',
  );
  await row('scanAllHot', 'hot', dataMb, () => timeScan(dir, 'all'), 'patches x all');
  // reuseBatches: the training-loop option (each batch valid until the next step; recycled memory, SIMD clamp scan).
  await row('scanAllColdReuse', 'cold', dataMb, () => timeScan(dir, 'all', true), 'patches x all, reuseBatches');
  await row('scanAllHotReuse', 'hot', dataMb, () => timeScan(dir, 'all', true), 'patches x all, reuseBatches');
  timeDd(dir);
  const ds = await ActivationsDataset.open(dir, { patches: 'patches', layer: -1 });
  const t0 = performance.now();
  let items = 0;
  for await (const b of ds.shuffled({ batchSize: 4096, bufferSize: 65536, seed: 1 })) items += b.n;
  await ds.close();
  log('shuffledHotItemsPerS', items / ((performance.now() - t0) / 1000), 'examples/s');
  log('loadAverage1m', (await import('node:os')).loadavg()[0], '(other processes on this machine)');
  // The two passes alone, in this thread: what `stats` does per byte, without opening, the digest or writing files.
  const all = { shard0: 0, shard1: sd.shards.length };
  const passes = () =>
    timed(async () => {
      await runStatsPass(sd, { ...all, pass: 2, prior: await runStatsPass(sd, { ...all, pass: 1 }) });
      return 0;
    });
  await row('statsPassesHotPerPass', 'hot', 2 * dataMb, passes, 'bytes read over both passes, the passes alone');
  // The whole command: nJobs 1 is the default of `saev activations stats --n-jobs`; nJobs 2 uses both cores of a 2-core
  // machine.
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  for (const nJobs of [1, 2]) {
    const command = () =>
      timed(async () => {
        await runStats(dir, { plots: false, progressStream: sink, nJobs });
        return 0;
      });
    const name = nJobs === 1 ? 'stats' : 'statsJobs2';
    await row(
      `${name}HotPerPass`,
      'hot',
      2 * dataMb,
      command,
      `bytes read over both passes, the whole command, nJobs ${nJobs}`,
    );
    await row(
      `${name}ColdPerPass`,
      'cold',
      2 * dataMb,
      command,
      `bytes read over both passes, the whole command, nJobs ${nJobs}`,
    );
  }
  log('ddHotMBps', mb / median(ddS.hot), `MB/s (median of the ${ddS.hot.length} hot dd runs paired with hot rows)`);
  log(
    'ddColdMBps',
    mb / median(ddS.cold),
    `MB/s (median of the ${ddS.cold.length} cold dd runs paired with cold rows; ${(mb / Math.max(...ddS.cold)).toFixed(0)}..${(mb / Math.min(...ddS.cold)).toFixed(0)})`,
  );
  process.stdout.write(JSON.stringify({ dir, nImgs, L, T, D, ...out, ratios }, null, 1) + '\n');
  if (process.argv.includes('--clean')) rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
