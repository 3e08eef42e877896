/**
 * `imagenet`: a local copy of a Hugging Face dataset repository in parquet
 * form (e.g. ILSVRC/imagenet-1k), read like saev's `Imagenet` (which calls
 * `datasets.load_dataset(name, split=split)`): image i is row i of the split's
 * files taken in order (hf-split-files.ts), pixels from the `image` struct's
 * bytes, `target` from `label`, `label` from the ClassLabel names in the
 * footer. The index (files, change stamps, rows per row group) is built once
 * and cached (cache-dir.ts); a global index finds its row group by binary
 * search, so a job can start anywhere. Reads are one row group at a time (or
 * a block of one, for row groups over `BLOCK_BYTES` in files with an offset
 * index) and at most `ROW_GROUP_CACHE` blocks are held, so memory stays
 * bounded whatever the file sizes.
 */
import path from 'node:path';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { pythonDataclassRepr } from '../python/python-repr.js';
import { decodeRgb, type EncodedImage } from '../images/decode.js';
import { getIndexPath, getStamp, readCache, writeCache } from './cache-dir.js';
import { checkIndex, ImageDataset } from './dataset.js';
import { getSplitFiles } from './hf-split-files.js';
import { getParquetFileInfo, ImageRow, openParquetBuffer, readImageRows, readParquetMetadata } from './parquet-file.js';
import type { SetupHooks, SetupReport } from './setup-report.js';

const INDEX_VERSION = 2;
/** Row blocks held in memory at once (the current one, and neighbours for concurrent readers). */
export const ROW_GROUP_CACHE = 3;
/**
 * Largest read, in compressed image bytes: a bigger row group is read in blocks of rows when its
 * file has an offset index (`datasets` writes one), so memory stays bounded even with huge row groups.
 */
export const BLOCK_BYTES = 64 * 2 ** 20;

export interface ImagenetIndexFile {
  /** Path relative to the root, `/`-separated. */
  path: string;
  /** `size:mtimeNs` when indexed. */
  stamp: string;
  rowGroups: number[];
  hasLabel: boolean;
  /** Compressed bytes of each row group's `image` column. */
  imageBytes: number[];
  /** Whether part of a row group can be read (offset index, no dictionary). */
  offsetIndex: boolean;
}

export interface ImagenetIndex {
  version: number;
  kind: 'imagenet';
  split: string;
  files: ImagenetIndexFile[];
  labelNames: string[] | null;
  nImgs: number;
}

async function buildIndex(
  root: string,
  split: string,
  relFiles: string[],
  stamps: string[],
  previous: ImagenetIndex | null,
  hooks: SetupHooks,
): Promise<ImagenetIndex> {
  const files: ImagenetIndexFile[] = [];
  let labelNames: string[] | null | undefined;
  let namesFrom = '';
  for (const [k, rel] of relFiles.entries()) {
    const file = path.join(root, rel);
    const old = previous?.files.find((f) => f.path === rel && f.stamp === stamps[k]);
    let entry: ImagenetIndexFile;
    let names: string[] | null;
    if (old !== undefined && previous !== null) {
      entry = old;
      names = previous.labelNames;
    } else {
      const buffer = await openParquetBuffer(file);
      const info = getParquetFileInfo(file, await readParquetMetadata(file, buffer));
      entry = {
        path: rel,
        stamp: stamps[k],
        rowGroups: info.rowGroups,
        hasLabel: info.hasLabel,
        imageBytes: info.imageBytes,
        offsetIndex: info.offsetIndex,
      };
      names = info.labelNames;
    }
    if (labelNames === undefined) [labelNames, namesFrom] = [names, file];
    else if (JSON.stringify(names) !== JSON.stringify(labelNames)) {
      throw new Error(
        `data: ${file} has different ClassLabel names from ${namesFrom}; all files of split '${split}' must come from one dataset`,
      );
    }
    files.push(entry);
    if ((k + 1) % 50 === 0) hooks.log(`setup: read ${k + 1}/${relFiles.length} parquet footers`);
  }
  const nImgs = files.reduce((n, f) => n + f.rowGroups.reduce((a, b) => a + b, 0), 0);
  if (nImgs === 0)
    throw new Error(`data: split '${split}' under ${root} has ${relFiles.length} parquet files but no rows`);
  return { version: INDEX_VERSION, kind: 'imagenet', split, files, labelNames: labelNames ?? null, nImgs };
}

/** Validates the split, builds or reuses the cached index, and reports what it did. */
export async function setupImagenet(
  root: string,
  split: string,
  hooks: SetupHooks,
): Promise<{ index: ImagenetIndex; report: SetupReport }> {
  const relFiles = await getSplitFiles(root, split);
  const stamps = await Promise.all(relFiles.map(async (rel) => (await getStamp(path.join(root, rel))) ?? 'missing'));
  const indexPath = await getIndexPath('imagenet', root, split, 'json');
  const cachedText = await readCache(indexPath);
  let previous: ImagenetIndex | null = null;
  try {
    if (cachedText !== null) previous = JSON.parse(cachedText.toString('utf8')) as ImagenetIndex;
    if (previous?.version !== INDEX_VERSION) previous = null;
  } catch {
    previous = null;
  }
  const same =
    previous !== null &&
    previous.files.length === relFiles.length &&
    previous.files.every((f, k) => f.path === relFiles[k] && f.stamp === stamps[k]);
  let state: SetupReport['state'] = 'reused';
  let index: ImagenetIndex;
  if (same) index = previous!;
  else {
    state = previous === null ? 'built' : 'rebuilt';
    if (previous !== null) hooks.log(`setup: ${root} split '${split}' changed since it was indexed; re-indexing`);
    index = await buildIndex(root, split, relFiles, stamps, previous, hooks);
    await writeCache(indexPath, JSON.stringify(index), hooks.warn);
  }
  const nGroups = index.files.reduce((n, f) => n + f.rowGroups.length, 0);
  const classes = index.labelNames === null ? 'no ClassLabel names' : `${index.labelNames.length} classes`;
  return {
    index,
    report: {
      kind: 'imagenet',
      root,
      nImgs: index.nImgs,
      state,
      indexPath,
      summary: `${index.nImgs.toLocaleString('en-US')} images (split '${split}', ${classes}) in ${index.files.length} parquet files, ${nGroups} row groups, under ${root}`,
      details: { split, nFiles: index.files.length, nRowGroups: nGroups, nClasses: index.labelNames?.length ?? 0 },
    },
  };
}

/** A run of rows read at once: a whole row group, or part of a large one. */
interface BlockRef {
  file: number;
  /** First row of the block within its file. */
  fileRow: number;
  nRows: number;
  /** Part of a row group: fetch only its pages. */
  partial: boolean;
}

/** The dataset over a built index. `name` only feeds the repr (saev's `ImagenetDataset(name=..., split=...)`). */
export function makeImagenetDataset(
  root: string,
  name: string,
  index: ImagenetIndex,
  summary: string,
  blockBytes = BLOCK_BYTES,
): ImageDataset {
  const groups: BlockRef[] = [];
  const starts: number[] = [];
  let global = 0;
  for (const [f, file] of index.files.entries()) {
    let fileRow = 0;
    for (const [g, nRows] of file.rowGroups.entries()) {
      const nBlocks = file.offsetIndex ? Math.min(nRows, Math.ceil(file.imageBytes[g] / blockBytes)) : 1;
      for (let b = 0; b < nBlocks; b++) {
        const first = Math.floor((b * nRows) / nBlocks);
        const last = Math.floor(((b + 1) * nRows) / nBlocks);
        if (last === first) continue;
        groups.push({ file: f, fileRow: fileRow + first, nRows: last - first, partial: nBlocks > 1 });
        starts.push(global + first);
      }
      fileRow += nRows;
      global += nRows;
    }
  }
  const opened = new Map<number, Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }>>();
  const rowCache = new Map<number, Promise<ImageRow[]>>();
  const openFile = (f: number) => {
    let entry = opened.get(f);
    if (entry === undefined) {
      const file = path.join(root, index.files[f].path);
      entry = (async () => {
        const buffer = await openParquetBuffer(file);
        const metadata = await readParquetMetadata(file, buffer);
        const rows = metadata.row_groups.map((g) => Number(g.num_rows));
        if (JSON.stringify(rows) !== JSON.stringify(index.files[f].rowGroups)) {
          throw new Error(
            `data: ${file} changed since it was indexed (row groups ${rows.join(',')}); run 'saev activations setup' again`,
          );
        }
        return { buffer, metadata };
      })();
      opened.set(f, entry);
      entry.catch(() => opened.delete(f));
      if (opened.size > ROW_GROUP_CACHE) opened.delete(opened.keys().next().value!);
    }
    return entry;
  };
  const getRows = (g: number): Promise<ImageRow[]> => {
    let rows = rowCache.get(g);
    if (rows !== undefined) {
      rowCache.delete(g); // refresh its place in the LRU order
      rowCache.set(g, rows);
      return rows;
    }
    const { file: f, fileRow, nRows, partial } = groups[g];
    rows = openFile(f).then(({ buffer, metadata }) =>
      readImageRows(
        path.join(root, index.files[f].path),
        buffer,
        metadata,
        fileRow,
        fileRow + nRows,
        index.files[f].hasLabel,
        partial,
      ),
    );
    rowCache.set(g, rows);
    rows.catch(() => rowCache.delete(g));
    if (rowCache.size > ROW_GROUP_CACHE) rowCache.delete(rowCache.keys().next().value!);
    return rows;
  };
  const findGroup = (i: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const getRow = async (i: number) => {
    checkIndex(i, index.nImgs, `${root} split '${index.split}'`);
    const g = findGroup(i);
    const rows = await getRows(g);
    const r = i - starts[g];
    return {
      row: rows[r],
      where: `${path.join(root, index.files[groups[g].file].path)} row ${groups[g].fileRow + r} (index ${i})`,
    };
  };
  const getEncodedImage = async (i: number): Promise<EncodedImage> => {
    const { row, where } = await getRow(i);
    if (row.bytes === null || row.bytes.length === 0) {
      throw new Error(
        `image: ${where} has no image bytes${row.path ? ` (only the path '${row.path}')` : ''}; the dataset must embed its images`,
      );
    }
    return { bytes: row.bytes, name: where };
  };
  return {
    repr: pythonDataclassRepr('ImagenetDataset', [
      ['name', name],
      ['split', index.split],
    ]),
    nImgs: index.nImgs,
    summary,
    getEncodedImage,
    async getImage(i) {
      const { bytes, name } = await getEncodedImage(i);
      return decodeRgb(bytes, name);
    },
    async getLabel(i) {
      const { row } = await getRow(i);
      const names = index.labelNames;
      return { target: row.label, label: row.label < 0 ? '' : (names?.[row.label] ?? String(row.label)) };
    },
  };
}
