import { promises as fs, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeImagenetDataset, setupImagenet } from '../../src/data/imagenet.js';
import { setupDataset } from '../../src/data/make-dataset.js';
import { decodeRgb } from '../../src/images/decode.js';
import { copyFixture, EXPECTED, FIXTURES, makeHooks, rgbDigest, useTempCache } from './helpers.js';

const ROOT = path.join(FIXTURES, 'imagenet');
const imagenet = (dataRoot: string, dataSplit?: string) => ({
  data: 'imagenet' as const,
  dataRoot,
  dataNImgs: 1,
  dataSplit,
});

describe('imagenet (Hugging Face parquet)', () => {
  beforeEach(() => {
    useTempCache();
  });

  it('the fixture really has several files, row groups, and snappy, zstd and uncompressed pages', () => {
    const files = EXPECTED.imagenet.files;
    expect(Object.keys(files)).toHaveLength(3);
    expect(files['train-00000-of-00002.parquet'].row_groups.length).toBeGreaterThan(1);
    expect(files['train-00001-of-00002.parquet'].codecs).toEqual(['ZSTD']);
    expect(files['train-00000-of-00002.parquet'].codecs).toEqual(['SNAPPY', 'UNCOMPRESSED']);
    expect(files['validation-00000-of-00001.parquet'].codecs).toEqual(['SNAPPY']);
    expect(files['validation-00000-of-00001.parquet'].page_index).toBe(true);
  });

  for (const split of ['train', 'validation']) {
    it(`item i of split '${split}' is load_dataset's item i: same pixels, target and ClassLabel name`, async () => {
      const { dataset, report } = await setupDataset(imagenet(ROOT, split), makeHooks());
      const expected = EXPECTED.imagenet[split] as Array<{
        target: number;
        label: string;
        width: number;
        height: number;
        sha256: string;
      }>;
      expect(dataset.nImgs).toBe(expected.length);
      expect(report.nImgs).toBe(expected.length);
      // read out of order, to exercise random access across row groups and files
      const order = [...expected.keys()].reverse();
      for (const i of order) {
        expect(rgbDigest(await dataset.getImage(i)), `index ${i}`).toEqual({
          width: expected[i].width,
          height: expected[i].height,
          sha256: expected[i].sha256,
        });
        expect(await dataset.getLabel!(i)).toEqual({ target: expected[i].target, label: expected[i].label });
      }
    });
  }

  it('gives each image undecoded (for worker threads): the bytes getImage decodes, named by file, row and index', async () => {
    const { dataset } = await setupDataset(imagenet(ROOT, 'train'), makeHooks());
    for (const [i, item] of (EXPECTED.imagenet.train as Array<{ sha256: string }>).entries()) {
      const { bytes, name } = await dataset.getEncodedImage!(i);
      expect(name).toMatch(new RegExp(`^${ROOT}/data/train-0000[01]-of-00002\\.parquet row \\d+ \\(index ${i}\\)$`));
      expect(rgbDigest(await decodeRgb(bytes, name)).sha256, `index ${i}`).toBe(item.sha256);
    }
  });

  it("has saev's repr and a summary with files, row groups and classes", async () => {
    const { dataset, report } = await setupDataset({ ...imagenet(ROOT), dataName: 'ILSVRC/imagenet-1k' });
    expect(dataset.repr).toBe("ImagenetDataset(name='ILSVRC/imagenet-1k', split='train')");
    expect(report.summary).toBe(`10 images (split 'train', 5 classes) in 2 parquet files, 5 row groups, under ${ROOT}`);
    const other = await setupDataset({ ...imagenet(ROOT, 'validation'), dataName: "me/it's" });
    expect(other.dataset.repr).toBe(`ImagenetDataset(name="me/it's", split='validation')`);
  });

  it('reads large row groups in blocks through the offset index (here: one row per block), same items', async () => {
    for (const split of ['train', 'validation']) {
      const { index, report } = await setupImagenet(ROOT, split, makeHooks());
      expect(index.files.map((f) => f.offsetIndex)).toEqual(split === 'train' ? [true, false] : [true]);
      const dataset = makeImagenetDataset(ROOT, 'x', index, report.summary, 1);
      const expected = EXPECTED.imagenet[split] as Array<{ sha256: string; target: number }>;
      for (const i of [...expected.keys()].reverse()) {
        expect(rgbDigest(await dataset.getImage(i)).sha256, `${split} ${i}`).toBe(expected[i].sha256);
        expect((await dataset.getLabel!(i)).target).toBe(expected[i].target);
      }
    }
  });

  it('reads a Hugging Face hub cache snapshot, whose files are symlinks to blobs', async () => {
    const snapshot = path.join(mkdtempSync(path.join(os.tmpdir(), 'saev-hub-')), 'snapshots', 'abc123');
    mkdirSync(path.join(snapshot, 'data'), { recursive: true });
    for (const name of ['train-00000-of-00002.parquet', 'train-00001-of-00002.parquet'])
      symlinkSync(path.join(ROOT, 'data', name), path.join(snapshot, 'data', name));
    const { dataset } = await setupDataset(imagenet(snapshot));
    expect(dataset.nImgs).toBe(10);
    expect(rgbDigest(await dataset.getImage(7)).sha256).toBe(EXPECTED.imagenet.train[7].sha256);
  });

  it('caches the index: a second setup reuses it, a changed file is detected', async () => {
    const root = copyFixture('imagenet');
    const first = await setupDataset(imagenet(root));
    expect(first.report.state).toBe('built');
    expect(first.report.indexPath!.startsWith(process.env.SAEV_CACHE!)).toBe(true);
    expect((await setupDataset(imagenet(root))).report.state).toBe('reused');
    // drop the second shard's last rows: rewrite the file with the first shard's bytes
    const shard = path.join(root, 'data', 'train-00001-of-00002.parquet');
    writeFileSync(shard, readFileSync(path.join(root, 'data', 'train-00000-of-00002.parquet')));
    const hooks = makeHooks();
    const third = await setupDataset(imagenet(root), hooks);
    expect(third.report.state).toBe('rebuilt');
    expect(third.report.nImgs).toBe(12);
    expect(hooks.lines.join('\n')).toMatch(/changed since it was indexed/);
  });

  describe('bad input: one line naming the file or row', () => {
    it('a split with no files', async () => {
      await expect(setupDataset(imagenet(ROOT, 'test'))).rejects.toThrow(
        /^data: split 'test' has no parquet files under .*imagenet \(expected data\/test-00000-of-0000N.parquet\); splits found: train, validation/,
      );
    });

    it('a truncated parquet file', async () => {
      const root = copyFixture('imagenet');
      const shard = path.join(root, 'data', 'train-00001-of-00002.parquet');
      const bytes = readFileSync(shard);
      writeFileSync(shard, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await expect(setupDataset(imagenet(root))).rejects.toThrow(
        `data: ${shard} has no parquet footer (no PAR1 magic at its end: truncated or corrupt); re-download it`,
      );
    });

    it('a bad footer (corrupt metadata length, then corrupt thrift)', async () => {
      const root = copyFixture('imagenet');
      const shard = path.join(root, 'data', 'train-00000-of-00002.parquet');
      const bytes = Buffer.from(readFileSync(shard));
      const length = bytes.readUInt32LE(bytes.length - 8);
      bytes.writeUInt32LE(bytes.length * 2, bytes.length - 8);
      writeFileSync(shard, bytes);
      await expect(setupDataset(imagenet(root))).rejects.toThrow(
        /^data: .*train-00000-of-00002.parquet has a bad parquet footer \(footer length \d+ exceeds the \d+-byte file/,
      );
      bytes.writeUInt32LE(length, bytes.length - 8);
      bytes.fill(0xff, bytes.length - 8 - length, bytes.length - 8 - length + 16);
      writeFileSync(shard, bytes);
      await expect(setupDataset(imagenet(root))).rejects.toThrow(
        /^data: .*train-00000-of-00002.parquet has a bad parquet footer \(/,
      );
    });

    it('a corrupt compressed page (footer intact) fails on its rows, naming file and rows', async () => {
      const root = copyFixture('imagenet');
      const shard = path.join(root, 'data', 'train-00001-of-00002.parquet'); // zstd
      const bytes = Buffer.from(readFileSync(shard));
      bytes.fill(0xff, 4, 64); // the first page header, right after the leading magic
      writeFileSync(shard, bytes);
      const { dataset } = await setupDataset(imagenet(root));
      await expect(dataset.getImage(6)).rejects.toThrow(`data: ${shard} rows 0-2 cannot be read (`);
      expect(rgbDigest(await dataset.getImage(5)).sha256).toBe(EXPECTED.imagenet.train[5].sha256);
    });

    it('a file that is not parquet at all', async () => {
      const root = copyFixture('imagenet');
      const shard = path.join(root, 'data', 'validation-00000-of-00001.parquet');
      writeFileSync(shard, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
      await expect(setupDataset(imagenet(root, 'validation'))).rejects.toThrow(
        `data: ${shard} is not a parquet file (no PAR1 magic at its start); re-download it`,
      );
    });

    it("a missing 'image' column", async () => {
      const file = path.join(FIXTURES, 'imagenet-bad', 'no-image', 'data', 'train-00000-of-00001.parquet');
      await expect(setupDataset(imagenet(path.join(FIXTURES, 'imagenet-bad', 'no-image')))).rejects.toThrow(
        `data: ${file} has no 'image' column (columns: img, label); expected a Hugging Face dataset with an Image feature named 'image'`,
      );
    });

    it('a non-image payload fails on its own row, and its neighbours still read', async () => {
      const root = path.join(FIXTURES, 'imagenet-bad', 'not-an-image');
      const { dataset } = await setupDataset(imagenet(root));
      expect(dataset.nImgs).toBe(3);
      const file = path.join(root, 'data', 'train-00000-of-00001.parquet');
      await expect(dataset.getImage(1)).rejects.toThrow(
        new RegExp(`^image: cannot decode ${file.replace(/[.]/g, '\\.')} row 1 \\(index 1\\) \\(`),
      );
      expect(rgbDigest(await dataset.getImage(0)).sha256).toBe(EXPECTED.imagenet.train[0].sha256);
      expect(rgbDigest(await dataset.getImage(2)).sha256).toBe(EXPECTED.imagenet.train[1].sha256);
      await expect(dataset.getImage(3)).rejects.toThrow(/^data: index 3 is outside the 3 images of /);
    });

    it('a missing root', async () => {
      await expect(setupDataset(imagenet('/nonexistent/imagenet'))).rejects.toThrow(
        /^data: imagenet root '\/nonexistent\/imagenet' does not exist/,
      );
    });
  });

  it('never keeps the cache inside the dataset root', async () => {
    const root = copyFixture('imagenet');
    await setupDataset(imagenet(root));
    const names = await fs.readdir(root, { recursive: true });
    expect(names.sort()).toEqual([
      'README.md',
      'data',
      'data/train-00000-of-00002.parquet',
      'data/train-00001-of-00002.parquet',
      'data/validation-00000-of-00001.parquet',
    ]);
  });
});
