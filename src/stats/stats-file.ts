/**
 * The statistics files beside the shards (names fixed, so the reader finds
 * them): `stats.json` (summaries, histograms, per-position norms, the shard
 * digest, and the sha256 of each .npy), `stats-mean-patches.npy` and
 * `stats-mean-cls.npy` (float64 `[L, D]`, row l = `metadata.layers[l]`, for
 * `numpy.load`; a file only for tokens the shards hold, a row of NaN for a
 * layer whose every such token was NaN or infinite), `stats.txt` (the text
 * summary) and three PNG plots (`stats-plots.ts`).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { getPrivateTmpPath } from '../util/create-once.js';
import type { ShardDir } from '../shards/shard-dir.js';
import { TOOL } from '../version.js';
import { decodeNpyFloat64, encodeNpyFloat64 } from './npy.js';
import { plotPng } from './plot.js';
import { HIST, Population, PopulationSummary, summarizePopulation } from './population.js';
import { MEAN_FILES, PopulationDoc, PopulationName, STATS_FILE, STATS_FORMAT, StatsDoc } from './stats-doc.js';
import { makeStatsPlots, PLOT_FILES } from './stats-plots.js';
import type { LayerStats } from './stats-pass.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function toDoc(pop: Population): PopulationDoc {
  return { ...summarizePopulation(pop), normHist: [...pop.normHist], centredHist: [...pop.centredHist] };
}

/** Fails in one line, before hours of passes, if the statistics cannot be written beside the shards. */
export async function checkStatsWritable(dir: string): Promise<void> {
  const probe = getPrivateTmpPath(path.join(dir, STATS_FILE));
  try {
    await fs.writeFile(probe, '');
  } catch (error) {
    throw new Error(
      `stats: cannot write the statistics beside the shards in ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); they go there so the reader finds them: make the directory writable`,
      { cause: error },
    );
  }
  await fs.rm(probe, { force: true });
}

export async function writeStatsFiles(
  sd: ShardDir,
  digest: string,
  stats: LayerStats[],
  opts: { plots: boolean },
): Promise<{ doc: StatsDoc; files: string[] }> {
  const L = sd.nLayers;
  const D = sd.dVit;
  const doc: StatsDoc = {
    format: STATS_FORMAT,
    tool: `${TOOL.name} ${TOOL.version}`,
    metadataHash: sd.metadataHash,
    digest,
    dtype: sd.dtype,
    dVit: D,
    nImgs: sd.nImgs,
    clsToken: sd.clsToken,
    layers: [...sd.metadata.layers],
    histogram: {
      ...HIST,
      bins: 'bin 0: norm < 1e-4 (zeros too); bin k in 1..nBins: log10 norm in [min + (k-1)w, min + k w), w = (max-min)/nBins; bin nBins+1: norm >= 1e6',
    },
    perLayer: stats.map((ls, l) => ({
      layer: sd.metadata.layers[l],
      patches: toDoc(ls.patches),
      cls: ls.cls ? toDoc(ls.cls) : null,
      meanNormByPosition: [...ls.posSumNorm_T].map((s, t) => (ls.posCount_T[t] ? s / ls.posCount_T[t] : null)),
    })),
    files: {},
  };
  const written: string[] = [];
  const put = async (name: string, data: string | Uint8Array) => {
    await writeFileAtomic(path.join(sd.dir, name), data);
    written.push(path.join(sd.dir, name));
  };
  for (const name of ['patches', 'cls'] as const) {
    if (name === 'cls' ? !sd.clsToken : sd.nPatchesPerImg === 0) continue;
    const mean_LD = new Float64Array(L * D);
    stats.forEach((ls, l) => {
      const pop = name === 'cls' ? ls.cls! : ls.patches;
      if (pop.n) mean_LD.set(pop.mean_D, l * D);
      else mean_LD.fill(NaN, l * D, (l + 1) * D); // every token of this layer was NaN or infinite
    });
    const bytes = encodeNpyFloat64(mean_LD, [L, D]);
    await put(MEAN_FILES[name], bytes);
    doc.files[name] = { name: MEAN_FILES[name], shape: [L, D], sha256: sha256(bytes) };
  }
  if (opts.plots) {
    for (const [name, panels] of makeStatsPlots(sd, doc, stats)) await put(name, await plotPng(panels));
  } else {
    // Plots of an earlier run would no longer match stats.json.
    await Promise.all(Object.values(PLOT_FILES).map((name) => fs.rm(path.join(sd.dir, name), { force: true })));
  }
  await put('stats.txt', formatStatsSummary(doc));
  await put(STATS_FILE, JSON.stringify(doc, null, 1) + '\n');
  return { doc, files: written };
}

const fmt = (x: number) =>
  x === null || !Number.isFinite(x)
    ? String(x)
    : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0)
      ? x.toExponential(3)
      : x.toFixed(4);

/** The columns of `stats.txt`, named as in stats.json, and what each means. */
const SUMMARY_COLUMNS: Array<[keyof PopulationSummary, string]> = [
  ['n', 'tokens with only finite values'],
  ['meanNorm', 'mean L2 norm of a token, mean ||x||'],
  ['centredMeanNorm', 'mean ||x - mu||, mu the mean token'],
  ['normScalar', "centredMeanNorm / sqrt(d): saev 0.1.0's scalar, which the reader divides by with scaleNorm"],
  ['rmsNormScalar', 'sqrt(mean ||x - mu||^2) / sqrt(d)'],
  ['meanAbsMean', 'mean over dimensions of |mu_d|'],
  ['maxAbs', 'largest |value| of any single dimension'],
  ['nNaN', 'NaN values (their tokens are left out of everything above)'],
  ['nInf', 'infinite values (likewise)'],
];

export function formatStatsSummary(doc: StatsDoc): string {
  const rows = doc.perLayer.flatMap((l) =>
    (['cls', 'patches'] as const)
      .filter((k) => l[k])
      .map((k) => [
        String(l.layer),
        k,
        ...SUMMARY_COLUMNS.map(([name]) =>
          name === 'n' || name === 'nNaN' || name === 'nInf' ? String(l[k]![name]) : fmt(l[k]![name]),
        ),
      ]),
  );
  const head = ['layer', 'tokens', ...SUMMARY_COLUMNS.map(([name]) => name)];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const legend = SUMMARY_COLUMNS.map(([name, meaning]) => `  ${name}: ${meaning}`);
  return [
    `${doc.nImgs} images, d = ${doc.dVit}, ${doc.dtype}, layers [${doc.layers.join(', ')}]`,
    line(head),
    ...rows.map(line),
    '',
    ...legend,
    '',
  ].join('\n');
}

/** Reads a statistics file and checks it describes the shards with `digest`. */
export async function readStatsFile(file: string, digest: string): Promise<StatsDoc> {
  let doc: StatsDoc;
  try {
    doc = JSON.parse(await fs.readFile(file, 'utf8')) as StatsDoc;
  } catch (error) {
    throw new Error(
      `stats: cannot read ${file} (${(error as Error).message.split('\n')[0]}); run saev activations stats <shard-dir> first`,
      { cause: error },
    );
  }
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(doc) || doc.format !== STATS_FORMAT) {
    throw new Error(
      `stats: ${file} is not a ${STATS_FORMAT} file (format ${JSON.stringify(isObject(doc) ? doc.format : doc)}); rerun saev activations stats`,
    );
  }
  const wellFormed =
    typeof doc.digest === 'string' &&
    Array.isArray(doc.layers) &&
    Array.isArray(doc.perLayer) &&
    doc.perLayer.length === doc.layers.length &&
    doc.perLayer.every(isObject) &&
    isObject(doc.files);
  if (!wellFormed)
    throw new Error(
      `stats: ${file} is damaged (digest, layers, perLayer or files missing or malformed); rerun saev activations stats`,
    );
  if (doc.digest !== digest) {
    throw new Error(
      `stats: ${file} describes other shards (digest ${doc.digest.slice(0, 12)}..., these shards ${digest.slice(0, 12)}...); rerun saev activations stats on this directory`,
    );
  }
  return doc;
}

/** The `[L, D]` mean of a population, from the .npy named in `doc`, checked against its recorded sha256. */
export async function readMeanFile(doc: StatsDoc, statsDir: string, population: PopulationName): Promise<Float64Array> {
  const entry = doc.files[population];
  if (!entry)
    throw new Error(
      `stats: no ${population} mean in the statistics (these shards have no ${population === 'cls' ? 'CLS token' : 'patch tokens'})`,
    );
  const file = path.join(statsDir, entry.name);
  const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `stats: cannot read ${file}, named in ${STATS_FILE} (${error.code ?? error.message}); rerun saev activations stats`,
    );
  });
  if (sha256(bytes) !== entry.sha256)
    throw new Error(`stats: ${file} does not match the sha256 recorded in ${STATS_FILE}; rerun saev activations stats`);
  const { values, shape } = decodeNpyFloat64(bytes, file);
  if (shape.join() !== entry.shape.join())
    throw new Error(`stats: ${file} has shape [${shape}], expected [${entry.shape}]`);
  return values;
}
