import { Command } from '@oclif/core';
import { failInOneLine } from '../../src/cli/fail.js';
import { dataFlags, getDatasetConfig } from '../../src/cli/data-flags.js';
import { setupDataset } from '../../src/data/make-dataset.js';
import type { SetupReport } from '../../src/data/setup-report.js';

export interface SetupJson extends SetupReport {
  /** saev's repr of the dataset config, as metadata.json's `data` will record it. */
  repr: string;
  elapsedS: number;
}

export default class Setup extends Command {
  static override summary = 'Validate a dataset, count its images and build (or reuse) its cached index.';

  static override description = `Idempotent per-dataset preparation, safe to run any number of times: checks the layout (one-line
errors naming the bad file), counts images, and caches whatever index the dataset needs (parquet row groups,
file lists) under $SAEV_CACHE (default: the user's cache directory, never inside the dataset). A second run
reuses the index; a changed dataset is detected and re-indexed. 'extract' runs the same setup implicitly.`;

  static override examples = [
    {
      description: 'A local copy of ILSVRC/imagenet-1k (data/train-00000-of-00294.parquet, ...)',
      command: '<%= config.bin %> <%= command.id %> --data imagenet --data-root ./imagenet-1k --data-split train',
    },
    {
      description: 'ADE20K validation split, JSON summary on stdout',
      command:
        '<%= config.bin %> <%= command.id %> --data ade20k --data-root ./ADEChallengeData2016 --data-split validation --json',
    },
    {
      description: 'An ImageFolder tree',
      command: '<%= config.bin %> <%= command.id %> --data image-folder --data-root ./photos',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = { ...dataFlags };

  public async run(): Promise<SetupJson> {
    const { flags } = await this.parse(Setup);
    try {
      const start = performance.now();
      const config = getDatasetConfig(flags, (line) => this.logToStderr(line));
      const { dataset, report } = await setupDataset(config, {
        log: (line) => this.logToStderr(line),
        warn: (line) => this.logToStderr(line),
      });
      const elapsedS = (performance.now() - start) / 1000;
      if (!this.jsonEnabled()) {
        const how = {
          built: 'index built',
          rebuilt: 'dataset changed, index rebuilt',
          reused: 'cached index reused',
          none: 'no index needed',
        }[report.state];
        this.log(`${report.summary}`);
        this.log(`${how}${report.indexPath ? `: ${report.indexPath}` : ''} (${elapsedS.toFixed(2)} s)`);
      }
      return { ...report, repr: dataset.repr, elapsedS };
    } catch (error) {
      failInOneLine(this, error);
    }
  }
}
