/**
 * The `--data*` flags shared by every command that reads a dataset, and
 * their translation into a `DatasetConfig`. No tensor code.
 */
import { Flags } from '@oclif/core';
import { DATASETS, DatasetConfig, DatasetName } from '../data/make-dataset.js';
import { DEMO_IMAGES_DIR } from '../version.js';

export const dataFlags = {
  data: Flags.string({ summary: 'Dataset kind.', options: [...DATASETS], default: 'image-folder' }),
  'data-root': Flags.string({ summary: 'Root of an image-folder tree (<root>/<class>/<image>). Default: the embedded demo photos.' }),
  'data-n-imgs': Flags.integer({ summary: 'Number of images of the fake dataset.', default: 16, min: 1 }),
  'data-name': Flags.string({ summary: 'Hugging Face dataset id (imagenet data only).' }),
  'data-split': Flags.string({ summary: 'Dataset split (imagenet data only).' }),
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
  if (flags['data-name'] !== undefined || flags['data-split'] !== undefined) {
    throw new Error(`config: --data-name and --data-split apply to imagenet data, which this version does not read yet (--data ${flags.data})`);
  }
  if (flags.data === 'image-folder' && flags['data-root'] === undefined) {
    warn(`data: no --data-root given; using the embedded demo photos in ${DEMO_IMAGES_DIR}`);
  }
  return { data: flags.data as DatasetName, dataRoot: flags['data-root'] ?? DEMO_IMAGES_DIR, dataNImgs: flags['data-n-imgs'] };
}
