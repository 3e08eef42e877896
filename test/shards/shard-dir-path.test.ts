// Tests src/shards/shard-dir-path.ts: what a path without metadata.json is, in words a user can act on.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainNoMetadata } from '../../src/shards/shard-dir-path.js';

describe('explainNoMetadata', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'saev-path-'));
  const withShards = (names: string[]) => {
    const dir = mkdtempSync(path.join(root, 'dump-'));
    for (const name of names) {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, 'metadata.json'), '{}');
    }
    mkdirSync(path.join(dir, 'not-shards'));
    return dir;
  };

  it('names a missing path and a file', async () => {
    expect(await explainNoMetadata(path.join(root, 'nope'))).toBe(
      `${path.join(root, 'nope')} does not exist; pass a shard directory (<dump-to>/<hash>)`,
    );
    writeFileSync(path.join(root, 'f'), '');
    expect(await explainNoMetadata(path.join(root, 'f'))).toBe(
      `${path.join(root, 'f')} is a file, not a directory; pass the shard directory that holds it`,
    );
  });

  it('points from a --dump-to directory to the shard directories inside it', async () => {
    const one = withShards(['aa11']);
    expect(await explainNoMetadata(one)).toBe(
      `no metadata.json in ${one}; it holds the shard directory ${path.join(one, 'aa11')}: pass that`,
    );
    const many = withShards(['d4', 'a1', 'c3', 'b2']);
    expect(await explainNoMetadata(many)).toBe(
      `no metadata.json in ${many}; it holds 4 shard directories (${['a1', 'b2', 'c3'].map((n) => path.join(many, n)).join(', ')}, ...): pass one`,
    );
    expect(await explainNoMetadata(withShards([]))).toMatch(
      /^no metadata\.json in .*; pass a shard directory \(<dump-to>\/<hash>\)$/,
    );
  });
});
