/**
 * saev 0.1.0's own Metadata and Dataset read our shards (scripts/saev-interop.py). Runs when
 * SAEV_INTEROP_PYTHON names a Python with saev installed (`python3 scripts/saev-interop.py setup <venv>`);
 * skipped otherwise, unless SAEV_INTEROP_REQUIRED=1 (CI), where a missing Python fails. Uses the built
 * dist/scripts/dump-reader-items.js (test/build-dist.ts builds it first when stale).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStats } from '../../src/stats/run-stats.js';
import { makeShardDir } from './helpers.js';

const PYTHON = process.env.SAEV_INTEROP_PYTHON;
const REQUIRED = process.env.SAEV_INTEROP_REQUIRED === '1';
if (!PYTHON && !REQUIRED) {
  process.stderr.write(
    'test/reader/saev-interop.test.ts: skipped: set SAEV_INTEROP_PYTHON to a Python with saev 0.1.0 (python3 scripts/saev-interop.py setup <venv>), as CI does\n',
  );
}
const SCRIPT = path.resolve(__dirname, '../../scripts/saev-interop.py');

function compare(dir: string) {
  const r = spawnSync(PYTHON!, [SCRIPT, 'compare', dir], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { checked: string[]; known: string[]; failures: string[] };
}

describe.runIf(PYTHON || REQUIRED)('saev 0.1.0 reads saev-tfjs shards', () => {
  it('has a Python with saev (SAEV_INTEROP_PYTHON)', () => {
    expect(PYTHON, 'set SAEV_INTEROP_PYTHON; see scripts/saev-interop.py setup').toBeTruthy();
  });

  it('with CLS, over shard boundaries: Metadata, hash, all nine lengths, the five item modes, and our stats files equal', async () => {
    const m = makeShardDir({
      nImgs: 7,
      layers: [-3, -1],
      nPatchesPerImg: 3,
      clsToken: true,
      dVit: 4,
      nPatchesPerShard: 2 * 4 * 3 + 5,
    });
    await runStats(m.dir, { plots: false, progressStream: { write: () => true } as unknown as NodeJS.WritableStream });
    const report = compare(m.dir);
    expect(report.failures).toEqual([]);
    expect(report.known).toEqual([]);
    expect(report.checked).toContain('Metadata.load and Metadata.hash');
    expect(report.checked.filter((c) => /and \d+ items equal \(/.test(c))).toHaveLength(2 + 1 + 2 + 1 + 2); // cls x2, cls/mp, mp x2, mp/mp, patches x2
    expect(report.checked.filter((c) => /no item access/.test(c))).toHaveLength(4);
    expect(report.checked.filter((c) => /^stats (patches|cls): numpy\.load mean/.test(c))).toHaveLength(2);
    expect(report.checked.filter((c) => /items equal numpy's read of the raw shards/.test(c))).toHaveLength(3 * 4); // 3 patch modes x (2 layers, all, meanpool)
  });

  it("reads what the project's own extraction writes: the demo model, two layers, four shards, the last partial", () => {
    const dumpTo = mkdtempSync(path.join(os.tmpdir(), 'saev-interop-'));
    const cli = path.resolve(__dirname, '../../bin/run.js');
    const run = spawnSync(
      process.execPath,
      [cli, 'activations', 'extract', '--vit-layers', '-3', '-1', '--n-patches-per-shard', '317', '--dump-to', dumpTo],
      { encoding: 'utf8', timeout: 300_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const shardDir = run.stdout.trim().split('\n').at(-1)!;
    expect(readdirSync(shardDir).filter((f) => /^acts\d{6}\.bin$/.test(f))).toHaveLength(4); // 10 images, 3 per shard
    const report = compare(shardDir);
    expect(report.failures).toEqual([]);
    expect(report.known).toEqual([]);
    expect(report.checked).toContain('Metadata.load and Metadata.hash');
    expect(report.checked.filter((c) => /items equal numpy's read of the raw shards/.test(c))).toHaveLength(3 * 4);
    expect(report.checked.filter((c) => /and \d+ items equal \(/.test(c))).toHaveLength(8);
  });

  it('without CLS: the saev 0.1.0 reader bug is reported as known, ours is not bent', () => {
    const m = makeShardDir({
      nImgs: 5,
      layers: [-2],
      nPatchesPerImg: 3,
      clsToken: false,
      dVit: 2,
      nPatchesPerShard: 6,
    });
    const report = compare(m.dir);
    expect(report.failures).toEqual([]);
    expect(report.known.join('\n')).toMatch(/seed CLS bug/);
    // Ours refuses the three cls modes; the other six equal numpy's read with no CLS token (T = P).
    expect(report.checked.filter((c) => /items equal numpy's read of the raw shards/.test(c))).toHaveLength(6);
  });

  it('float16 shards: saev 0.1.0 Metadata refuses the dtype field (known)', () => {
    const m = makeShardDir({
      nImgs: 3,
      layers: [-2],
      nPatchesPerImg: 2,
      clsToken: true,
      dVit: 2,
      nPatchesPerShard: 6,
      dtype: 'float16',
    });
    const report = compare(m.dir);
    expect(report.known.join('\n')).toMatch(/refuses dtype='float16'/);
  });
});
