/**
 * The three plots beside the statistics: the token norm histogram (patch and
 * CLS tokens, one line per layer), the mean activation magnitude per
 * dimension, and the mean norm by stored token position.
 */
import type { ShardDir } from '../shards/shard-dir.js';
import { Panel } from './plot.js';
import { HIST } from './population.js';
import type { StatsDoc } from './stats-doc.js';
import type { LayerStats } from './stats-pass.js';

export const PLOT_FILES = {
  normHist: 'stats-norm-hist.png',
  meanAbs: 'stats-mean-abs.png',
  normByPosition: 'stats-norm-by-position.png',
} as const;

/**
 * log10 of the norm at the centre of each histogram bin (the under- and overflow bins half a bin outside the range).
 */
function getBinCentres(): number[] {
  const w = (HIST.log10Max - HIST.log10Min) / HIST.nBins;
  return Array.from({ length: HIST.nBins + 2 }, (_, k) => HIST.log10Min + (k - 0.5) * w);
}

const toFractions = (h: number[]) => {
  const total = h.reduce((a, b) => a + b, 0);
  return h.map((c) => (total ? c / total : NaN));
};

export function makeStatsPlots(sd: ShardDir, doc: StatsDoc, stats: LayerStats[]): Array<[string, Panel[]]> {
  const names = doc.layers.map((l) => `layer ${l}`);
  const hasPatches = sd.nPatchesPerImg > 0;
  // Histogram: only the bins in use, with 2 empty bins either side.
  const hists = doc.perLayer.flatMap((l) => [
    ...(hasPatches ? [l.patches.normHist] : []),
    ...(l.cls ? [l.cls.normHist] : []),
  ]);
  const used = hists.flatMap((h) => h.flatMap((c, i) => (c > 0 ? [i] : [])));
  const [b0, b1] = used.length
    ? [Math.max(0, Math.min(...used) - 2), Math.min(HIST.nBins + 1, Math.max(...used) + 2)]
    : [0, HIST.nBins + 1];
  const x = getBinCentres().slice(b0, b1 + 1);
  const histPanel = (which: 'patches' | 'cls'): Panel => ({
    title: `Token L2 norm histogram: ${which === 'cls' ? 'CLS token' : 'patch tokens'}`,
    xLabel: `log10 of the token's L2 norm (bins of ${(HIST.log10Max - HIST.log10Min) / HIST.nBins} decade)`,
    yLabel: 'fraction of tokens',
    x,
    series: doc.perLayer.map((l) => toFractions(l[which]!.normHist).slice(b0, b1 + 1)),
    names,
  });
  const meanOf: 'patches' | 'cls' = hasPatches ? 'patches' : 'cls';
  return [
    [PLOT_FILES.normHist, [...(hasPatches ? [histPanel('patches')] : []), ...(sd.clsToken ? [histPanel('cls')] : [])]],
    [
      PLOT_FILES.meanAbs,
      [
        {
          title: `Mean activation magnitude per dimension (${meanOf === 'cls' ? 'CLS token' : 'patch tokens'})`,
          xLabel: 'dimension d',
          yLabel: '|mean_d| (log scale)',
          x: Array.from({ length: sd.dVit }, (_, d) => d),
          series: stats.map((ls) => [...ls[meanOf]!.mean_D].map(Math.abs)),
          names,
          logY: true,
        },
      ],
    ],
    [
      PLOT_FILES.normByPosition,
      [
        {
          title: 'Mean token L2 norm by stored position',
          xLabel: `stored token position${sd.clsToken ? ' (0 = CLS, then the patches)' : ' (the patches)'}`,
          yLabel: 'mean L2 norm',
          x: Array.from({ length: sd.nTokensPerImg }, (_, t) => t),
          series: doc.perLayer.map((l) => l.meanNormByPosition.map((v) => v ?? NaN)),
          names,
          markers: sd.nTokensPerImg <= 64,
        },
      ],
    ],
  ];
}
