/**
 * `image-folder`: torchvision's `ImageFolder` semantics. Classes are the
 * root's subdirectories sorted by code point; within each class, directories
 * are walked recursively (following links) in sorted order and files sorted;
 * only torchvision's image extensions count (case-insensitive), other files
 * are skipped and counted. Images decode like PIL's `.convert("RGB")`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { compareCodePoints } from '../format/python-json.js';
import { pythonDataclassRepr } from '../format/python-repr.js';
import { decodeRgb } from '../images/decode.js';
import type { ImageDataset } from './dataset.js';

/** torchvision.datasets.folder.IMG_EXTENSIONS. */
export const IMG_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

export interface ImageFolderListing {
  /** Class names, sorted. */
  classes: string[];
  /** Image paths in dataset order. */
  paths: string[];
  /** Class index of each image. */
  targets: number[];
  /** Files skipped because their extension is not an image extension. */
  nSkipped: number;
}

function isImagePath(name: string): boolean {
  const lower = name.toLowerCase();
  return IMG_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

async function isDirectory(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
}

/** Every (directory, sorted file names) under `top`, like `sorted(os.walk(top, followlinks=True))`. */
async function walk(top: string): Promise<Array<[string, string[]]>> {
  const out: Array<[string, string[]]> = [];
  const pending = [top];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const files: string[] = [];
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(full)));
      if (isDir) pending.push(full);
      else files.push(entry.name);
    }
    out.push([dir, files.sort(compareCodePoints)]);
  }
  return out.sort((a, b) => compareCodePoints(a[0], b[0]));
}

export async function listImageFolder(root: string): Promise<ImageFolderListing> {
  if (!(await isDirectory(root))) throw new Error(`data: image-folder root '${root}' does not exist or is not a directory; pass --data-root`);
  const entries = await fs.readdir(root, { withFileTypes: true });
  const classes: string[] = [];
  for (const entry of entries) if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(path.join(root, entry.name))))) classes.push(entry.name);
  classes.sort(compareCodePoints);
  if (classes.length === 0) throw new Error(`data: image-folder root '${root}' has no class subdirectories (expected ${root}/<class>/<image>)`);
  const listing: ImageFolderListing = { classes, paths: [], targets: [], nSkipped: 0 };
  for (const [target, name] of classes.entries()) {
    for (const [dir, files] of await walk(path.join(root, name))) {
      for (const file of files) {
        if (!isImagePath(file)) {
          listing.nSkipped++;
          continue;
        }
        listing.paths.push(path.join(dir, file));
        listing.targets.push(target);
      }
    }
  }
  if (listing.paths.length === 0) {
    throw new Error(`data: image-folder root '${root}' has no images with extensions ${IMG_EXTENSIONS.join(' ')} in its ${classes.length} class folders`);
  }
  return listing;
}

export async function makeImageFolderDataset(root: string): Promise<ImageDataset> {
  const listing = await listImageFolder(root);
  const skipped = listing.nSkipped > 0 ? `, ${listing.nSkipped} non-image files skipped` : '';
  return {
    repr: pythonDataclassRepr('ImageFolderDataset', [['root', root]]),
    nImgs: listing.paths.length,
    summary: `${listing.paths.length} images in ${listing.classes.length} classes under ${root}${skipped}`,
    async getImage(i) {
      const file = listing.paths[i];
      if (file === undefined) throw new Error(`data: index ${i} is outside the ${listing.paths.length} images of ${root}`);
      const bytes = await fs.readFile(file).catch((error: Error) => {
        throw new Error(`image: cannot read ${file} (index ${i}): ${error.message.split('\n')[0]}`);
      });
      return decodeRgb(bytes, `${file} (index ${i})`);
    },
  };
}
