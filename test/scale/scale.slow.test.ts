// Slow scale-out proofs, run by CI with SAEV_SLOW=1 (skipped otherwise):
// - kill -9 at 24 points (every named crash point: metadata/sidecar creation, after a batch, between a
//   shard's fsync and rename, between rename and marker; plus kills at random times during the work),
//   each followed by a rerun that may itself be killed, then a final rerun: byte-identical to one run;
// - --local with 3 child jobs: byte-identical, one progress line, failures named;
// - a real single-node Slurm cluster (started from slurm-local-cluster.sh when its daemons are
//   installed): a 4-task array through the CLI, byte-identical; then an array whose tasks are all
//   killed mid-run, one index resubmitted alone, then the rest, byte-identical again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTree } from '../extract/helpers.js';
import { SMALL_RUN as ARGS, saev, saevSync, shardDirOf } from './cli.js';

const SLOW = process.env.SAEV_SLOW === '1';
if (!SLOW)
  process.stderr.write(
    'test/scale/scale.slow.test.ts: skipped: it takes minutes; npm run test:slow (SAEV_SLOW=1) runs it, as CI does\n',
  );
const dumpTo = () => mkdtempSync(path.join(os.tmpdir(), 'saev-slow-'));

let reference: Map<string, Buffer>;
beforeAll(() => {
  if (!SLOW) return;
  const root = dumpTo();
  const r = saevSync([...ARGS, '--dump-to', root]);
  expect(r.status, r.stderr).toBe(0);
  reference = readTree(shardDirOf(root));
}, 120_000);

describe.skipIf(!SLOW)('kill -9 at 24 points, resume, compare bytes', () => {
  // 8 images, batches of 2 inside 3-image shards: batches per run = 2 + 2 + 1 = 5, shards = 3.
  const named = [
    'create-once#1', // metadata.json: temporary file written, not yet linked
    'create-once#2', // saev-tfjs.json
    'batch-written#1',
    'batch-written#3',
    'batch-written#5',
    'shard-synced#1', // fsynced, not yet renamed
    'shard-synced#2',
    'shard-synced#3', // the last shard's final write
    'shard-renamed#1', // renamed, marker not yet written
    'shard-renamed#2',
    'shard-renamed#3',
  ];
  it('every kill is resumed to the uninterrupted bytes', async () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // First occurrences are always reached while work remains, so a second kill in a row still fires.
    const firsts = ['create-once#1', 'create-once#2', 'batch-written#1', 'shard-synced#1', 'shard-renamed#1'];
    // Each directory: one named point, then a random one (a random first occurrence, or a kill at a
    // random time up to 400 ms after the job logged its shard directory), then a clean rerun.
    const plans: Array<Array<{ crashAt?: string; afterMs?: number }>> = named.map((crashAt, i) => [
      { crashAt },
      i % 3 === 2 ? { afterMs: Math.round(random() * 400) } : { crashAt: firsts[Math.floor(random() * firsts.length)] },
    ]);
    plans.push([{ afterMs: Math.round(random() * 400) }, { afterMs: Math.round(random() * 400) }]);
    const points = plans.flat();
    let kills = 0;
    for (const plan of plans) {
      const root = dumpTo();
      for (const step of plan) {
        const r = await saev(
          [...ARGS, '--dump-to', root],
          step.crashAt ? { SAEV_CRASH_AT: step.crashAt } : {},
          step.afterMs,
          /^shards: /m,
        );
        if (r.signal === 'SIGKILL') kills++;
        else expect(r.status, r.stderr).toBe(0); // a timed kill may come after the work is done
      }
      const final = await saev([...ARGS, '--dump-to', root]);
      expect(final.status, final.stderr).toBe(0);
      expect(readTree(shardDirOf(root)), `after ${JSON.stringify(plan)}`).toEqual(reference);
    }
    expect(points).toHaveLength(24);
    expect(kills).toBeGreaterThanOrEqual(20);
  }, 900_000);
});

describe.skipIf(!SLOW)('--local', () => {
  it('runs 3 child jobs with one combined progress line and gives the single-process bytes', async () => {
    const root = dumpTo();
    const r = await saev([...ARGS, '--dump-to', root, '--n-jobs', '3', '--local']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(shardDirOf(root));
    expect(r.stderr).toMatch(/^extract \(3 jobs\): 8\/8 images \(100\.0%\)/m);
    expect(r.stderr).not.toMatch(/^job \d: extract: \d/m); // the children's own progress lines are not shown
    expect(r.stderr).toMatch(/^job 2: job 2 of 3: shards 2-2 of 3$/m);
    expect(readTree(shardDirOf(root))).toEqual(reference);
  }, 300_000);

  it('fails with one line naming the job and its error when a child fails', async () => {
    const r = await saev([...ARGS, '--dump-to', dumpTo(), '--n-jobs', '2', '--local', '--d-vit', '7']);
    expect(r.status).not.toBe(0);
    expect(r.stderr.replace(/\s*\n ›\s+/g, ' ')).toMatch(
      /jobs: 2 of 2 local jobs failed: job 0 \(exit 1: config: --d-vit 7 disagrees/,
    );
  }, 300_000);
});

const CLUSTER = path.resolve(__dirname, 'slurm-local-cluster.sh');
const hasSlurm = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged'], {
      stdio: 'ignore',
    });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

if (SLOW && !hasSlurm)
  process.stderr.write(
    'test/scale/scale.slow.test.ts: the Slurm part skipped: no slurmctld/slurmd here (CI installs them as root)\n',
  );
describe.skipIf(!SLOW || !hasSlurm)('a real Slurm job array', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'saev-slurm-'));
  const env = { SLURM_TEST_DIR: base, SLURM_CONF: path.join(base, 'etc', 'slurm.conf') };
  beforeAll(() => {
    execFileSync(CLUSTER, ['start'], { env: { ...process.env, ...env }, stdio: 'inherit', timeout: 120_000 });
  }, 180_000);
  afterAll(() => {
    execFileSync(CLUSTER, ['stop'], { env: { ...process.env, ...env }, stdio: 'inherit', timeout: 60_000 });
  }, 90_000);

  const submit = (root: string, extra: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    saev([...ARGS, '--dump-to', root, '--slurm', '--wait', '--log-to', path.join(base, 'logs'), '--json', ...extra], {
      ...env,
      ...extraEnv,
    });

  it('4 tasks through the CLI assemble the single-process bytes', async () => {
    const root = dumpTo();
    const r = await submit(root, ['--n-jobs', '4']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.array).toBe('0-3');
    expect(doc.tasks.map((t: { state: string }) => t.state)).toEqual([
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ]);
    expect(readTree(shardDirOf(root))).toEqual(reference);
  }, 300_000);

  it('tasks killed mid-run are reported per task; resubmitting one index, then the rest, gives the same bytes', async () => {
    const root = dumpTo();
    // Every task dies with SIGKILL between its first shard's fsync and rename.
    const killed = await submit(root, ['--n-jobs', '3'], { SAEV_CRASH_AT: 'shard-synced#1' });
    expect(killed.status).not.toBe(0);
    expect(JSON.parse(killed.stdout).error.message).toMatch(
      /slurm: job \d+: task 0 FAILED .*task 1 FAILED .*task 2 FAILED/,
    );
    const one = await submit(root, ['--n-jobs', '3', '--job-index', '1']);
    expect(one.status, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).array).toBe('1');
    expect(readdirSync(shardDirOf(root))).toContain('acts000001.bin');
    expect(readdirSync(shardDirOf(root))).not.toContain('shards.json');
    const rest = await submit(root, ['--n-jobs', '3']);
    expect(rest.status, rest.stderr).toBe(0);
    expect(readTree(shardDirOf(root))).toEqual(reference);
  }, 300_000);
});
