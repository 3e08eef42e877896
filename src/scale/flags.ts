/**
 * The scale-out flags of `activations extract` (storage dtype, job split,
 * local and Slurm launchers), kept here so the command stays thin. No tensor code.
 */
import { Flags } from '@oclif/core';
import { STORAGE_DTYPES } from '../shards/dtype.js';

export const scaleFlags = {
  dtype: Flags.string({
    summary: 'Storage dtype of the shards; half types add a dtype field to metadata.json (and its hash).',
    options: [...STORAGE_DTYPES],
    default: 'float32',
  }),
  'n-jobs': Flags.integer({
    summary: 'Split the shards over this many jobs (contiguous shard ranges). Default: SLURM_ARRAY_TASK_COUNT, else 1.',
    min: 1,
  }),
  'job-index': Flags.integer({
    summary: 'Which share this job writes (0-based). Default: SLURM_ARRAY_TASK_ID, else 0.',
    min: 0,
  }),
  local: Flags.boolean({
    summary: 'Run all --n-jobs shares as child processes of this machine, with one progress line.',
    exclusive: ['slurm'],
  }),
  slurm: Flags.boolean({
    summary: 'Submit the --n-jobs shares as a Slurm job array (sbatch) and print the job id.',
    exclusive: ['local'],
  }),
  'slurm-acct': Flags.string({ summary: 'Slurm account (--account).' }),
  'slurm-partition': Flags.string({ summary: 'Slurm partition.' }),
  'slurm-time': Flags.string({ summary: 'Slurm time limit per task, e.g. 24:00:00.' }),
  'slurm-cpus': Flags.integer({ summary: 'CPUs per task.', min: 1 }),
  'slurm-gpus': Flags.integer({ summary: 'GPUs per task (--gres=gpu:N).', min: 0 }),
  'slurm-mem': Flags.string({ summary: 'Memory per task, e.g. 32G.' }),
  'log-to': Flags.string({
    summary: 'Directory of the sbatch script and the task logs [default: <dump-to>/logs, beside the shards].',
  }),
  'dry-run': Flags.boolean({ summary: 'With --slurm: print the sbatch script, submit nothing.' }),
  wait: Flags.boolean({ summary: 'With --slurm: wait until every task ends and report failures per task.' }),
};
