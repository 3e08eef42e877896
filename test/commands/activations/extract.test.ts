/**
 * The `saev activations extract` command as a user runs it: the built CLI in a
 * child process (`npm test` builds first), flags as saev spells them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../../bin/run.js');

function saev(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, 'activations', 'extract', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const dumpTo = () => mkdtempSync(path.join(os.tmpdir(), 'saev-cli-'));

describe('saev activations extract', () => {
  it('with no flags records the embedded demo and prints the shard directory', () => {
    const out = dumpTo();
    const { status, stdout, stderr } = saev(['--dump-to', out]);
    expect(status, stderr).toBe(0);
    expect(stdout.trim()).toMatch(new RegExp(`^${out}/[0-9a-f]{64}$`));
    expect(stderr).toMatch(/model: embedded demo .*not a trained model/);
    expect(stderr).toMatch(/extract: 10 images in .* images\/s/);
  });

  for (const layers of [['--vit-layers', '-2', '-1'], ['--vit-layers=-2,-1'], ['--vit-layers', '-1', '-2']]) {
    it(`parses ${layers.join(' ')} as saev does and prints one JSON document`, () => {
      const { status, stdout, stderr } = saev([...layers, '--data', 'fake', '--data-n-imgs', '3', '--dump-to', dumpTo(), '--json']);
      expect(status, stderr).toBe(0);
      const doc = JSON.parse(stdout);
      expect(doc).toMatchObject({ nImgs: 3, nShards: 1, layers: [-2, -1] });
      expect(doc.shardDir).toMatch(/[0-9a-f]{64}$/);
      expect(['tensorflow', 'wasm', 'cpu']).toContain(doc.backend);
    });
  }

  it('fails with one line and a non-zero exit when --d-vit disagrees with the model', () => {
    const { status, stderr } = saev(['--data', 'fake', '--d-vit', '768', '--dump-to', dumpTo()]);
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/--d-vit 768 disagrees with clip 'demo', which has 128/);
  });

  it('--slurm --dry-run prints the job-array script and submits nothing', () => {
    const out = dumpTo();
    const { status, stdout, stderr } = saev(['--data', 'fake', '--dump-to', out, '--n-jobs', '3', '--slurm', '--dry-run', '--slurm-partition', 'gpu', '--log-to', out]);
    expect(status, stderr).toBe(0);
    expect(stdout).toContain('#SBATCH --array=0-2\n');
    expect(stdout).toContain('#SBATCH --partition=gpu\n');
    expect(stdout).toMatch(/\nexec .*activations extract --data fake --dump-to \S+ --n-jobs 3\n?$/);
  });

  it('--n-jobs/--job-index write one share and say the directory is not complete yet', () => {
    const { status, stdout, stderr } = saev(['--data', 'fake', '--data-n-imgs', '4', '--n-patches-per-shard', '100', '--n-jobs', '2', '--job-index', '1', '--dump-to', dumpTo(), '--json']);
    expect(status, stderr).toBe(0);
    // 100 tokens / 50 per image -> 2 images per shard -> 2 shards; job 1 of 2 writes shard 1.
    expect(JSON.parse(stdout)).toMatchObject({ nShards: 2, nJobs: 2, jobIndex: 1, share: { first: 1, end: 2 }, written: [1], complete: false, dtype: 'float32' });
  });

  it('rejects a job index outside the jobs, and reads SLURM_ARRAY_TASK_ID', () => {
    expect(saev(['--data', 'fake', '--n-jobs', '2', '--job-index', '2', '--dump-to', dumpTo()]).stderr).toMatch(/job index 2 is outside 0\.\.1/);
    const r = spawnSync(process.execPath, [BIN, 'activations', 'extract', '--data', 'fake', '--dump-to', dumpTo()], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '4' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/job index 5 is outside 0\.\.3/);
  });

  it('rejects an unknown family before doing any work', () => {
    const { status, stderr } = saev(['--vit-family', 'resnet', '--dump-to', dumpTo()]);
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/Expected --vit-family=resnet to be one of: clip/);
  });
});
