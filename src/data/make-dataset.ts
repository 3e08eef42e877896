/**
 * The dataset config (what `--data*` flags say) and the one place that turns
 * it into an `ImageDataset`. New dataset kinds are added here and in
 * src/cli/data-flags.ts.
 */
import type { ImageDataset } from './dataset.js';
import { makeFakeDataset } from './fake.js';
import { makeImageFolderDataset } from './image-folder.js';

export const DATASETS = ['image-folder', 'fake'] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface DatasetConfig {
  /** Which reader. */
  data: DatasetName;
  /** Root of an image-folder tree. */
  dataRoot: string;
  /** Image count of the fake dataset. */
  dataNImgs: number;
}

/** Checks a dataset config; returns it frozen. */
export function validateDatasetConfig(raw: DatasetConfig): Readonly<DatasetConfig> {
  if (!(DATASETS as readonly string[]).includes(raw.data)) {
    throw new Error(`config: unknown --data '${raw.data}' (known: ${DATASETS.join(', ')})`);
  }
  if (!Number.isSafeInteger(raw.dataNImgs) || raw.dataNImgs < 1) {
    throw new Error(`config: --data-n-imgs must be a positive integer, found ${raw.dataNImgs}`);
  }
  return Object.freeze({ ...raw });
}

export async function makeDataset(config: Readonly<DatasetConfig>): Promise<ImageDataset> {
  switch (config.data) {
    case 'fake':
      return makeFakeDataset(config.dataNImgs);
    case 'image-folder':
      return makeImageFolderDataset(config.dataRoot);
  }
}
