/**
 * The `saev activations extract` command as a user runs it: the built CLI in a
 * child process (test/build-dist.ts builds it first when stale), flags as saev spells them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../../bin/run.js');

function saev(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, 'activations', 'extract', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
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
      const { status, stdout, stderr } = saev([
        ...layers,
        '--data',
        'fake',
        '--data-n-imgs',
        '3',
        '--dump-to',
        dumpTo(),
        '--json',
      ]);
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
    const { status, stdout, stderr } = saev([
      '--data',
      'fake',
      '--dump-to',
      out,
      '--n-jobs',
      '3',
      '--slurm',
      '--dry-run',
      '--slurm-partition',
      'gpu',
      '--log-to',
      out,
    ]);
    expect(status, stderr).toBe(0);
    expect(stdout).toContain('#SBATCH --array=0-2\n');
    expect(stdout).toContain('#SBATCH --partition=gpu\n');
    expect(stdout).toMatch(/\nexec .*activations extract --data fake --dump-to \S+ --n-jobs 3\n?$/);
  });

  it('--slurm puts the task logs beside the shards unless --log-to says otherwise', () => {
    const out = dumpTo();
    const { status, stdout, stderr } = saev([
      '--data',
      'fake',
      '--dump-to',
      out,
      '--n-jobs',
      '2',
      '--slurm',
      '--dry-run',
    ]);
    expect(status, stderr).toBe(0);
    expect(stdout).toContain(`#SBATCH --output=${path.join(out, 'logs')}/saev-extract-%A_%a.out\n`);
  });

  it('--n-jobs/--job-index write one share and say the directory is not complete yet', () => {
    const { status, stdout, stderr } = saev([
      '--data',
      'fake',
      '--data-n-imgs',
      '4',
      '--n-patches-per-shard',
      '100',
      '--n-jobs',
      '2',
      '--job-index',
      '1',
      '--dump-to',
      dumpTo(),
      '--json',
    ]);
    expect(status, stderr).toBe(0);
    // 100 tokens / 50 per image -> 2 images per shard -> 2 shards; job 1 of 2 writes shard 1.
    expect(JSON.parse(stdout)).toMatchObject({
      nShards: 2,
      nJobs: 2,
      jobIndex: 1,
      share: { first: 1, end: 2 },
      written: [1],
      complete: false,
      dtype: 'float32',
    });
  });

  it('rejects a job index outside the jobs, and reads SLURM_ARRAY_TASK_ID', () => {
    expect(saev(['--data', 'fake', '--n-jobs', '2', '--job-index', '2', '--dump-to', dumpTo()]).stderr).toMatch(
      /job index 2 is outside 0\.\.1/,
    );
    const r = spawnSync(process.execPath, [BIN, 'activations', 'extract', '--data', 'fake', '--dump-to', dumpTo()], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '4' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/job index 5 is outside 0\.\.3/);
  });

  it('--format saev-2.1 writes into <dump-to>/saev/shards/<8 hex> and says so in the JSON; --slurm passes it on', () => {
    const out = dumpTo();
    const { status, stdout, stderr } = saev([
      '--data',
      'fake',
      '--data-n-imgs',
      '3',
      '--format',
      'saev-2.1',
      '--dump-to',
      out,
      '--json',
    ]);
    expect(status, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      format: 'saev-2.1',
      nImgs: 3,
      complete: true,
      shardDir: expect.stringMatching(new RegExp(`^${out}/saev/shards/[0-9a-f]{8}$`)),
    });
    const slurm = saev([
      '--data',
      'fake',
      '--format',
      'saev-2.1',
      '--dump-to',
      out,
      '--n-jobs',
      '2',
      '--slurm',
      '--dry-run',
      '--log-to',
      out,
    ]);
    expect(slurm.stdout).toMatch(
      /\nexec .*activations extract --data fake --format saev-2\.1 --dump-to \S+ --n-jobs 2\n?$/,
    );
  });

  it('refuses, in one line, what protocol 2.1 cannot hold', () => {
    const r = saev(['--vit-family', 'moondream2', '--format', 'saev-2.1', '--data', 'fake', '--dump-to', dumpTo()]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toMatch(
      /^(Error: )?config: saev's protocol 2\.1 has no family name for --vit-family moondream2 \(it knows [^\n]*\); use --format saev-0\.1$/,
    );
  });

  it('rejects an unknown family before doing any work', () => {
    const { status, stderr } = saev(['--vit-family', 'resnet', '--dump-to', dumpTo()]);
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/Expected --vit-family=resnet to be one of: clip/);
  });
});

describe('saev activations extract, mistakes caught before TensorFlow loads', () => {
  it('a missing checkpoint says it does not exist and how to convert one, before any backend line', () => {
    const { status, stderr } = saev(['--vit-ckpt', './no-such-model', '--dump-to', dumpTo()]);
    expect(status).toBe(1);
    expect(stderr).not.toMatch(/backend:|oneDNN|absl/);
    expect(stderr.trim().split('\n').pop()).toBe(
      "Error: models: checkpoint './no-such-model' does not exist; pass a checkpoint file, a converted model directory (convert one first: npx saev convert <checkpoint file> --family clip --out <dir>) or a name (README 'Checkpoints by name')",
    );
  });

  it('a --dump-to that is a file is named as such, before any backend line', () => {
    const file = path.join(dumpTo(), 'a-file');
    writeFileSync(file, '');
    const { status, stderr } = saev(['--dump-to', file]);
    expect(status).toBe(1);
    expect(stderr).not.toMatch(/backend:|oneDNN|absl/);
    expect(stderr).toContain(`Error: shards: --dump-to ${file} is a file, not a directory`);
  });

  it('names the model in the JSON summary and warns on stderr that random weights are not a trained model', () => {
    const { status, stdout, stderr } = saev([
      '--vit-ckpt',
      'random:demo@3',
      '--data',
      'fake',
      '--data-n-imgs',
      '2',
      '--dump-to',
      dumpTo(),
      '--json',
    ]);
    expect(status, stderr).toBe(0);
    expect(JSON.parse(stdout).model).toMatchObject({ family: 'clip', ckpt: 'random:demo@3', kind: 'random' });
    expect(stderr).toMatch(/warning: 'random:demo@3' has random weights, not a trained model/);
  });
});

describe('saev activations extract, stopped and rerun', () => {
  it('on SIGINT says how many shards are complete and that rerunning resumes; the rerun says what it resumes', async () => {
    const out = dumpTo();
    // 5 images per shard (2 layers x 50 tokens), 60 images: 12 shards, a few seconds on any backend.
    const args = [
      BIN,
      'activations',
      'extract',
      '--data',
      'fake',
      '--data-n-imgs',
      '60',
      '--vit-layers=-2,-1',
      '--n-patches-per-shard',
      '500',
      '--vit-batch-size',
      '5',
      '--dump-to',
      out,
    ];
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const shardDir = await waitFor(() => readdirSync(out).find((name) => /^[0-9a-f]{64}$/.test(name)));
    await waitFor(() => readdirSync(path.join(out, shardDir, '.saev-tfjs')).some((name) => name.endsWith('.done')));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    const stopped =
      /interrupted \(SIGINT\): (\d+) of 12 shards complete in (\S+); rerun the same command to resume/.exec(stderr);
    expect(stopped, stderr).not.toBeNull();
    expect(stopped![2]).toBe(path.join(out, shardDir));
    const nDone = Number(stopped![1]);
    expect(nDone).toBeGreaterThan(0);
    const rerun = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(rerun.status, rerun.stderr).toBe(0);
    if (nDone < 12) expect(rerun.stderr).toContain(`resuming: ${nDone} of 12 shards complete (${nDone * 5} images)`);
    expect(rerun.stderr).toMatch(/the shard is complete|all 12 shards complete/);
  });
});

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      const value = probe();
      if (value) return value;
    } catch {
      // not there yet
    }
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
