import path from 'node:path';
import { Args, Command, Flags } from '@oclif/core';
import { failInOneLine } from '../../src/cli/fail.js';
import { formatStatsSummary } from '../../src/stats/stats-file.js';
import { runStats } from '../../src/stats/run-stats.js';

export interface StatsJson {
  shardDir: string;
  files: string[];
  elapsedS: number;
  mbPerS: number;
  nImgs: number;
  dVit: number;
  layers: Array<{
    layer: number;
    patches: Record<string, number>;
    cls: Record<string, number> | null;
  }>;
}

const pick = (p: object) =>
  Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'normHist' && k !== 'centredHist')) as Record<
    string,
    number
  >;

export default class Stats extends Command {
  static override summary =
    'Per-layer statistics of a shard directory: mean vectors, norms, the normalising scalar, max |x|, NaN/Inf, plots.';

  static override description = `Streams every shard twice (pass 1: mean, norms, max |x|, NaN/Inf, norm histograms, norm by
token position; pass 2: variance and norms about the final mean) with float64 accumulators (means merged with Chan et
al.'s update), separately for the CLS token and the patch tokens of every layer. Writes beside the shards: stats.json,
stats-mean-patches.npy and stats-mean-cls.npy (float64 [layers, d], numpy.load), stats.txt, and PNG plots
(stats-norm-hist.png, stats-mean-abs.png, stats-norm-by-position.png). The reader's scaleMean/scaleNorm use these files.`;

  static override examples = [
    {
      description: 'Statistics of a shard directory, text summary on stdout',
      command: '<%= config.bin %> <%= command.id %> ./shards/30c3aa26...',
    },
    {
      description: 'Split over 2 worker threads, JSON on stdout',
      command: '<%= config.bin %> <%= command.id %> ./shards/30c3aa26... --n-jobs 2 --json',
    },
  ];

  static override enableJsonFlag = true;

  static override args = {
    'shard-dir': Args.string({
      description:
        'A shard directory of either format (<dump-to>/<hash>, or <dump-to>/saev/shards/<hash>) holding metadata.json and acts*.bin.',
      required: true,
    }),
  };

  static override flags = {
    'n-jobs': Flags.integer({
      summary:
        'Worker threads (1: none, in the main thread), at most one per shard; shards are split into contiguous ranges.',
      description:
        'Each thread reads and sums its own shards. Reading from the page cache also takes a core, so more jobs than half the cores rarely help.',
      default: 1,
      min: 1,
    }),
    'chunk-mb': Flags.integer({
      summary: 'MiB read per I/O request (whole images, at least one, at most a shard).',
      description:
        'Small enough that a chunk is still in the CPU cache when it is summed; 4 was fastest on a 2-core AMD EPYC.',
      default: 4,
      min: 1,
    }),
    plots: Flags.boolean({
      summary: 'Write the PNG plots (--no-plots also removes those of an earlier run).',
      default: true,
      allowNo: true,
    }),
  };

  public async run(): Promise<StatsJson> {
    const { args, flags } = await this.parse(Stats);
    try {
      const result = await runStats(args['shard-dir'], {
        nJobs: flags['n-jobs'],
        chunkBytes: flags['chunk-mb'] * 2 ** 20,
        plots: flags.plots,
      });
      if (!this.jsonEnabled()) this.log(formatStatsSummary(result.doc).trimEnd());
      this.logToStderr(
        `stats: wrote ${result.files.map((file) => path.basename(file)).join(', ')} in ${args['shard-dir']}`,
      );
      const pops = result.doc.perLayer.flatMap((l) => [l.patches, ...(l.cls ? [l.cls] : [])]);
      const sum = (k: 'nNonFiniteTokens' | 'nNaN' | 'nInf') => pops.reduce((a, p) => a + p[k], 0);
      if (sum('nNonFiniteTokens')) {
        this.logToStderr(
          `stats: warning: ${sum('nNonFiniteTokens')} tokens hold NaN or infinite values (${sum('nNaN')} NaN, ${sum('nInf')} infinite) ` +
            `and are left out of every statistic; saev activations verify ${args['shard-dir']} names their shards`,
        );
      }
      return {
        shardDir: args['shard-dir'],
        files: result.files,
        elapsedS: result.elapsedS,
        mbPerS: result.mbPerS,
        nImgs: result.doc.nImgs,
        dVit: result.doc.dVit,
        layers: result.doc.perLayer.map((l) => ({
          layer: l.layer,
          patches: pick(l.patches),
          cls: l.cls ? pick(l.cls) : null,
        })),
      };
    } catch (error) {
      failInOneLine(this, error);
    }
  }
}
