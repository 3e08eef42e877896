// The validated extraction config: what validateExtractConfig fills in and what it refuses.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateExtractConfig } from '../../src/extract/config.js';
import { makeConfig } from './helpers.js';

function validate(overrides: Parameters<typeof makeConfig>[0]) {
  const raw = makeConfig(overrides);
  rmSync(raw.dumpTo, { recursive: true, force: true }); // nothing is written: only the config is checked
  return validateExtractConfig(raw);
}

describe('validateExtractConfig', () => {
  it("fills in the dataset's defaults (imagenet's name and split, ade20k's split) as the metadata records them", () => {
    const imagenet = validate({ data: 'imagenet', dataRoot: '/data/imagenet' });
    expect([imagenet.dataName, imagenet.dataSplit]).toEqual(['ILSVRC/imagenet-1k', 'train']);
    const ade20k = validate({ data: 'ade20k', dataRoot: '/data/ade20k' });
    expect([ade20k.dataName, ade20k.dataSplit]).toEqual([undefined, 'training']);
    const given = validate({ data: 'imagenet', dataRoot: '/x', dataName: 'mine/imagenet', dataSplit: 'validation' });
    expect([given.dataName, given.dataSplit]).toEqual(['mine/imagenet', 'validation']);
  });

  it('fills in the scale-out and format defaults and refuses a dataset flag that does not apply, in one line', () => {
    const config = validate({});
    expect([config.dtype, config.nJobs, config.jobIndex, config.format, config.pixelAgg]).toEqual([
      'float32',
      1,
      0,
      'saev-0.1',
      'majority',
    ]);
    expect(() => validate({ dataSplit: 'train' })).toThrow(/^config: --data-split applies to imagenet and ade20k/);
  });
});
