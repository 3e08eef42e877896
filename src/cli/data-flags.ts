/**
 * The `--data*` flags shared by every command that reads a dataset, and
 * their translation into a `DatasetConfig`. No tensor code.
 */
import { Flags } from '@oclif/core';
import { DATASETS, DatasetConfig, DatasetName } from '../data/make-dataset.js';
import { DEMO_IMAGES_DIR } from '../version.js';

export const dataFlags = {
  data: Flags.string({ summary: 'Dataset kind.', options: [...DATASETS], default: 'image-folder' }),
  'data-root': Flags.string({
    summary:
      'Dataset directory: an image-folder tree (<root>/<class>/<image>), a local Hugging Face repository (imagenet: data/<split>-00000-of-0000N.parquet), or ADEChallengeData2016 (ade20k). Default for image-folder: the embedded demo photos.',
  }),
  'data-n-imgs': Flags.integer({ summary: 'Number of images of the fake dataset.', default: 16, min: 1 }),
  'data-name': Flags.string({
    summary: "Hugging Face dataset id, recorded in metadata.json (imagenet only). Default: 'ILSVRC/imagenet-1k'.",
  }),
  'data-split': Flags.string({
    summary: "Split: imagenet 'train' (default), 'validation', ...; ade20k 'training' (default) or 'validation'.",
  }),
};

type DataFlagValues = {
  data: string;
  'data-root'?: string;
  'data-n-imgs': number;
  'data-name'?: string;
  'data-split'?: string;
};

/** Turns parsed flags into a raw dataset config; `warn` hears about defaults worth knowing. */
export function getDatasetConfig(flags: DataFlagValues, warn: (line: string) => void): DatasetConfig {
  const data = flags.data as DatasetName;
  if (flags['data-name'] !== undefined && data !== 'imagenet')
    throw new Error(`config: --data-name applies to imagenet data only (--data ${data})`);
  if (flags['data-split'] !== undefined && data !== 'imagenet' && data !== 'ade20k')
    throw new Error(`config: --data-split applies to imagenet and ade20k data only (--data ${data})`);
  if ((data === 'imagenet' || data === 'ade20k') && flags['data-root'] === undefined) {
    const where =
      data === 'imagenet'
        ? 'a local copy of the Hugging Face repository (with data/train-00000-of-0NNNN.parquet, ...)'
        : 'the ADEChallengeData2016 directory';
    throw new Error(`config: --data ${data} needs --data-root: ${where}`);
  }
  if (data === 'image-folder' && flags['data-root'] === undefined) {
    warn(`data: no --data-root given; using the embedded demo photos in ${DEMO_IMAGES_DIR}`);
  }
  const config: DatasetConfig = {
    data,
    dataRoot: flags['data-root'] ?? DEMO_IMAGES_DIR,
    dataNImgs: flags['data-n-imgs'],
  };
  if (flags['data-name'] !== undefined) config.dataName = flags['data-name'];
  if (flags['data-split'] !== undefined) config.dataSplit = flags['data-split'];
  return config;
}
