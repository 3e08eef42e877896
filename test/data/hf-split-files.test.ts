import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getSplitFiles } from '../../src/data/hf-split-files.js';

function tree(files: string[]): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'saev-hf-'));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), '');
  }
  return root;
}

describe('getSplitFiles (which files datasets.load_dataset(<dir>, split=...) reads)', () => {
  it('push_to_hub shards: data/<split>-NNNNN-of-NNNNN.parquet, sorted, other splits excluded', () => {
    const root = tree([
      'data/train-00001-of-00002.parquet',
      'data/train-00000-of-00002.parquet',
      'data/validation-00000-of-00001.parquet',
      'data/train_extra-00000-of-00001.parquet',
      'README.md',
    ]);
    return expect(getSplitFiles(root, 'train')).resolves.toEqual([
      'data/train-00000-of-00002.parquet',
      'data/train-00001-of-00002.parquet',
    ]);
  });

  it('without shards: a directory named after the split, or the split as a word in the file name', async () => {
    expect(await getSplitFiles(tree(['train/b.parquet', 'train/a.parquet', 'test/c.parquet']), 'train')).toEqual([
      'train/a.parquet',
      'train/b.parquet',
    ]);
    expect(
      await getSplitFiles(
        tree(['foo/train-part1.parquet', 'validation.parquet', 'trainer.parquet', '.hidden/train.parquet']),
        'train',
      ),
    ).toEqual(['foo/train-part1.parquet']);
    expect(await getSplitFiles(tree(['validation.parquet']), 'validation')).toEqual(['validation.parquet']);
  });

  it('a split with no files names the splits that exist', async () => {
    const root = tree(['data/train-00000-of-00001.parquet']);
    await expect(getSplitFiles(root, 'validation')).rejects.toThrow(
      `data: split 'validation' has no parquet files under ${root} (expected data/validation-00000-of-0000N.parquet); splits found: train; check --data-split and --data-root`,
    );
    const empty = tree(['README.md']);
    await expect(getSplitFiles(empty, 'train')).rejects.toThrow(/; no parquet files at all; check --data-split/);
  });
});
