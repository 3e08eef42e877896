/**
 * The cached listing of an ImageFolder tree, built once by streaming the walk
 * and reused by every job: torchvision's `make_dataset` order (classes sorted
 * by code point; within a class `sorted(os.walk(..., followlinks=True))`, i.e.
 * directories by path, files sorted; only IMG_EXTENSIONS count, other files
 * are skipped and counted). Images are grouped by class, so targets are
 * ranges (`classStarts`). The cache file is a JSON header line (classes,
 * class starts, skipped count, and a change stamp of every directory walked)
 * followed by one relative path per line; in memory it stays one buffer plus
 * an offset table, so 1M paths cost ~40 MB and no per-job sort. A changed
 * directory (a file or folder added, removed or renamed) changes its stamp
 * and triggers a rebuild.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { compareCodePoints } from '../python/python-json.js';
import { formatCount } from '../progress.js';
import { getIndexPath, getStamp, readCache, writeCache } from './cache-dir.js';
import type { SetupHooks, SetupReport } from './setup-report.js';

/** torchvision.datasets.folder.IMG_EXTENSIONS. */
export const IMG_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];
const INDEX_VERSION = 1;

export function isImagePath(name: string): boolean {
  const lower = name.toLowerCase();
  return IMG_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

interface IndexHeader {
  version: number;
  kind: 'image-folder';
  classes: string[];
  /** Image index where each class starts, plus the total at the end (length classes + 1). */
  classStarts: number[];
  nSkipped: number;
  /** [relative directory ('' = root), stamp] for every directory walked. */
  dirs: Array<[string, string]>;
}

export interface ImageFolderIndex extends IndexHeader {
  /** Relative paths, each followed by '\n'. */
  body: Buffer;
  /** Start of path i in `body`; `offsets[nImgs]` is the end. */
  offsets: Float64Array;
}

export function getNImgs(index: ImageFolderIndex): number {
  return index.offsets.length - 1;
}

/** Relative path of image i. */
export function getRelPath(index: ImageFolderIndex, i: number): string {
  return index.body.toString('utf8', index.offsets[i], index.offsets[i + 1] - 1);
}

/** Class index of image i (classes are contiguous ranges). */
export function getTarget(index: ImageFolderIndex, i: number): number {
  let lo = 0;
  let hi = index.classes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (index.classStarts[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

async function isDirectory(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
}

async function readEntries(dir: string): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const isDir =
      entry.isDirectory() ||
      ((entry.isSymbolicLink() || !entry.isFile()) && (await isDirectory(path.join(dir, entry.name))));
    (isDir ? dirs : files).push(entry.name);
  }
  return { dirs, files };
}

function offsetsOf(body: Buffer): Float64Array {
  let n = 0;
  for (let k = body.indexOf(10); k !== -1; k = body.indexOf(10, k + 1)) n++;
  const offsets = new Float64Array(n + 1);
  let i = 1;
  for (let k = body.indexOf(10); k !== -1; k = body.indexOf(10, k + 1)) offsets[i++] = k + 1;
  return offsets;
}

async function buildIndex(root: string, hooks: SetupHooks): Promise<ImageFolderIndex> {
  const top = await readEntries(root);
  const classes = top.dirs.sort(compareCodePoints);
  if (classes.length === 0)
    throw new Error(`data: image-folder root '${root}' has no class subdirectories (expected ${root}/<class>/<image>)`);
  const dirs: Array<[string, string]> = [['', (await getStamp(root)) ?? '']];
  const chunks: Buffer[] = [];
  const classStarts = [0];
  let nImgs = 0;
  let nSkipped = 0;
  for (const name of classes) {
    // sorted(os.walk(class)): every directory of the class, ordered by path; files sorted within each
    const walked: Array<[string, string[]]> = [];
    const pending = [name];
    while (pending.length > 0) {
      const rel = pending.pop()!;
      const { dirs: sub, files } = await readEntries(path.join(root, rel));
      walked.push([rel, files.sort(compareCodePoints)]);
      for (const d of sub) pending.push(`${rel}/${d}`);
    }
    walked.sort((a, b) => compareCodePoints(a[0], b[0]));
    for (const [rel, files] of walked) {
      dirs.push([rel, (await getStamp(path.join(root, rel))) ?? '']);
      const lines: string[] = [];
      for (const file of files) {
        if (!isImagePath(file)) {
          nSkipped++;
          continue;
        }
        if (file.includes('\n'))
          throw new Error(`data: image-folder file name with a newline in ${path.join(root, rel)}; rename it`);
        lines.push(`${rel}/${file}\n`);
      }
      if (lines.length > 0) chunks.push(Buffer.from(lines.join(''), 'utf8'));
      nImgs += lines.length;
    }
    classStarts.push(nImgs);
    if (classStarts.length % 100 === 0)
      hooks.log(
        `setup: listed ${classStarts.length - 1}/${classes.length} classes, ${nImgs.toLocaleString('en-US')} images`,
      );
  }
  if (nImgs === 0) {
    throw new Error(
      `data: image-folder root '${root}' has no images with extensions ${IMG_EXTENSIONS.join(' ')} in its ${classes.length} class folders${nSkipped ? ` (${nSkipped} other files ignored)` : ''}`,
    );
  }
  const body = Buffer.concat(chunks);
  return {
    version: INDEX_VERSION,
    kind: 'image-folder',
    classes,
    classStarts,
    nSkipped,
    dirs,
    body,
    offsets: offsetsOf(body),
  };
}

function parseCache(data: Buffer): ImageFolderIndex | null {
  const nl = data.indexOf(10);
  if (nl === -1) return null;
  try {
    const header = JSON.parse(data.toString('utf8', 0, nl)) as IndexHeader;
    if (header.version !== INDEX_VERSION || header.kind !== 'image-folder') return null;
    const body = data.subarray(nl + 1);
    const offsets = offsetsOf(body);
    if (offsets.length - 1 !== header.classStarts[header.classStarts.length - 1]) return null;
    return { ...header, body, offsets };
  } catch {
    return null;
  }
}

async function isFresh(root: string, index: ImageFolderIndex): Promise<boolean> {
  for (let k = 0; k < index.dirs.length; k += 256) {
    const batch = index.dirs.slice(k, k + 256);
    const stamps = await Promise.all(batch.map(([rel]) => getStamp(path.join(root, rel))));
    if (stamps.some((s, j) => s !== batch[j][1])) return false;
  }
  return true;
}

/** Validates the tree, builds or reuses the cached listing, and reports what it did. */
export async function setupImageFolder(
  root: string,
  hooks: SetupHooks,
): Promise<{ index: ImageFolderIndex; report: SetupReport }> {
  if (!(await isDirectory(root)))
    throw new Error(
      `data: image-folder root '${root}' does not exist or is not a directory; pass --data-root a directory of <class>/<image> folders`,
    );
  const indexPath = await getIndexPath('image-folder', root, '', 'idx');
  const cached = await readCache(indexPath);
  const previous = cached === null ? null : parseCache(cached);
  let state: SetupReport['state'] = 'reused';
  let index: ImageFolderIndex;
  if (previous !== null && (await isFresh(root, previous))) index = previous;
  else {
    state = previous === null ? 'built' : 'rebuilt';
    if (previous !== null) hooks.log(`setup: ${root} changed since it was indexed; re-listing`);
    index = await buildIndex(root, hooks);
    const { body, offsets: _offsets, ...header } = index;
    await writeCache(indexPath, Buffer.concat([Buffer.from(JSON.stringify(header) + '\n', 'utf8'), body]), hooks.warn);
  }
  const empty = index.classes.filter((_, k) => index.classStarts[k + 1] === index.classStarts[k]);
  if (empty.length > 0) {
    const names =
      empty
        .slice(0, 5)
        .map((c) => `'${c}'`)
        .join(', ') + (empty.length > 5 ? `, ... (${empty.length} in all)` : '');
    throw new Error(
      `data: image-folder classes with no images under ${root}: ${names}; torchvision's ImageFolder (and so saev) refuses them too: add images or remove the folders`,
    );
  }
  const nImgs = getNImgs(index);
  const skipped = index.nSkipped > 0 ? `, ${formatCount(index.nSkipped, 'non-image file')} skipped` : '';
  return {
    index,
    report: {
      kind: 'image-folder',
      root,
      nImgs,
      state,
      indexPath,
      summary: `${formatCount(nImgs, 'image')} in ${formatCount(index.classes.length, 'class', 'classes')} under ${root}${skipped}`,
      details: { nClasses: index.classes.length, nSkipped: index.nSkipped, nDirs: index.dirs.length },
    },
  };
}
