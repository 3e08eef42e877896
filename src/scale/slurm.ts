/**
 * `--slurm`: the extraction as one Slurm job array, one task per share. The
 * sbatch script runs the same `saev activations extract` command line (see
 * job-args.ts) with `--n-jobs N`; each task takes its share from
 * `SLURM_ARRAY_TASK_ID`. `submitSlurmScript` writes the script under the log
 * directory and submits it with `sbatch --parsable`; `waitForSlurmJob` polls
 * `squeue` (not `sbatch --wait`, which polls slowly) and then reads each
 * task's final state with `scontrol` (accounting may be off, so no `sacct`).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../version.js';
import { getJobArgs, shellQuote } from './job-args.js';

const run = promisify(execFile);

export interface SlurmOptions {
  nJobs: number;
  /** Submit only this array index (to redo one task); all when undefined. */
  jobIndex?: number;
  acct?: string;
  partition?: string;
  /** Slurm time limit, e.g. `24:00:00`. */
  time?: string;
  cpus?: number;
  gpus?: number;
  mem?: string;
  /** Directory of the script and the task logs. */
  logTo: string;
}

const SAFE = /^[A-Za-z0-9_.:@+,=/-]+$/;

/** Checks the Slurm options (they end up in a shell script); returns them frozen. */
export function validateSlurmOptions(raw: SlurmOptions): Readonly<SlurmOptions> {
  for (const [flag, value] of [
    ['slurm-acct', raw.acct],
    ['slurm-partition', raw.partition],
    ['slurm-time', raw.time],
    ['slurm-mem', raw.mem],
  ] as const) {
    if (value !== undefined && !SAFE.test(value))
      throw new Error(`slurm: --${flag} '${value}' has characters Slurm does not use; pass a plain name or value`);
  }
  for (const [flag, value] of [
    ['slurm-cpus', raw.cpus],
    ['slurm-gpus', raw.gpus],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0))
      throw new Error(`slurm: --${flag} must be a non-negative integer, found ${value}`);
  }
  if (!Number.isSafeInteger(raw.nJobs) || raw.nJobs < 1)
    throw new Error(`slurm: --n-jobs must be a positive integer, found ${raw.nJobs}`);
  if (raw.jobIndex !== undefined && (raw.jobIndex < 0 || raw.jobIndex >= raw.nJobs)) {
    throw new Error(`slurm: --job-index ${raw.jobIndex} is outside 0..${raw.nJobs - 1}`);
  }
  return Object.freeze({ ...raw, logTo: path.resolve(raw.logTo) });
}

/** The `--array` value: all shares, or the one given. */
export function getArraySpec(options: Readonly<SlurmOptions>): string {
  return options.jobIndex === undefined ? `0-${options.nJobs - 1}` : String(options.jobIndex);
}

/** The sbatch script for `argv` (the user's `activations extract` argv). */
export function makeSbatchScript(
  argv: readonly string[],
  options: Readonly<SlurmOptions>,
  cwd = process.cwd(),
): string {
  const directives = [
    `--job-name=saev-extract`,
    `--array=${getArraySpec(options)}`,
    `--output=${path.join(options.logTo, 'saev-extract-%A_%a.out')}`,
    `--ntasks=1`,
    ...(options.acct ? [`--account=${options.acct}`] : []),
    ...(options.partition ? [`--partition=${options.partition}`] : []),
    ...(options.time ? [`--time=${options.time}`] : []),
    ...(options.cpus ? [`--cpus-per-task=${options.cpus}`] : []),
    ...(options.gpus ? [`--gres=gpu:${options.gpus}`] : []),
    ...(options.mem ? [`--mem=${options.mem}`] : []),
  ];
  const command = [
    process.execPath,
    path.join(PACKAGE_ROOT, 'bin', 'run.js'),
    'activations',
    'extract',
    ...getJobArgs(argv, options.nJobs),
  ];
  return [
    '#!/bin/bash',
    '# saev activations extract, one task per share; the task takes its share from SLURM_ARRAY_TASK_ID.',
    ...directives.map((d) => `#SBATCH ${d}`),
    'set -euo pipefail',
    `cd ${shellQuote(cwd)}`,
    `exec ${command.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}

/** Writes the script into the log directory and submits it; returns the job id and the script's path. */
export async function submitSlurmScript(
  script: string,
  options: Readonly<SlurmOptions>,
): Promise<{ jobId: string; scriptPath: string }> {
  await fs.mkdir(options.logTo, { recursive: true });
  const scriptPath = path.join(options.logTo, `saev-extract-${new Date().toISOString().replace(/[:.]/g, '-')}.sbatch`);
  await fs.writeFile(scriptPath, script, { mode: 0o755 });
  let stdout: string;
  try {
    ({ stdout } = await run('sbatch', ['--parsable', scriptPath]));
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const why =
      e.code === 'ENOENT'
        ? 'sbatch is not on PATH (is this a Slurm login node?)'
        : (e.stderr ?? e.message).trim().split('\n')[0];
    throw new Error(`slurm: submitting ${scriptPath} failed: ${why}; check the script with --dry-run`, {
      cause: error,
    });
  }
  const jobId = stdout.trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new Error(`slurm: sbatch printed '${stdout.trim()}', expected a job id`);
  return { jobId, scriptPath };
}

export interface TaskState {
  /** Array index. */
  index: number;
  /** Final Slurm state, e.g. COMPLETED, FAILED, CANCELLED. */
  state: string;
  /** `exit:signal`, e.g. `0:0`. */
  exitCode: string;
}

/** Parses `scontrol -o show job <id>` (one line per array task). */
export function parseScontrolTasks(text: string): TaskState[] {
  const tasks: TaskState[] = [];
  for (const line of text.split('\n')) {
    const index = /\bArrayTaskId=(\d+)\b/.exec(line)?.[1];
    const state = /\bJobState=(\S+)/.exec(line)?.[1];
    if (index === undefined || state === undefined) continue;
    tasks.push({ index: Number(index), state, exitCode: /\bExitCode=(\S+)/.exec(line)?.[1] ?? '?' });
  }
  return tasks.sort((a, b) => a.index - b.index);
}

/** Polls until no task of `jobId` is pending or running; returns each task's final state. */
export async function waitForSlurmJob(jobId: string, log: (line: string) => void, pollMs = 2000): Promise<TaskState[]> {
  let last = '';
  for (;;) {
    let out: string | null;
    try {
      out = (await run('squeue', ['-h', '-j', jobId, '-o', '%T'])).stdout;
    } catch {
      out = null; // controller busy or job already purged; scontrol below decides
    }
    if (out !== null && out.trim() === '') break;
    if (out === null) {
      const probe = await run('scontrol', ['-o', 'show', 'job', jobId]).catch(() => null);
      if (
        probe === null ||
        parseScontrolTasks(probe.stdout).every((t) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(t.state))
      )
        break;
    }
    const summary = out ? summarizeStates(out) : '';
    if (summary && summary !== last) log(`slurm: job ${jobId}: ${summary}`);
    last = summary;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const shown = await run('scontrol', ['-o', 'show', 'job', jobId]).catch(() => ({ stdout: '' }));
  return parseScontrolTasks(shown.stdout);
}

function summarizeStates(squeueOut: string): string {
  const counts = new Map<string, number>();
  for (const s of squeueOut
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean))
    counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(', ');
}
