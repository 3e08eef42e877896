/**
 * `npm run bench:sizes`: peak memory of converting and of extracting with
 * real-size models, against the size of their weights. For each
 * `<family>:<checkpoint>` it converts the checkpoint in a child process,
 * sums the converted weight files (float32), then records `--n-imgs` fake
 * images with the converted model in another child, and prints each child's
 * peak resident set size (getrusage, via scripts/bench/report-max-rss.ts) and
 * its ratio to the weight bytes. Checkpoints with random weights at real
 * sizes come from scripts/bench/make_size_checkpoints.py. JSON in `--out`.
 *
 *   npm run bench:sizes -- clip:/tmp/sizes/ViT-H-14/open_clip_model.safetensors \
 *     clip:/tmp/sizes/ViT-bigG-14/open_clip_model.safetensors --n-imgs 64
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../src/version.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'n-imgs': { type: 'string', default: '64' },
    'vit-batch-size': { type: 'string' },
    'vit-layers': { type: 'string', default: '-2' },
    backend: { type: 'string' },
    'convert-arg': { type: 'string', multiple: true, default: [] },
    'work-dir': { type: 'string', default: os.tmpdir() },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-sizes.json' },
  },
});
if (positionals.length === 0)
  throw new Error('bench: name at least one <family>:<checkpoint> (see scripts/bench/make_size_checkpoints.py)');

const PRELOAD = pathToFileURL(path.join(PACKAGE_ROOT, 'dist', 'scripts', 'bench', 'report-max-rss.js')).href;

/** Runs `node args` with the peak-RSS reporter preloaded; returns its peak RSS in bytes and its stdout. */
async function measure(args: string[], label: string): Promise<{ maxRss: number; stdout: string; seconds: number }> {
  const rssFile = path.join(mkdtempSync(path.join(values['work-dir']!, 'saev-rss-')), 'max-rss');
  const env = {
    ...process.env,
    SAEV_MAX_RSS_FILE: rssFile,
    ...(values.backend ? { SAEV_BACKEND: values.backend } : {}),
  };
  const start = performance.now();
  const child = spawn(process.execPath, ['--import', PRELOAD, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`bench: ${label} exited with code ${code}`);
  const maxRss = Number(readFileSync(rssFile, 'utf8'));
  rmSync(path.dirname(rssFile), { recursive: true, force: true });
  return { maxRss, stdout, seconds: (performance.now() - start) / 1000 };
}

const GB = 1e9;
const results = [];
for (const spec of positionals) {
  const colon = spec.indexOf(':');
  if (colon < 1) throw new Error(`bench: '${spec}' is not <family>:<checkpoint>`);
  const family = spec.slice(0, colon);
  const checkpoint = spec.slice(colon + 1);
  const name = path.basename(path.dirname(checkpoint));
  const outDir = path.join(mkdtempSync(path.join(values['work-dir']!, 'saev-bench-sizes-')), 'model');
  const saevBin = path.join(PACKAGE_ROOT, 'bin', 'run.js');
  const convert = await measure(
    [saevBin, 'convert', checkpoint, '--family', family, '--out', outDir, '--json', ...values['convert-arg']!],
    `convert ${name}`,
  );
  const weightFiles = readdirSync(outDir).filter((f) => /^weights.*\.bin$/.test(f));
  const weightBytes = weightFiles.reduce((n, f) => n + statSync(path.join(outDir, f)).size, 0);
  const dumpTo = mkdtempSync(path.join(values['work-dir']!, 'saev-bench-shards-'));
  const extractArgs = [saevBin, 'activations', 'extract', '--vit-family', family, '--vit-ckpt', outDir];
  extractArgs.push(
    '--data',
    'fake',
    '--data-n-imgs',
    values['n-imgs']!,
    `--vit-layers=${values['vit-layers']}`,
    '--dump-to',
    dumpTo,
    '--json',
  );
  if (values['vit-batch-size']) extractArgs.push('--vit-batch-size', values['vit-batch-size']);
  const extract = await measure(extractArgs, `extract ${name}`);
  const summary = JSON.parse(extract.stdout) as { backend: string; imgsPerS: number };
  rmSync(dumpTo, { recursive: true, force: true });
  if (!values.keep) rmSync(path.dirname(outDir), { recursive: true, force: true });
  const arch = (JSON.parse(convert.stdout) as { arch: Record<string, unknown> }).arch;
  const result = {
    name,
    family,
    checkpoint,
    arch,
    weightFiles: weightFiles.length,
    weightBytes,
    convert: { maxRss: convert.maxRss, ratio: convert.maxRss / weightBytes, seconds: convert.seconds },
    extract: {
      maxRss: extract.maxRss,
      ratio: extract.maxRss / weightBytes,
      seconds: extract.seconds,
      backend: summary.backend,
      nImgs: Number(values['n-imgs']),
    },
  };
  results.push(result);
  console.log(
    `sizes: ${name} (${family}, ${weightFiles.length} weight files, ${(weightBytes / GB).toFixed(2)} GB): ` +
      `convert peak ${(convert.maxRss / GB).toFixed(2)} GB = ${result.convert.ratio.toFixed(2)}x, ` +
      `extract peak ${(extract.maxRss / GB).toFixed(2)} GB = ${result.extract.ratio.toFixed(2)}x ` +
      `(${summary.backend}, ${values['n-imgs']} images, ${summary.imgsPerS.toFixed(2)} images/s)`,
  );
}
writeFileSync(values.out!, JSON.stringify(results, null, 2) + '\n');
console.log(`sizes: JSON in ${values.out}`);
