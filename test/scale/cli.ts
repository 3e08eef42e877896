/** Runs the built CLI (test/build-dist.ts builds it first when stale) as a user would, for the scale-out tests. */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const BIN = path.resolve(__dirname, '../../bin/run.js');

/** 8 fake images, 1 layer x 50 tokens, budget 150 -> 3 images per shard -> 3 shards: the crash tests' run. */
export const SMALL_RUN = [
  'activations',
  'extract',
  '--data',
  'fake',
  '--data-n-imgs',
  '8',
  '--vit-layers',
  '-1',
  '--n-patches-per-shard',
  '150',
  '--vit-batch-size',
  '2',
];

/** The one shard directory an extraction made under `root`. */
export const shardDirOf = (root: string) => path.join(root, readdirSync(root)[0]);

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function saevSync(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI; `killAfterMs` sends SIGKILL that long after start, or after stderr first matches `killFrom`. */
export function saev(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  killAfterMs?: number,
  killFrom?: RegExp,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    let timer: NodeJS.Timeout | null = null;
    const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (killAfterMs !== undefined && killFrom && !timer && killFrom.test(stderr)) arm();
    });
    if (killAfterMs !== undefined && !killFrom) arm();
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
