/**
 * `npm run bench:rss`: is memory flat over a long extraction? Runs
 * `saev activations extract` on a folder of `--n-imgs` real JPEGs (the demo
 * photos repeated) in a child process and samples its resident set size
 * (VmRSS from /proc, Linux only) every `--every-ms`. Prints RSS at 10%, 50%
 * and 100% of the run, its maximum, and the growth from 10% to the end; JSON in
 * `--out`. The default model is the embedded demo ViT, so 10,000 images take
 * minutes; `--vit-ckpt random:ViT-B-16` measures a full-size model.
 *
 *   npm run bench:rss -- --n-imgs 10000 --vit-batch-size 32
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../src/version.js';
import { makeJpegFolder } from './jpeg-folder.js';

const { values } = parseArgs({
  options: {
    'n-imgs': { type: 'string', default: '10000' },
    'vit-ckpt': { type: 'string', default: 'demo' },
    'vit-batch-size': { type: 'string', default: '32' },
    'vit-layers': { type: 'string', default: '-2' },
    'every-ms': { type: 'string', default: '1000' },
    out: { type: 'string', default: 'bench-rss.json' },
  },
});

function readRssMB(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) / 1024 : null;
  } catch {
    return null; // the process has exited
  }
}

const nImgs = Number(values['n-imgs']);
const root = makeJpegFolder(nImgs);
const dumpTo = mkdtempSync(path.join(os.tmpdir(), 'saev-bench-rss-'));
const args = [
  path.join(PACKAGE_ROOT, 'bin', 'run.js'),
  'activations',
  'extract',
  '--vit-ckpt',
  values['vit-ckpt']!,
  '--data',
  'image-folder',
  '--data-root',
  root,
];
args.push(
  `--vit-layers=${values['vit-layers']}`,
  '--vit-batch-size',
  values['vit-batch-size']!,
  '--dump-to',
  dumpTo,
  '--json',
);
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let stdout = '';
child.stdout.on('data', (chunk) => (stdout += chunk));
const samples: Array<{ s: number; rssMB: number }> = [];
const start = performance.now();
const timer = setInterval(() => {
  const rssMB = readRssMB(child.pid!);
  if (rssMB !== null) samples.push({ s: (performance.now() - start) / 1000, rssMB });
}, Number(values['every-ms']));
const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
clearInterval(timer);
rmSync(root, { recursive: true, force: true });
rmSync(dumpTo, { recursive: true, force: true });
if (code !== 0) throw new Error(`bench: extract exited with code ${code}`);
if (samples.length < 10)
  throw new Error(`bench: only ${samples.length} RSS samples; use more images or a smaller --every-ms`);

const at = (fraction: number) => samples[Math.min(samples.length - 1, Math.floor(fraction * samples.length))].rssMB;
const result = JSON.parse(stdout) as { imgsPerS: number; backend: string };
const summary = {
  nImgs,
  vitCkpt: values['vit-ckpt'],
  backend: result.backend,
  imgsPerS: result.imgsPerS,
  rssMB: {
    at10pct: at(0.1),
    at50pct: at(0.5),
    end: samples[samples.length - 1].rssMB,
    max: Math.max(...samples.map((x) => x.rssMB)),
  },
  growthFrom10pctMB: samples[samples.length - 1].rssMB - at(0.1),
  samples,
};
writeFileSync(values.out!, JSON.stringify(summary, null, 2) + '\n');
const r = summary.rssMB;
console.log(
  `rss: ${nImgs} images (${values['vit-ckpt']}, ${result.backend}, ${result.imgsPerS.toFixed(1)} images/s): ` +
    `${r.at10pct.toFixed(0)} MB at 10%, ${r.at50pct.toFixed(0)} MB at 50%, ${r.end.toFixed(0)} MB at the end, max ${r.max.toFixed(0)} MB; JSON in ${values.out}`,
);
