/**
 * `image-folder`: torchvision's `ImageFolder` semantics over the cached
 * listing of image-folder-index.ts (classes sorted by code point; within each
 * class, directories walked recursively, following links, in sorted order and
 * files sorted; only torchvision's image extensions count, other files are
 * skipped and counted). Images decode like PIL's `.convert("RGB")`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pythonDataclassRepr } from '../python/python-repr.js';
import { decodeRgb, type EncodedImage } from '../images/decode.js';
import { checkIndex, ImageDataset } from './dataset.js';
import { getNImgs, getRelPath, getTarget, ImageFolderIndex } from './image-folder-index.js';

export { IMG_EXTENSIONS } from './image-folder-index.js';

export function makeImageFolderFromIndex(root: string, index: ImageFolderIndex, summary: string): ImageDataset {
  const nImgs = getNImgs(index);
  const getEncodedImage = async (i: number): Promise<EncodedImage> => {
    checkIndex(i, nImgs, root);
    const file = path.join(root, getRelPath(index, i));
    const bytes = await fs.readFile(file).catch(async (error: NodeJS.ErrnoException) => {
      const link = await fs.lstat(file).then(
        (s) => s.isSymbolicLink(),
        () => false,
      );
      const why =
        error.code !== 'ENOENT'
          ? null
          : link
            ? 'it is a link to a missing file'
            : 'it was there at setup, so the folder has changed since';
      throw new Error(
        `image: cannot read ${file} (index ${i}): ${error.message.split('\n')[0]}${why ? `; ${why}` : ''}`,
      );
    });
    return { bytes, name: `${file} (index ${i})` };
  };
  return {
    repr: pythonDataclassRepr('ImageFolderDataset', [['root', root]]),
    nImgs,
    summary,
    getEncodedImage,
    async getImage(i) {
      const { bytes, name } = await getEncodedImage(i);
      return decodeRgb(bytes, name);
    },
    async getLabel(i) {
      checkIndex(i, nImgs, root);
      const target = getTarget(index, i);
      return { target, label: index.classes[target] };
    },
  };
}
