import { describe, expect, it } from 'vitest';
import { getDatasetConfig } from '../../src/cli/data-flags.js';
import { validateDatasetConfig } from '../../src/data/make-dataset.js';
import { DEMO_IMAGES_DIR } from '../../src/version.js';

const flags = (extra: Record<string, unknown>) =>
  ({ data: 'image-folder', 'data-n-imgs': 16, ...extra }) as Parameters<typeof getDatasetConfig>[0];

describe('getDatasetConfig', () => {
  it('image-folder defaults to the demo photos, with a warning', () => {
    const warnings: string[] = [];
    expect(getDatasetConfig(flags({}), (l) => warnings.push(l))).toEqual({
      data: 'image-folder',
      dataRoot: DEMO_IMAGES_DIR,
      dataNImgs: 16,
    });
    expect(warnings[0]).toMatch(/^data: no --data-root given; using the embedded demo photos/);
  });

  it('imagenet passes name and split; validation fills saev defaults', () => {
    const raw = getDatasetConfig(flags({ data: 'imagenet', 'data-root': '/d', 'data-split': 'validation' }), () => {});
    expect(raw).toEqual({ data: 'imagenet', dataRoot: '/d', dataNImgs: 16, dataSplit: 'validation' });
    expect(validateDatasetConfig(raw)).toEqual({ ...raw, dataName: 'ILSVRC/imagenet-1k' });
    expect(validateDatasetConfig({ data: 'imagenet', dataRoot: '/d', dataNImgs: 1 }).dataSplit).toBe('train');
    expect(validateDatasetConfig({ data: 'ade20k', dataRoot: '/d', dataNImgs: 1 }).dataSplit).toBe('training');
    expect(Object.isFrozen(validateDatasetConfig(raw))).toBe(true);
  });

  it('rejects flags that do not apply, and a missing root for imagenet and ade20k', () => {
    expect(() => getDatasetConfig(flags({ 'data-name': 'x/y' }), () => {})).toThrow(
      'config: --data-name applies to imagenet data only (--data image-folder)',
    );
    expect(() => getDatasetConfig(flags({ data: 'fake', 'data-split': 'train' }), () => {})).toThrow(
      'config: --data-split applies to imagenet and ade20k data only (--data fake)',
    );
    expect(() => getDatasetConfig(flags({ data: 'ade20k' }), () => {})).toThrow(
      'config: --data ade20k needs --data-root: the ADEChallengeData2016 directory',
    );
    expect(() =>
      validateDatasetConfig({ data: 'imagenet', dataRoot: '/d', dataNImgs: 1, dataSplit: 'train[:10%]' }),
    ).toThrow("config: --data-split 'train[:10%]' is not a split name");
    expect(() => validateDatasetConfig({ data: 'bogus' as never, dataRoot: '/d', dataNImgs: 1 })).toThrow(
      'config: unknown --data',
    );
  });
});
