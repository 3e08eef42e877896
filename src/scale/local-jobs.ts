/**
 * `--local --n-jobs N`: the N shares of an extraction as N child processes of
 * this machine, each the same command with `--job-index i`. Children report
 * progress, their result and their one-line error over the IPC channel
 * (`SAEV_PROGRESS_IPC=1`); the parent folds progress into one line and
 * forwards their log lines prefixed with `job i:`. The run fails, naming the
 * jobs and their errors, if any child fails.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PACKAGE_ROOT } from '../version.js';
import { CombinedProgress } from './combined-progress.js';
import { getJobArgs } from './job-args.js';

export const PROGRESS_IPC_ENV = 'SAEV_PROGRESS_IPC';

export type JobMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; result: Record<string, unknown> }
  | { type: 'error'; message: string };

export interface LocalJobResult {
  jobIndex: number;
  exitCode: number | null;
  signal: string | null;
  /** The child's result (its `--json` document), when it succeeded. */
  result: Record<string, unknown> | null;
  /** Its error, or else its last log line (for failures). */
  lastLine: string;
}

export interface LocalJobsOptions {
  /** The user's argv of `activations extract`. */
  argv: readonly string[];
  nJobs: number;
  log: (line: string) => void;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

export async function runLocalJobs(
  options: LocalJobsOptions,
): Promise<{ jobs: LocalJobResult[]; elapsedS: number; imagesDone: number }> {
  const bin = path.join(PACKAGE_ROOT, 'bin', 'run.js');
  const progress = new CombinedProgress(options.nJobs, options.progressStream ?? process.stderr);
  const started = performance.now();
  const runOne = (jobIndex: number) =>
    new Promise<LocalJobResult>((resolve) => {
      const args = [bin, 'activations', 'extract', ...getJobArgs(options.argv, options.nJobs, jobIndex)];
      const child = spawn(process.execPath, args, {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...(options.env ?? process.env), [PROGRESS_IPC_ENV]: '1', NO_COLOR: '1' },
      });
      let result: Record<string, unknown> | null = null;
      let error: string | null = null;
      let lastLine = '';
      child.stdout!.resume(); // the shard directory; the result comes over IPC
      createInterface({ input: child.stderr! }).on('line', (line) => {
        if (!line.trim() || line.startsWith(' ›')) return; // oclif's wrapped error box; the error comes over IPC
        lastLine = line;
        options.log(`job ${jobIndex}: ${line}`);
      });
      child.on('message', (message: JobMessage) => {
        if (message?.type === 'progress') progress.update(jobIndex, message.done, message.total);
        if (message?.type === 'result') result = message.result;
        if (message?.type === 'error') error = message.message;
      });
      child.on('close', (exitCode, signal) => {
        resolve({ jobIndex, exitCode, signal, result: exitCode === 0 ? result : null, lastLine: error ?? lastLine });
      });
      child.on('error', (error) =>
        resolve({ jobIndex, exitCode: null, signal: null, result: null, lastLine: error.message }),
      );
    });
  const jobs = await Promise.all(Array.from({ length: options.nJobs }, (_, i) => runOne(i)));
  const elapsedS = (performance.now() - started) / 1000;
  const failed = jobs.filter((job) => job.exitCode !== 0 || job.result === null);
  const imagesDone = progress.imagesDone;
  if (failed.length > 0) {
    const what = failed
      .map((job) => `job ${job.jobIndex} (${job.signal ?? `exit ${job.exitCode}`}: ${job.lastLine})`)
      .join('; ');
    throw new Error(
      `jobs: ${failed.length} of ${options.nJobs} local jobs failed: ${what}; rerun the same command to resume`,
    );
  }
  progress.finish(
    `${options.nJobs} local jobs done: ${imagesDone} images in ${elapsedS.toFixed(1)} s (${(imagesDone / elapsedS).toFixed(1)} images/s)`,
  );
  return { jobs, elapsedS, imagesDone };
}
