/**
 * `saev activations setup` as a user runs it: the built CLI in a child process
 * (test/build-dist.ts builds it first when stale), with a private SAEV_CACHE.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../../bin/run.js');
const FIXTURES = path.resolve(__dirname, '../../fixtures/data');

function saev(args: string[], cache: string) {
  const result = spawnSync(process.execPath, [BIN, 'activations', 'setup', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', OCLIF_COLUMNS: '1000', SAEV_CACHE: cache },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

describe('saev activations setup', () => {
  it('imagenet: --json gives one document with nImgs; a second run reuses the cache', () => {
    const cache = tmp('saev-cache-');
    const args = [
      '--data',
      'imagenet',
      '--data-root',
      path.join(FIXTURES, 'imagenet'),
      '--data-split',
      'train',
      '--json',
    ];
    const first = saev(args, cache);
    expect(first.status, first.stderr).toBe(0);
    const doc = JSON.parse(first.stdout);
    expect(doc).toMatchObject({
      kind: 'imagenet',
      nImgs: 10,
      state: 'built',
      repr: "ImagenetDataset(name='ILSVRC/imagenet-1k', split='train')",
    });
    expect(doc.indexPath.startsWith(cache)).toBe(true);
    const second = JSON.parse(saev(args, cache).stdout);
    expect(second).toMatchObject({ nImgs: 10, state: 'reused' });
  });

  it('ade20k: prints a summary for people, and detects a changed dataset', () => {
    const cache = tmp('saev-cache-');
    const root = path.join(tmp('saev-ade-'), 'ade20k');
    cpSync(path.join(FIXTURES, 'ade20k'), root, { recursive: true });
    const first = saev(['--data', 'ade20k', '--data-root', root, '--data-split', 'validation'], cache);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^3 images \(split 'validation', 8 scenes, with segmentation maps\) under .*\nindex built: .*ade20k-ade20k-[0-9a-f]{16}\.json \(/,
    );
    rmSync(path.join(root, 'images', 'validation', 'ADE_val_00000001.jpg'));
    const second = saev(['--data', 'ade20k', '--data-root', root, '--data-split', 'validation'], cache);
    expect(second.stdout).toMatch(/^2 images .*\ndataset changed, index rebuilt/);
    expect(readdirSync(root).sort()).toEqual(['annotations', 'images', 'sceneCategories.txt']);
  });

  it('image-folder: the summary counts skipped non-image files', () => {
    const { status, stdout } = saev(
      ['--data', 'image-folder', '--data-root', path.join(FIXTURES, 'image-folder'), '--json'],
      tmp('saev-cache-'),
    );
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ nImgs: 8, details: { nClasses: 4, nSkipped: 2 } });
  });

  it('bad input: one line on stderr and a non-zero exit', () => {
    const noSplit = saev(
      ['--data', 'imagenet', '--data-root', path.join(FIXTURES, 'imagenet'), '--data-split', 'test'],
      tmp('saev-cache-'),
    );
    expect(noSplit.status).not.toBe(0);
    expect(noSplit.stderr).toMatch(
      /data: split 'test' has no parquet files under .*; check --data-split and --data-root/,
    );
    const noRoot = saev(['--data', 'imagenet'], tmp('saev-cache-'));
    expect(noRoot.status).not.toBe(0);
    expect(noRoot.stderr).toMatch(/config: --data imagenet needs --data-root/);
  });
});
