/**
 * `ade20k`: the ADEChallengeData2016 layout, `images/{training,validation}/*.jpg`,
 * `annotations/{training,validation}/*.png` (mode-L class maps, 0 = other)
 * and `sceneCategories.txt` (`<stem> <scene>` per line). Images are the
 * split's image files sorted by name; the scene label is looked up by file
 * stem (saev 0.1.0 zipped all lines with the split's images, so its validation
 * labels were wrong), and `target` is the label's position in the sorted set
 * of all scenes in the file, as in saev 0.1.0. Every image must have an
 * annotation and a scene. The index is cached like the other kinds and
 * rebuilt when a split directory or the scene file changes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { compareCodePoints } from '../python/python-json.js';
import { pythonDataclassRepr } from '../python/python-repr.js';
import { decodeRgb, type EncodedImage } from '../images/decode.js';
import { getIndexPath, getStamp, readCache, writeCache } from './cache-dir.js';
import { checkIndex, ImageDataset, LabelMap } from './dataset.js';
import { isImagePath } from './image-folder-index.js';
import type { SetupHooks, SetupReport } from './setup-report.js';

export const ADE20K_SPLITS = ['training', 'validation'] as const;
const INDEX_VERSION = 1;

export interface Ade20kIndex {
  version: number;
  kind: 'ade20k';
  split: string;
  /** Image file names in images/<split>, sorted. */
  files: string[];
  /** Annotation file name of each image. */
  annotations: string[];
  /** Target of each image (index into `scenes`). */
  targets: number[];
  /** Sorted set of every scene in sceneCategories.txt. */
  scenes: string[];
  nSkipped: number;
  stamps: string[];
}

const stem = (name: string) => name.slice(0, name.length - path.extname(name).length);

async function getStamps(root: string, split: string): Promise<string[]> {
  const parts = [path.join('images', split), path.join('annotations', split), 'sceneCategories.txt'];
  return Promise.all(parts.map(async (p) => `${p}=${(await getStamp(path.join(root, p))) ?? 'missing'}`));
}

async function buildIndex(root: string, split: string, stamps: string[]): Promise<Ade20kIndex> {
  const imgDir = path.join(root, 'images', split);
  const segDir = path.join(root, 'annotations', split);
  for (const dir of [imgDir, segDir]) {
    if (!(await fs.stat(dir).catch(() => null))?.isDirectory()) {
      throw new Error(
        `data: ade20k root '${root}' has no ${path.relative(root, dir)}/ directory (expected ADEChallengeData2016 with images/ and annotations/); check --data-root`,
      );
    }
  }
  const scenesPath = path.join(root, 'sceneCategories.txt');
  const text = await fs.readFile(scenesPath, 'utf8').catch(() => {
    throw new Error(`data: ade20k root '${root}' has no sceneCategories.txt; check --data-root`);
  });
  const sceneOf = new Map<string, string>();
  for (const [k, line] of text.split('\n').entries()) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') continue;
    if (fields.length !== 2)
      throw new Error(`data: ${scenesPath} line ${k + 1} is '${line.trim()}', expected '<image stem> <scene>'`);
    sceneOf.set(fields[0], fields[1]);
  }
  const scenes = [...new Set(sceneOf.values())].sort(compareCodePoints);
  const all = (await fs.readdir(imgDir)).sort(compareCodePoints);
  const files = all.filter(isImagePath);
  if (files.length === 0) throw new Error(`data: ade20k ${imgDir} has no images`);
  const segs = new Map((await fs.readdir(segDir)).filter(isImagePath).map((f) => [stem(f), f]));
  const annotations: string[] = [];
  const targets: number[] = [];
  for (const file of files) {
    const seg = segs.get(stem(file));
    if (seg === undefined)
      throw new Error(
        `data: ade20k image ${path.join(imgDir, file)} has no annotation ${path.join(segDir, stem(file) + '.png')}`,
      );
    const scene = sceneOf.get(stem(file));
    if (scene === undefined)
      throw new Error(
        `data: ade20k image ${path.join(imgDir, file)} has no scene label in ${scenesPath} (no line '${stem(file)} <scene>')`,
      );
    annotations.push(seg);
    targets.push(scenes.indexOf(scene));
  }
  return {
    version: INDEX_VERSION,
    kind: 'ade20k',
    split,
    files,
    annotations,
    targets,
    scenes,
    nSkipped: all.length - files.length,
    stamps,
  };
}

/** Validates the split, builds or reuses the cached index, and reports what it did. */
export async function setupAde20k(
  root: string,
  split: string,
  hooks: SetupHooks,
): Promise<{ index: Ade20kIndex; report: SetupReport }> {
  if (!(ADE20K_SPLITS as readonly string[]).includes(split))
    throw new Error(`config: ade20k --data-split must be one of ${ADE20K_SPLITS.join(', ')}, found '${split}'`);
  const stamps = await getStamps(root, split);
  const indexPath = await getIndexPath('ade20k', root, split, 'json');
  const cached = await readCache(indexPath);
  let previous: Ade20kIndex | null;
  try {
    previous = cached === null ? null : (JSON.parse(cached.toString('utf8')) as Ade20kIndex);
    if (previous?.version !== INDEX_VERSION) previous = null;
  } catch {
    previous = null;
  }
  let state: SetupReport['state'] = 'reused';
  let index: Ade20kIndex;
  if (previous !== null && JSON.stringify(previous.stamps) === JSON.stringify(stamps)) index = previous;
  else {
    state = previous === null ? 'built' : 'rebuilt';
    if (previous !== null) hooks.log(`setup: ${root} split '${split}' changed since it was indexed; re-indexing`);
    index = await buildIndex(root, split, stamps);
    await writeCache(indexPath, JSON.stringify(index), hooks.warn);
  }
  const skipped = index.nSkipped > 0 ? `, ${index.nSkipped} non-image files skipped` : '';
  return {
    index,
    report: {
      kind: 'ade20k',
      root,
      nImgs: index.files.length,
      state,
      indexPath,
      summary: `${index.files.length.toLocaleString('en-US')} images (split '${split}', ${index.scenes.length} scenes, with segmentation maps) under ${root}${skipped}`,
      details: { split, nScenes: index.scenes.length, nSkipped: index.nSkipped },
    },
  };
}

/** Decodes an annotation PNG like PIL's `Image.open(f).convert("L")` for mode-L (and LA) files. */
export async function decodeLabelMap(bytes: Uint8Array, name: string): Promise<LabelMap> {
  try {
    const options = { failOn: 'error', limitInputPixels: false } as const;
    const meta = await sharp(bytes, options).metadata();
    if ((meta.channels ?? 0) > 2 || meta.isPalette) {
      throw new Error(
        `${meta.isPalette ? 'a palette' : `${meta.channels}-channel`} image; ADE20K annotations are one-channel (mode L) class maps`,
      );
    }
    if (meta.depth !== 'uchar') throw new Error(`${meta.depth} samples; ADE20K annotations are 8-bit`);
    const { data, info } = await sharp(bytes, options).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height),
    };
  } catch (error) {
    throw new Error(`labels: cannot decode ${name} (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
}

export function makeAde20kFromIndex(root: string, index: Ade20kIndex, summary: string): ImageDataset {
  const nImgs = index.files.length;
  const read = async (file: string, i: number) =>
    fs.readFile(file).catch((error: Error) => {
      throw new Error(`image: cannot read ${file} (index ${i}): ${error.message.split('\n')[0]}`);
    });
  const getEncodedImage = async (i: number): Promise<EncodedImage> => {
    checkIndex(i, nImgs, `${root} split '${index.split}'`);
    const file = path.join(root, 'images', index.split, index.files[i]);
    return { bytes: await read(file, i), name: `${file} (index ${i})` };
  };
  return {
    repr: pythonDataclassRepr('Ade20kDataset', [
      ['root', root],
      ['split', index.split],
    ]),
    nImgs,
    summary,
    getEncodedImage,
    async getImage(i) {
      const { bytes, name } = await getEncodedImage(i);
      return decodeRgb(bytes, name);
    },
    async getLabel(i) {
      checkIndex(i, nImgs, `${root} split '${index.split}'`);
      return { target: index.targets[i], label: index.scenes[index.targets[i]] };
    },
    async getSegmentation(i) {
      checkIndex(i, nImgs, `${root} split '${index.split}'`);
      const file = path.join(root, 'annotations', index.split, index.annotations[i]);
      return decodeLabelMap(await read(file, i), `${file} (index ${i})`);
    },
  };
}
