/**
 * The benchmarks' measurements, each in its own process: running a child that prints JSON, and the
 * end-to-end extraction of a JPEG folder by our CLI and by PyTorch's recipe (scripts/bench/torch_recipe.py),
 * into a temporary folder removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/version.js';

export const TORCH_SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'bench', 'torch_recipe.py');
const BIN = path.join(PACKAGE_ROOT, 'bin', 'run.js');

/**
 * Runs `cmd` and returns the JSON it printed: the whole output when it is one document (the CLI's
 * pretty-printed `--json`), else each line that starts with `{`. A failure is one line with the end of stderr.
 */
export function runJsonLines(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Array<Record<string, unknown>> {
  const result = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  if (result.status !== 0)
    throw new Error(
      `${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed: ${(result.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`,
    );
  const text = result.stdout.trim();
  if (text.startsWith('{') && !text.includes('\n{')) return [JSON.parse(text)];
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

/** What both sides of an end-to-end extraction are given. */
export interface ExtractRun {
  /** The architecture, as each side names it (`random:` is added to ours). */
  arch: string;
  /** A folder of JPEGs (scripts/bench/jpeg-folder.ts). */
  root: string;
  /** saev-style layer indices, comma-separated. */
  layers: string;
  batch: number;
}

/** The images/s a child reported, its shards written into a temporary folder that is removed after. */
function timedExtract(prefix: string, run: (dumpTo: string) => Record<string, unknown>): number {
  const dumpTo = mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return run(dumpTo).imgsPerS as number;
  } finally {
    rmSync(dumpTo, { recursive: true, force: true });
  }
}

/** `saev activations extract` on `backend`, images/s; `extraArgs` and `env` go to the CLI. */
export function extractOurs(
  run: ExtractRun & { backend: string; extraArgs?: string[]; env?: NodeJS.ProcessEnv },
): number {
  const args = [
    BIN,
    'activations',
    'extract',
    '--backend',
    run.backend,
    '--vit-ckpt',
    `random:${run.arch}`,
    '--data',
    'image-folder',
    '--data-root',
    run.root,
    `--vit-layers=${run.layers}`,
    '--vit-batch-size',
    String(run.batch),
    ...(run.extraArgs ?? []),
    '--json',
  ];
  return timedExtract('saev-bench-shards-', (dumpTo) =>
    runJsonLines(process.execPath, [...args, '--dump-to', dumpTo], run.env).at(-1)!,
  );
}

/** PyTorch's recipe (`torch_recipe.py extract`) with `python`, images/s; `extraArgs` go to the script. */
export function extractTorch(run: ExtractRun & { python: string; extraArgs?: string[] }): number {
  const args = [TORCH_SCRIPT, 'extract', '--arch', run.arch, '--data-root', run.root, '--layers', run.layers];
  return timedExtract('saev-bench-torch-', (dumpTo) =>
    runJsonLines(run.python, [...args, '--batch', String(run.batch), '--dump-to', dumpTo, ...(run.extraArgs ?? [])]).at(
      -1,
    )!,
  );
}
