import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { setupDataset } from '../../src/data/make-dataset.js';
import { decodeRgb } from '../../src/images/decode.js';
import { copyFixture, EXPECTED, FIXTURES, makeHooks, rgbDigest, useTempCache } from './helpers.js';

const folder = (dataRoot: string) => ({ data: 'image-folder' as const, dataRoot, dataNImgs: 1 });

describe('image-folder', () => {
  beforeEach(() => {
    useTempCache();
  });

  it("item i is torchvision ImageFolder's item i (JPEG, PNG, grey PNG, WebP, BMP, nested); other files skipped and counted", async () => {
    const root = path.join(FIXTURES, 'image-folder');
    const { dataset, report } = await setupDataset(folder(root));
    const expected = EXPECTED['image-folder'];
    expect(dataset.nImgs).toBe(expected.items.length);
    expect(report.details).toMatchObject({ nClasses: expected.classes.length, nSkipped: expected.nSkipped });
    expect(report.summary).toBe(`8 images in 4 classes under ${root}, 2 non-image files skipped`);
    for (const item of expected.items as Array<{
      index: number;
      target: number;
      width: number;
      height: number;
      sha256: string;
    }>) {
      expect(rgbDigest(await dataset.getImage(item.index)), `index ${item.index}`).toEqual({
        width: item.width,
        height: item.height,
        sha256: item.sha256,
      });
      expect(await dataset.getLabel!(item.index)).toEqual({
        target: item.target,
        label: expected.classes[item.target],
      });
    }
    expect(dataset.repr).toBe(`ImageFolderDataset(root='${root}')`);
  });

  it('gives each image undecoded (for worker threads): the file bytes getImage decodes, named as its errors name it', async () => {
    const root = path.join(FIXTURES, 'image-folder');
    const { dataset } = await setupDataset(folder(root));
    for (const item of EXPECTED['image-folder'].items as Array<{ index: number; sha256: string }>) {
      const { bytes, name } = await dataset.getEncodedImage!(item.index);
      expect(name).toMatch(new RegExp(`^${root}/.+ \\(index ${item.index}\\)$`));
      expect(Buffer.from(bytes).equals(readFileSync(name.replace(/ \(index \d+\)$/, '')))).toBe(true);
      expect(rgbDigest(await decodeRgb(bytes, name)).sha256, `index ${item.index}`).toBe(item.sha256);
    }
  });

  it('orders directories like sorted(os.walk()): by path string, not depth-first', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'saev-order-'));
    const jpg = readFileSync(path.join(FIXTURES, 'image-folder', 'animal', 'cat.jpg'));
    // '-' (0x2d) < '/' (0x2f): directory 'c/a-b' sorts between 'c/a' and 'c/a/sub'; 'B' < 'c' and 'Y' < 'y' by code
    // point.
    // Expected order from Python: classes sorted, then sorted(os.walk(class)), files sorted.
    for (const rel of [
      'c/a/y.jpg',
      'c/a-b/x.jpg',
      'c/ab/z.jpg',
      'c/top.jpg',
      'B/1.jpg',
      'c/a/Y.jpg',
      'c/a/sub/w.jpg',
    ]) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), jpg);
    }
    const { index } = await import('../../src/data/image-folder-index.js').then((m) =>
      m.setupImageFolder(root, makeHooks()),
    );
    const { getRelPath, getTarget } = await import('../../src/data/image-folder-index.js');
    const paths = [...Array(7).keys()].map((i) => getRelPath(index, i));
    expect(paths).toEqual([
      'B/1.jpg',
      'c/top.jpg',
      'c/a/Y.jpg',
      'c/a/y.jpg',
      'c/a-b/x.jpg',
      'c/a/sub/w.jpg',
      'c/ab/z.jpg',
    ]);
    expect([...Array(7).keys()].map((i) => getTarget(index, i))).toEqual([0, 1, 1, 1, 1, 1, 1]);
  });

  it('caches the listing; adding or renaming a file is detected', async () => {
    const root = copyFixture('image-folder');
    expect((await setupDataset(folder(root))).report.state).toBe('built');
    expect((await setupDataset(folder(root))).report.state).toBe('reused');
    writeFileSync(
      path.join(root, 'food', 'nested', 'more.png'),
      readFileSync(path.join(root, 'animal', 'cat_face.png')),
    );
    const again = await setupDataset(folder(root));
    expect(again.report).toMatchObject({ state: 'rebuilt', nImgs: 9 });
    renameSync(path.join(root, 'space', 'thumbs.db'), path.join(root, 'space', 'thumbs.jpg'));
    const renamed = await setupDataset(folder(root));
    expect(renamed.report).toMatchObject({ state: 'rebuilt', nImgs: 10, details: { nSkipped: 1 } });
  });

  it('an unwritable cache only costs time: a warning, and the dataset still reads', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'saev-file-')), 'a-file');
    writeFileSync(file, 'x');
    process.env.SAEV_CACHE = path.join(file, 'cache'); // under a regular file: not creatable, even as root
    const hooks = makeHooks();
    const { dataset } = await setupDataset(folder(path.join(FIXTURES, 'image-folder')), hooks);
    expect(dataset.nImgs).toBe(8);
    expect(hooks.lines.join('\n')).toMatch(
      /^warn: data: cannot cache the dataset index at .*a-file\/cache\/datasets\/image-folder-.*set SAEV_CACHE to a writable directory/,
    );
  });

  describe('bad input', () => {
    it('zero images (only non-image files)', async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'saev-empty-'));
      mkdirSync(path.join(root, 'cls'));
      writeFileSync(path.join(root, 'cls', 'readme.txt'), 'x');
      await expect(setupDataset(folder(root))).rejects.toThrow(
        `data: image-folder root '${root}' has no images with extensions .jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp in its 1 class folders (1 other files ignored)`,
      );
    });

    it('a class folder with no images, as torchvision refuses it (hidden folders count as classes there too)', async () => {
      const root = copyFixture('image-folder');
      mkdirSync(path.join(root, '.ipynb_checkpoints'));
      mkdirSync(path.join(root, 'zz-empty'));
      writeFileSync(path.join(root, 'zz-empty', 'notes.txt'), 'x');
      await expect(setupDataset(folder(root))).rejects.toThrow(
        `data: image-folder classes with no images under ${root}: '.ipynb_checkpoints', 'zz-empty'; torchvision's ImageFolder (and so saev) refuses them too: add images or remove the folders`,
      );
    });

    it('counts in the summary are singular when one', async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'saev-one-'));
      mkdirSync(path.join(root, 'only'));
      copyFileSync(path.join(FIXTURES, 'image-folder', 'food', 'espresso.webp'), path.join(root, 'only', 'a.webp'));
      writeFileSync(path.join(root, 'only', 'b.txt'), 'x');
      const { report } = await setupDataset(folder(root));
      expect(report.summary).toBe(`1 image in 1 class under ${root}, 1 non-image file skipped`);
    });

    it('no class folders, or no root', async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'saev-flat-'));
      writeFileSync(path.join(root, 'a.jpg'), 'x');
      await expect(setupDataset(folder(root))).rejects.toThrow(
        `data: image-folder root '${root}' has no class subdirectories (expected ${root}/<class>/<image>)`,
      );
      await expect(setupDataset(folder('/nonexistent/x'))).rejects.toThrow(
        "data: image-folder root '/nonexistent/x' does not exist or is not a directory; pass --data-root a directory of <class>/<image> folders",
      );
    });

    it('a corrupt image fails on its own index with its path', async () => {
      const root = copyFixture('image-folder');
      writeFileSync(path.join(root, 'food', 'espresso.webp'), 'not really webp');
      const { dataset } = await setupDataset(folder(root));
      await expect(dataset.getImage(2)).rejects.toThrow(
        `image: cannot decode ${path.join(root, 'food', 'espresso.webp')} (index 2) (`,
      );
      expect((await dataset.getImage(3)).width).toBeGreaterThan(0);
    });

    it('a link to a missing file counts, as in torchvision, and reading it says it is a broken link', async () => {
      const root = copyFixture('image-folder');
      symlinkSync(path.join(root, 'nowhere.jpg'), path.join(root, 'food', 'zz-link.jpg'));
      const { dataset } = await setupDataset(folder(root));
      const errors: string[] = [];
      for (let i = 0; i < dataset.nImgs; i++)
        await dataset.getImage(i).catch((error: Error) => errors.push(error.message));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        /^image: cannot read .*food\/zz-link\.jpg \(index \d+\): ENOENT.*; it is a link to a missing file$/,
      );
    });
  });
});
