// Tests src/scale/job-args.ts and the parts of src/scale/slurm.ts that need no cluster: the job
// command line, the sbatch script, option validation, and parsing scontrol's per-task states.
import { describe, expect, it } from 'vitest';
import { getJobArgs, shellQuote } from '../../src/scale/job-args.js';
import { makeSbatchScript, parseScontrolTasks, validateSlurmOptions } from '../../src/scale/slurm.js';

describe('getJobArgs', () => {
  it('drops launcher and split flags in both spellings, keeps everything else, appends the split', () => {
    const argv = [
      '--data',
      'fake',
      '--vit-layers=-2',
      '--vit-layers=-1',
      '--slurm',
      '--n-jobs',
      '4',
      '--job-index=1',
      '--slurm-acct',
      'A',
      '--log-to=./l',
      '--wait',
      '--dry-run',
      '--json',
      '--local',
      '--dtype',
      'float16',
    ];
    expect(getJobArgs(argv, 4)).toEqual([
      '--data',
      'fake',
      '--vit-layers=-2',
      '--vit-layers=-1',
      '--dtype',
      'float16',
      '--n-jobs',
      '4',
    ]);
    expect(getJobArgs(['--data-root', 'x'], 3, 2)).toEqual(['--data-root', 'x', '--n-jobs', '3', '--job-index', '2']);
  });

  it('shell-quotes words only when needed', () => {
    expect(shellQuote('--vit-layers=-2')).toBe('--vit-layers=-2');
    expect(shellQuote("/data/my photos/it's")).toBe(`'/data/my photos/it'\\''s'`);
  });
});

describe('makeSbatchScript', () => {
  it('writes one array directive per option and execs the same extraction with --n-jobs', () => {
    const options = validateSlurmOptions({
      nJobs: 4,
      acct: 'PAS2136',
      partition: 'gpu',
      time: '12:00:00',
      cpus: 8,
      gpus: 1,
      mem: '32G',
      logTo: '/scratch/logs',
    });
    const script = makeSbatchScript(
      ['--data-root', '/data/photos', '--slurm', '--n-jobs', '4'],
      options,
      '/home/me/work',
    );
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines.filter((l) => l.startsWith('#SBATCH'))).toEqual([
      '#SBATCH --job-name=saev-extract',
      '#SBATCH --array=0-3',
      '#SBATCH --output=/scratch/logs/saev-extract-%A_%a.out',
      '#SBATCH --ntasks=1',
      '#SBATCH --account=PAS2136',
      '#SBATCH --partition=gpu',
      '#SBATCH --time=12:00:00',
      '#SBATCH --cpus-per-task=8',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --mem=32G',
    ]);
    expect(lines).toContain('cd /home/me/work');
    expect(lines.find((l) => l.startsWith('exec '))).toMatch(
      /^exec \S+ \S+\/bin\/run\.js activations extract --data-root \/data\/photos --n-jobs 4$/,
    );
  });

  it('submits one index alone when --job-index is given', () => {
    expect(makeSbatchScript([], validateSlurmOptions({ nJobs: 4, jobIndex: 2, logTo: '/l' }))).toContain(
      '#SBATCH --array=2\n',
    );
  });

  it('rejects values that could break the script', () => {
    expect(() => validateSlurmOptions({ nJobs: 2, acct: 'a\n#SBATCH --x', logTo: '/l' })).toThrow(
      /^slurm: --slurm-acct 'a\n#SBATCH --x' has characters/,
    );
    expect(() => validateSlurmOptions({ nJobs: 2, jobIndex: 2, logTo: '/l' })).toThrow(
      'slurm: --job-index 2 is outside 0..1',
    );
  });
});

describe('parseScontrolTasks', () => {
  it('reads each task state and exit code from `scontrol -o show job`', () => {
    const text = [
      'JobId=12 ArrayJobId=10 ArrayTaskId=2 JobName=saev-extract UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=0:9',
      'JobId=10 ArrayJobId=10 ArrayTaskId=0 JobName=saev-extract UserId=root(0) JobState=COMPLETED Reason=None Dependency=(null) ExitCode=0:0',
      '',
    ].join('\n');
    expect(parseScontrolTasks(text)).toEqual([
      { index: 0, state: 'COMPLETED', exitCode: '0:0' },
      { index: 2, state: 'FAILED', exitCode: '0:9' },
    ]);
  });
});
