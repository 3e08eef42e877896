/**
 * The `saev activations stats` command as a user runs it: the built CLI in a child process (dist/,
 * compiled first by test/build-dist.ts when stale), on hand-made shards; --n-jobs runs worker threads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeShardDir } from '../../reader/helpers.js';

const BIN = path.resolve(__dirname, '../../../bin/run.js');

function saev(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, 'activations', 'stats', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const spec = { nImgs: 11, layers: [2, 5], nPatchesPerImg: 3, clsToken: true, dVit: 5, nPatchesPerShard: 2 * 4 * 3 };

describe('saev activations stats', () => {
  it('prints the text summary on stdout, progress on stderr, and writes the files', () => {
    const m = makeShardDir(spec);
    const { status, stdout, stderr } = saev([m.dir]);
    expect(status, stderr).toBe(0);
    expect(stdout.split('\n')[0]).toBe('11 images, d = 5, float32, layers [2, 5]');
    expect(stdout).toMatch(/^\s+5\s+patches\s+33 /m);
    expect(stdout).toMatch(/^\s+2\s+cls\s+11 /m);
    expect(stderr).toMatch(/stats: 11 images x 2 passes in/);
    expect(stderr).toMatch(/stats: wrote stats-mean-patches\.npy, .*stats\.json in /);
    for (const f of ['stats.json', 'stats-mean-patches.npy', 'stats-mean-cls.npy', 'stats-norm-hist.png', 'stats.txt'])
      expect(existsSync(path.join(m.dir, f))).toBe(true);
    expect(stderr).not.toMatch(/warning/);
    expect(stdout).toMatch(/^ {2}normScalar: centredMeanNorm \/ sqrt\(d\): saev 0\.1\.0's scalar/m);
  });

  it('warns on stderr, exit 0, when tokens hold NaN or infinite values', () => {
    const m = makeShardDir({
      ...spec,
      valueAt: (n, l, t, d) =>
        n === 3 && t === 1 && d === 0 ? NaN : n === 4 && t === 0 && d < 2 ? -Infinity : n + t + d,
    });
    const { status, stderr } = saev([m.dir, '--no-plots']);
    expect(status, stderr).toBe(0);
    // NaN at (image 3, patch token 1) and two -Inf at (image 4, CLS), in both layers
    expect(stderr).toContain(
      `stats: warning: 4 tokens hold NaN or infinite values (2 NaN, 4 infinite) and are left out of every statistic; saev activations verify ${m.dir} names their shards`,
    );
  });

  it('--json prints one document, and --n-jobs 3 gives the same numbers as one job', () => {
    const m = makeShardDir(spec);
    const one = saev([m.dir, '--json', '--no-plots']);
    const three = saev([m.dir, '--json', '--no-plots', '--n-jobs', '3']);
    expect(one.status, one.stderr).toBe(0);
    expect(three.status, three.stderr).toBe(0);
    const [a, b] = [JSON.parse(one.stdout), JSON.parse(three.stdout)];
    expect(a.layers).toHaveLength(2);
    for (const [l, layer] of a.layers.entries()) {
      for (const pop of ['cls', 'patches']) {
        for (const [k, v] of Object.entries(layer[pop] as Record<string, number>)) {
          const w = b.layers[l][pop][k];
          expect(w === v || Math.abs(w / v - 1) < 1e-12, `${pop}.${k}: ${v} vs ${w}`).toBe(true);
        }
      }
    }
  });

  it('fails with one line on a truncated shard', () => {
    const m = makeShardDir(spec);
    truncateSync(path.join(m.dir, 'acts000001.bin'), 7);
    const { status, stderr } = saev([m.dir]);
    expect(status).toBe(1);
    expect(stderr).toMatch(
      /^Error: reader: \S*acts000001\.bin has 7 bytes, metadata\.json implies 480 .*it is truncated, re-extract it\n$/,
    );
  });

  it('fails with one line naming what the path is, however long', () => {
    const m = makeShardDir(spec);
    const parent = path.dirname(m.dir);
    const { status, stderr } = saev([path.join(m.dir, 'metadata.json')]);
    expect(status).toBe(1);
    expect(stderr).toBe(
      `Error: reader: ${path.join(m.dir, 'metadata.json')} is a file, not a directory; pass the shard directory that holds it\n`,
    );
    const missing = saev([path.join(parent, 'no-such-directory-'.repeat(6))]);
    expect(missing.stderr).toMatch(
      /^Error: reader: \S+ does not exist; pass a shard directory \(<dump-to>\/<hash>\)\n$/,
    );
    const json = saev([path.join(parent, 'no-such-directory'), '--json']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout).error.message).toMatch(/does not exist/);
  });
});
