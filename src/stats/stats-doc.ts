/**
 * What `stats.json` holds and the names of the statistics files, shared by
 * the writer (stats-file.ts), the plots (stats-plots.ts) and the reader's
 * normalisation.
 */
import type { PopulationSummary } from './population.js';

export const STATS_FILE = 'stats.json';
/** Version 2: the digest samples 8 pages of each shard (version 1 read only the first). */
export const STATS_FORMAT = 'saev-tfjs-stats/2';
export const MEAN_FILES = { patches: 'stats-mean-patches.npy', cls: 'stats-mean-cls.npy' } as const;
export type PopulationName = keyof typeof MEAN_FILES;

export interface PopulationDoc extends PopulationSummary {
  normHist: number[];
  centredHist: number[];
}

export interface StatsDoc {
  format: typeof STATS_FORMAT;
  tool: string;
  metadataHash: string;
  /** `getShardDirDigest` of the shards these statistics describe. */
  digest: string;
  dtype: string;
  dVit: number;
  nImgs: number;
  clsToken: boolean;
  layers: number[];
  histogram: { log10Min: number; log10Max: number; nBins: number; bins: string };
  perLayer: Array<{
    layer: number;
    patches: PopulationDoc;
    cls: PopulationDoc | null;
    meanNormByPosition: Array<number | null>;
  }>;
  files: Partial<Record<PopulationName, { name: string; shape: number[]; sha256: string }>>;
}
