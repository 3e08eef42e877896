import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { setupDataset } from '../../src/data/make-dataset.js';
import {
  computePatchLabels,
  getPatchLabels,
  resizeNearestLikePillow,
  writePatchLabels,
} from '../../src/data/patch-labels.js';
import type { PreprocessSpec } from '../../src/images/preprocess.js';
import { EXPECTED, FIXTURES, useTempCache } from './helpers.js';

const specOf = (s: { resize: 'shortest' | 'squash'; resizeSize: number; cropSize: number | null }): PreprocessSpec => ({
  ...s,
  filter: 'bicubic',
  mean: [0, 0, 0],
  std: [1, 1, 1],
});

describe('per-patch majority labels', () => {
  beforeEach(() => {
    useTempCache();
  });

  for (const [name, s] of Object.entries(
    EXPECTED.ade20k.specs as Record<
      string,
      { resize: 'shortest' | 'squash'; resizeSize: number; cropSize: number | null; patchSize: number }
    >,
  )) {
    it(`match PIL NEAREST resize + crop + bincount argmax (${name})`, async () => {
      for (const split of ['training', 'validation']) {
        const { dataset } = await setupDataset({
          data: 'ade20k',
          dataRoot: path.join(FIXTURES, 'ade20k'),
          dataNImgs: 1,
          dataSplit: split,
        });
        const expected = EXPECTED.ade20k[split] as Array<{ patch_labels: Record<string, number[]> }>;
        const nPatches = expected[0].patch_labels[name].length;
        const all = await computePatchLabels(dataset, specOf(s), s.patchSize, nPatches);
        expect(all.length).toBe(dataset.nImgs * nPatches);
        for (const [i, item] of expected.entries())
          expect([...all.subarray(i * nPatches, (i + 1) * nPatches)], `${split} ${i}`).toEqual(item.patch_labels[name]);
      }
    });
  }

  it('labels.bin is uint8 [n_imgs, n_patches], row i = dataset index i, written atomically', async () => {
    const { dataset } = await setupDataset({
      data: 'ade20k',
      dataRoot: path.join(FIXTURES, 'ade20k'),
      dataNImgs: 1,
      dataSplit: 'validation',
    });
    const s = EXPECTED.ade20k.specs['clip-224-16'];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-labels-'));
    await writePatchLabels(dataset, specOf(s), s.patchSize, 196, path.join(dir, 'labels.bin'));
    expect(readdirSync(dir)).toEqual(['labels.bin']);
    const bytes = readFileSync(path.join(dir, 'labels.bin'));
    expect(bytes.length).toBe(3 * 196);
    expect([...bytes.subarray(196, 392)]).toEqual(EXPECTED.ade20k.validation[1].patch_labels['clip-224-16']);
    await expect(writePatchLabels(dataset, specOf(s), s.patchSize, 197, path.join(dir, 'x.bin'))).rejects.toThrow(
      /^labels: image \d gives 196 patches, expected 197 \(n_patches_per_img\)$/,
    );
  });

  it('hand-made: a 4x4 map, 2 px patches, ties go to the smaller label', () => {
    // prettier-ignore
    const data = Uint8Array.from([
      1, 1, 2, 3,
      1, 5, 3, 2,
      7, 7, 9, 9,
      8, 8, 4, 4,
    ]);
    const map = { width: 4, height: 4, data };
    expect([...getPatchLabels(map, specOf({ resize: 'squash', resizeSize: 4, cropSize: null }), 2)]).toEqual([
      1, 2, 7, 4,
    ]);
  });

  it('hand-made prefer-fg: the most frequent label other than 0, ties to the smaller, 0 only for all-background patches', () => {
    // prettier-ignore
    const data = Uint8Array.from([
      0, 0, 0, 0,
      0, 5, 0, 0,
      0, 0, 3, 2,
      6, 0, 2, 3,
    ]);
    const map = { width: 4, height: 4, data };
    const spec = specOf({ resize: 'squash', resizeSize: 4, cropSize: null });
    expect([...getPatchLabels(map, spec, 2, 'majority')]).toEqual([0, 0, 0, 2]);
    expect([...getPatchLabels(map, spec, 2, 'prefer-fg')]).toEqual([5, 0, 6, 2]);
  });

  it('nearest resize samples pixel centres like Pillow', () => {
    const map = { width: 3, height: 1, data: Uint8Array.from([10, 20, 30]) };
    // Pillow 13: Image.fromarray(np.array([[10,20,30]],np.uint8)).resize((7,1), Image.NEAREST) -> 10 10 20 20 20 30 30
    expect([...resizeNearestLikePillow(map, 7, 1).data]).toEqual([10, 10, 20, 20, 20, 30, 30]);
    // downscale 3 -> 2: centres at 0.75 and 2.25 -> pixels 0 and 2
    expect([...resizeNearestLikePillow(map, 2, 1).data]).toEqual([10, 30]);
  });

  it('refuses a dataset without segmentation maps', async () => {
    const { dataset } = await setupDataset({ data: 'fake', dataRoot: '', dataNImgs: 2 });
    await expect(
      computePatchLabels(dataset, specOf({ resize: 'squash', resizeSize: 4, cropSize: null }), 2, 4),
    ).rejects.toThrow(/^labels: FakeDataset\(n_imgs=2\) has no segmentation maps/);
  });
});
