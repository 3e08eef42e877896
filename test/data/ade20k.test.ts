import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { setupDataset } from '../../src/data/make-dataset.js';
import { decodeRgb } from '../../src/images/decode.js';
import { copyFixture, EXPECTED, FIXTURES, makeHooks, rgbDigest, useTempCache } from './helpers.js';
import { createHash } from 'node:crypto';

const ROOT = path.join(FIXTURES, 'ade20k');
const ade20k = (dataRoot: string, dataSplit?: string) => ({
  data: 'ade20k' as const,
  dataRoot,
  dataNImgs: 1,
  dataSplit,
});

describe('ade20k (ADEChallengeData2016)', () => {
  beforeEach(() => {
    useTempCache();
  });

  for (const split of ['training', 'validation']) {
    it(`item i of '${split}' has the producer's pixels, segmentation and scene (keyed by stem)`, async () => {
      const { dataset } = await setupDataset(ade20k(ROOT, split));
      const expected = EXPECTED.ade20k[split] as Array<{
        stem: string;
        label: string;
        target: number;
        width: number;
        height: number;
        sha256: string;
        seg_sha256: string;
      }>;
      expect(dataset.nImgs).toBe(expected.length);
      for (const [i, item] of expected.entries()) {
        expect(rgbDigest(await dataset.getImage(i))).toEqual({
          width: item.width,
          height: item.height,
          sha256: item.sha256,
        });
        expect(await dataset.getLabel!(i)).toEqual({ target: item.target, label: item.label });
        const seg = await dataset.getSegmentation!(i);
        expect([seg.width, seg.height]).toEqual([item.width, item.height]);
        expect(createHash('sha256').update(seg.data).digest('hex')).toBe(item.seg_sha256);
      }
    });
  }

  it('gives each image undecoded (for worker threads): the file bytes getImage decodes, named as its errors name it', async () => {
    const { dataset } = await setupDataset(ade20k(ROOT, 'training'));
    for (const [i, item] of (EXPECTED.ade20k.training as Array<{ stem: string; sha256: string }>).entries()) {
      const { bytes, name } = await dataset.getEncodedImage!(i);
      expect(name).toBe(`${path.join(ROOT, 'images', 'training', `${item.stem}.jpg`)} (index ${i})`);
      expect(rgbDigest(await decodeRgb(bytes, name)).sha256).toBe(item.sha256);
    }
  });

  it('validation labels are not the first lines of sceneCategories.txt (the bug of saev 0.1.0)', async () => {
    // the fixture lists validation stems first; a zip of training images with all lines would be shifted
    const lines = readFileSync(path.join(ROOT, 'sceneCategories.txt'), 'utf8').trim().split('\n');
    expect(lines[0].startsWith('ADE_val_')).toBe(true);
    const { dataset } = await setupDataset(ade20k(ROOT, 'training'));
    const got = await Promise.all(
      [...Array(dataset.nImgs).keys()].map(async (i) => (await dataset.getLabel!(i)).label),
    );
    expect(got).toEqual(EXPECTED.ade20k.training.map((x: { label: string }) => x.label));
    expect(got).not.toEqual(lines.slice(0, got.length).map((l) => l.split(' ')[1]));
  });

  it("has saev's repr and default split", async () => {
    const { dataset, report } = await setupDataset(ade20k('./test/fixtures/data/ade20k'));
    expect(dataset.repr).toBe("Ade20kDataset(root='./test/fixtures/data/ade20k', split='training')");
    expect(report.summary).toBe(
      "6 images (split 'training', 8 scenes, with segmentation maps) under ./test/fixtures/data/ade20k",
    );
  });

  it('caches, and notices a removed image', async () => {
    const root = copyFixture('ade20k');
    expect((await setupDataset(ade20k(root, 'validation'))).report.state).toBe('built');
    expect((await setupDataset(ade20k(root, 'validation'))).report.state).toBe('reused');
    rmSync(path.join(root, 'images', 'validation', 'ADE_val_00000003.jpg'));
    const hooks = makeHooks();
    const again = await setupDataset(ade20k(root, 'validation'), hooks);
    expect(again.report).toMatchObject({ state: 'rebuilt', nImgs: 2 });
  });

  describe('bad input', () => {
    it('an image without annotation', async () => {
      const root = copyFixture('ade20k');
      rmSync(path.join(root, 'annotations', 'training', 'ADE_train_00000004.png'));
      await expect(setupDataset(ade20k(root))).rejects.toThrow(
        `data: ade20k image ${path.join(root, 'images/training/ADE_train_00000004.jpg')} has no annotation ${path.join(root, 'annotations/training/ADE_train_00000004.png')}`,
      );
    });

    it('an image without scene label', async () => {
      const root = copyFixture('ade20k');
      const scenes = path.join(root, 'sceneCategories.txt');
      writeFileSync(scenes, readFileSync(scenes, 'utf8').replace(/^ADE_val_00000002 .*\n/m, ''));
      await expect(setupDataset(ade20k(root, 'validation'))).rejects.toThrow(
        `data: ade20k image ${path.join(root, 'images/validation/ADE_val_00000002.jpg')} has no scene label in ${scenes} (no line 'ADE_val_00000002 <scene>')`,
      );
    });

    it('a root without images/ or a bad split', async () => {
      await expect(setupDataset(ade20k(FIXTURES))).rejects.toThrow(
        /^data: ade20k root '.*' has no images\/training\/ directory/,
      );
      await expect(setupDataset(ade20k(ROOT, 'test'))).rejects.toThrow(
        "config: ade20k --data-split must be one of training, validation, found 'test'",
      );
    });
  });
});
