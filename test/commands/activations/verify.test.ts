/**
 * `saev activations verify` as a user runs it (built CLI, child process): exit 0 and one summary line
 * for a good directory, one line per problem and exit 1 for a damaged one, and a --json report.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../../bin/run.js');
const saev = (args: string[]) =>
  spawnSync(process.execPath, [BIN, 'activations', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });

let dir: string;
beforeAll(() => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'saev-verify-cli-'));
  const r = saev([
    'extract',
    '--data',
    'fake',
    '--data-n-imgs',
    '4',
    '--vit-layers=-1',
    '--n-patches-per-shard',
    '150',
    '--dump-to',
    root,
    '--dtype',
    'float16',
  ]);
  expect(r.status, r.stderr).toBe(0);
  dir = path.join(root, readdirSync(root)[0]);
});

describe('saev activations verify', () => {
  it('passes a good directory with exit 0', () => {
    const r = saev(['verify', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('ok: 2 of 2 shards verified (4 images, float16)\n');
  });

  it('lists each problem and exits 1, also with --json', () => {
    const file = path.join(dir, 'acts000000.bin');
    const bytes = readFileSync(file);
    bytes.writeUInt16LE(0x7e00, 0); // a float16 NaN in row 0
    writeFileSync(file, bytes);
    const r = saev(['verify', dir]);
    expect(r.status).toBe(1);
    expect(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':')[0]),
    ).toEqual(['checksum', 'nonfinite', 'FAILED']);
    const json = saev(['verify', dir, '--json']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      nShards: 2,
      dtype: 'float16',
      problems: [{ kind: 'checksum', file: 'acts000000.bin' }, { kind: 'nonfinite' }],
    });
  });
});
