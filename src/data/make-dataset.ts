/**
 * The dataset config (what `--data*` flags say) and the one place that turns
 * it into an `ImageDataset`. Every kind with files runs its setup here
 * (validate, count, build or reuse the cached index), so `extract` sets a
 * dataset up implicitly and a forgotten `saev activations setup` costs only
 * time. New dataset kinds are added here and in src/cli/data-flags.ts.
 */
import { makeAde20kFromIndex, setupAde20k } from './ade20k.js';
import type { ImageDataset } from './dataset.js';
import { makeFakeDataset } from './fake.js';
import { makeImageFolderFromIndex } from './image-folder.js';
import { setupImageFolder } from './image-folder-index.js';
import { makeImagenetDataset, setupImagenet } from './imagenet.js';
import type { SetupHooks, SetupReport } from './setup-report.js';

export const DATASETS = ['image-folder', 'imagenet', 'ade20k', 'fake'] as const;
export type DatasetName = (typeof DATASETS)[number];

/**
 * saev's config defaults: `ImagenetDataset(name='ILSVRC/imagenet-1k', split='train')`,
 * `Ade20kDataset(split='training')`.
 */
export const IMAGENET_DEFAULT_NAME = 'ILSVRC/imagenet-1k';
const DEFAULT_SPLIT: Record<DatasetName, string | undefined> = {
  imagenet: 'train',
  ade20k: 'training',
  'image-folder': undefined,
  fake: undefined,
};

export interface DatasetConfig {
  /** Which reader. */
  data: DatasetName;
  /** Root of the dataset on disk (image-folder tree, Hugging Face repository copy, ADEChallengeData2016). */
  dataRoot: string;
  /** Image count of the fake dataset. */
  dataNImgs: number;
  /** Hugging Face dataset id recorded in the repr (imagenet; default ILSVRC/imagenet-1k). */
  dataName?: string;
  /** Split (imagenet: default train; ade20k: training | validation, default training). */
  dataSplit?: string;
}

/** Checks a dataset config; returns it frozen, with the kind's defaults filled in. */
export function validateDatasetConfig(raw: DatasetConfig): Readonly<DatasetConfig> {
  if (!(DATASETS as readonly string[]).includes(raw.data)) {
    throw new Error(`config: unknown --data '${raw.data}' (known: ${DATASETS.join(', ')})`);
  }
  if (!Number.isSafeInteger(raw.dataNImgs) || raw.dataNImgs < 1) {
    throw new Error(`config: --data-n-imgs must be a positive integer, found ${raw.dataNImgs}`);
  }
  const config: DatasetConfig = { ...raw };
  if (raw.data === 'imagenet') config.dataName = raw.dataName ?? IMAGENET_DEFAULT_NAME;
  else if (raw.dataName !== undefined)
    throw new Error(`config: --data-name applies to imagenet data only (--data ${raw.data})`);
  if (DEFAULT_SPLIT[raw.data] !== undefined) config.dataSplit = raw.dataSplit ?? DEFAULT_SPLIT[raw.data];
  else if (raw.dataSplit !== undefined)
    throw new Error(`config: --data-split applies to imagenet and ade20k data only (--data ${raw.data})`);
  if (config.dataSplit !== undefined && !/^[\w.-]+$/.test(config.dataSplit))
    throw new Error(`config: --data-split '${config.dataSplit}' is not a split name (letters, digits, _ . -)`);
  if (config.dataName !== undefined && config.dataName.trim() === '')
    throw new Error('config: --data-name must not be empty');
  return Object.freeze(config);
}

const QUIET: SetupHooks = { log: () => {}, warn: (line) => process.stderr.write(line + '\n') };

/** Validates the dataset on disk, builds or reuses its cached index, and returns the reader with a report. */
export async function setupDataset(
  raw: Readonly<DatasetConfig>,
  hooks: SetupHooks = QUIET,
): Promise<{ dataset: ImageDataset; report: SetupReport }> {
  const config = validateDatasetConfig(raw);
  switch (config.data) {
    case 'fake': {
      const dataset = makeFakeDataset(config.dataNImgs);
      return {
        dataset,
        report: {
          kind: 'fake',
          root: '',
          nImgs: dataset.nImgs,
          state: 'none',
          indexPath: null,
          summary: dataset.summary,
          details: {},
        },
      };
    }
    case 'image-folder': {
      const { index, report } = await setupImageFolder(config.dataRoot, hooks);
      return { dataset: makeImageFolderFromIndex(config.dataRoot, index, report.summary), report };
    }
    case 'imagenet': {
      const { index, report } = await setupImagenet(config.dataRoot, config.dataSplit!, hooks);
      return { dataset: makeImagenetDataset(config.dataRoot, config.dataName!, index, report.summary), report };
    }
    case 'ade20k': {
      const { index, report } = await setupAde20k(config.dataRoot, config.dataSplit!, hooks);
      return { dataset: makeAde20kFromIndex(config.dataRoot, index, report.summary), report };
    }
  }
}

/** The reader for a config (running its setup implicitly). */
export async function makeDataset(config: Readonly<DatasetConfig>, hooks: SetupHooks = QUIET): Promise<ImageDataset> {
  return (await setupDataset(config, hooks)).dataset;
}
