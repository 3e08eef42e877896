/**
 * What `activations extract --local` and `--slurm` do after the flags are
 * validated, and the hooks a child job uses to report progress to a local
 * parent. Returns the command's result: `text` for humans, the rest for `--json`.
 */
import path from 'node:path';
import type { ExtractHooks } from '../extract/run-extraction.js';
import { JobMessage, LocalJobResult, PROGRESS_IPC_ENV, runLocalJobs } from './local-jobs.js';
import {
  getArraySpec,
  makeSbatchScript,
  submitSlurmScript,
  TaskState,
  validateSlurmOptions,
  waitForSlurmJob,
} from './slurm.js';

export interface LaunchJson {
  mode: 'local' | 'slurm';
  /** stdout for humans: the shard directory (local), the job id or the script (slurm). */
  text: string;
  shardDir?: string;
  complete?: boolean;
  jobs?: Array<Pick<LocalJobResult, 'jobIndex' | 'exitCode'> & { written: unknown; skipped: unknown }>;
  elapsedS?: number;
  imgsPerS?: number;
  jobId?: string | null;
  array?: string;
  scriptPath?: string;
  script?: string;
  tasks?: TaskState[];
}

const hasParent = () => process.env[PROGRESS_IPC_ENV] === '1' && typeof process.send === 'function';

/** Hooks for one job: plain stderr progress, or IPC messages when a local parent runs us. */
export function makeJobHooks(log: (line: string) => void): ExtractHooks {
  if (!hasParent()) return { log };
  return {
    log,
    progressStream: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
    onProgress: (done, total) => void process.send!({ type: 'progress', done, total } satisfies JobMessage),
  };
}

/** A child job tells its local parent its result or its one-line error (no-op otherwise). */
export function reportToParent(message: JobMessage): void {
  if (hasParent()) process.send!(message);
}

export async function launchLocal(
  argv: readonly string[],
  nJobs: number,
  log: (line: string) => void,
): Promise<LaunchJson> {
  const { jobs, elapsedS, imagesDone } = await runLocalJobs({ argv, nJobs, log });
  const results = jobs.map((job) => job.result as Record<string, unknown>);
  const shardDir = String(results[0].shardDir);
  return {
    mode: 'local',
    text: shardDir,
    shardDir,
    complete: results.some((r) => r.complete === true),
    jobs: jobs.map((job, i) => ({
      jobIndex: job.jobIndex,
      exitCode: job.exitCode,
      written: results[i].written,
      skipped: results[i].skipped,
    })),
    elapsedS,
    imgsPerS: imagesDone / elapsedS,
  };
}

export interface SlurmFlags {
  nJobs: number;
  'job-index'?: number;
  'slurm-acct'?: string;
  'slurm-partition'?: string;
  'slurm-time'?: string;
  'slurm-cpus'?: number;
  'slurm-gpus'?: number;
  'slurm-mem'?: string;
  /** Where the sbatch script and task logs go; default `<dump-to>/logs`. */
  'log-to'?: string;
  'dump-to': string;
  'dry-run': boolean;
  wait: boolean;
}

export async function launchSlurm(
  argv: readonly string[],
  flags: SlurmFlags,
  log: (line: string) => void,
): Promise<LaunchJson> {
  const options = validateSlurmOptions({
    nJobs: flags.nJobs,
    jobIndex: flags['job-index'],
    acct: flags['slurm-acct'],
    partition: flags['slurm-partition'],
    time: flags['slurm-time'],
    cpus: flags['slurm-cpus'],
    gpus: flags['slurm-gpus'],
    mem: flags['slurm-mem'],
    logTo: flags['log-to'] ?? path.join(flags['dump-to'], 'logs'),
  });
  const script = makeSbatchScript(argv, options);
  const array = getArraySpec(options);
  if (flags['dry-run']) return { mode: 'slurm', text: script.trimEnd(), jobId: null, array, script };
  const { jobId, scriptPath } = await submitSlurmScript(script, options);
  log(
    `slurm: submitted job ${jobId} (array ${array}), script ${scriptPath}, logs ${options.logTo}/saev-extract-${jobId}_<index>.out`,
  );
  if (!flags.wait) return { mode: 'slurm', text: jobId, jobId, array, scriptPath, script };
  const tasks = await waitForSlurmJob(jobId, log);
  const failed = tasks.filter((t) => t.state !== 'COMPLETED');
  if (failed.length > 0 || tasks.length === 0) {
    const what = failed
      .map(
        (t) =>
          `task ${t.index} ${t.state} (exit ${t.exitCode}, log ${options.logTo}/saev-extract-${jobId}_${t.index}.out)`,
      )
      .join('; ');
    throw new Error(
      `slurm: job ${jobId}: ${tasks.length === 0 ? 'no task states found' : what}; resubmit a task with --slurm --n-jobs ${options.nJobs} --job-index I`,
    );
  }
  log(`slurm: job ${jobId}: all ${tasks.length} tasks completed`);
  return { mode: 'slurm', text: jobId, jobId, array, scriptPath, script, tasks };
}
