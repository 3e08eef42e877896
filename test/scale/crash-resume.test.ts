// Crash safety through the real CLI: a process killed with SIGKILL at the moments that matter
// (inside metadata creation, between a shard's fsync and its rename, between the rename and its
// marker) is resumed by rerunning the same command, and the directory ends byte-identical to an
// uninterrupted run; and two processes started at once on one directory. Kept to a few child
// processes; the 20+-point kill loop, --local and real Slurm are in scale.slow.test.ts (SAEV_SLOW=1).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTree } from '../extract/helpers.js';
import { SMALL_RUN as ARGS, saev, saevSync, shardDirOf } from './cli.js';

const dumpTo = () => mkdtempSync(path.join(os.tmpdir(), 'saev-crash-'));

let reference: Map<string, Buffer>;
beforeAll(() => {
  const root = dumpTo();
  const r = saevSync([...ARGS, '--dump-to', root]);
  expect(r.status, r.stderr).toBe(0);
  reference = readTree(shardDirOf(root));
});

describe('kill -9 at a named point, then rerun', () => {
  for (const point of ['shard-synced#2']) {
    it(`${point}: the rerun resumes and the directory is byte-identical`, async () => {
      const root = dumpTo();
      const killed = await saev([...ARGS, '--dump-to', root], { SAEV_CRASH_AT: point });
      expect(killed.signal).toBe('SIGKILL');
      const resumed = await saev([...ARGS, '--dump-to', root]);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(readTree(shardDirOf(root))).toEqual(reference);
      const verify = saevSync(['activations', 'verify', shardDirOf(root)]);
      expect(verify.status, verify.stdout).toBe(0);
    });
  }
});

describe('the same job started twice at once', () => {
  it('both succeed, every shard is written once, and the bytes are right', async () => {
    const root = dumpTo();
    const [a, b] = await Promise.all([
      saev([...ARGS, '--dump-to', root, '--json']),
      saev([...ARGS, '--dump-to', root, '--json']),
    ]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const written = [...JSON.parse(a.stdout).written, ...JSON.parse(b.stdout).written].sort();
    expect(written).toEqual([0, 1, 2]);
    expect(readTree(shardDirOf(root))).toEqual(reference);
  });
});
