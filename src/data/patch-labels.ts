/**
 * Per-patch labels for segmentation datasets (saev's later protocol,
 * `labels.bin`: uint8 `[n_imgs, n_patches]` beside the shards). The label map
 * goes through the family's resize and centre crop with Pillow's NEAREST
 * filter (exactly `Image.resize(size, NEAREST)`: Pillow's `ImagingScaleAffine`,
 * sampling pixel centres with a double-precision running coordinate), is cut
 * into patch x patch blocks in row-major order, and each block takes one
 * label (saev's `pixel_to_patch_labels`): `majority`, its most frequent label;
 * `prefer-fg`, its most frequent label other than the background (0, saev's
 * default `bg_label`), or the background when it holds nothing else. Ties go
 * to the smaller label, like `bincount().argmax()`.
 */
import { forEachBounded } from '../bounded-parallel.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { PixelAgg } from '../shards/metadata-v21.js';
import { getResizedSize, PreprocessSpec, roundHalfEven } from '../images/preprocess.js';
import type { ImageDataset, LabelMap } from './dataset.js';

/** Pillow's `resize((width, height), Image.NEAREST)` of a one-channel map. */
export function resizeNearestLikePillow(src: LabelMap, width: number, height: number): LabelMap {
  if (src.width === width && src.height === height) return src;
  const a0 = src.width / width;
  const a4 = src.height / height;
  const xintab = new Int32Array(width);
  let xo = a0 * 0.5;
  for (let x = 0; x < width; x++) {
    xintab[x] = Math.min(Math.trunc(xo), src.width - 1);
    xo += a0;
  }
  const out = new Uint8Array(width * height);
  let yo = a4 * 0.5;
  for (let y = 0; y < height; y++) {
    const yi = Math.min(Math.trunc(yo), src.height - 1);
    const row = yi * src.width;
    for (let x = 0; x < width; x++) out[y * width + x] = src.data[row + xintab[x]];
    yo += a4;
  }
  return { width, height, data: out };
}

function cropMap(src: LabelMap, size: number): LabelMap {
  if (src.width < size || src.height < size)
    throw new Error(`labels: a ${src.width}x${src.height} map is smaller than the ${size} px crop`);
  const top = roundHalfEven((src.height - size) / 2);
  const left = roundHalfEven((src.width - size) / 2);
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    out.set(src.data.subarray((top + y) * src.width + left, (top + y) * src.width + left + size), y * size);
  return { width: size, height: size, data: out };
}

/** The map as the model sees its image: the family's resize and crop, with NEAREST. */
export function resizeAndCropMap(map: LabelMap, spec: PreprocessSpec): LabelMap {
  const [width, height] = getResizedSize(map.width, map.height, spec);
  const resized = resizeNearestLikePillow(map, width, height);
  return spec.cropSize === null ? resized : cropMap(resized, spec.cropSize);
}

/** The background label of `prefer-fg` (saev's `ImgSegFolder.bg_label` default; ADE20K's "other"). */
export const BG_LABEL = 0;

/** One label per patch, row-major, `labels_P`. */
export function getPatchLabels(
  map: LabelMap,
  spec: PreprocessSpec,
  patchSize: number,
  pixelAgg: PixelAgg = 'majority',
): Uint8Array {
  const input = resizeAndCropMap(map, spec);
  const gw = Math.floor(input.width / patchSize);
  const gh = Math.floor(input.height / patchSize);
  if (gw * patchSize !== input.width || gh * patchSize !== input.height) {
    throw new Error(
      `labels: a ${input.width}x${input.height} model input is not a whole number of ${patchSize} px patches`,
    );
  }
  const out = new Uint8Array(gw * gh);
  const counts = new Uint32Array(256);
  for (let r = 0; r < gh; r++) {
    for (let c = 0; c < gw; c++) {
      counts.fill(0);
      for (let y = r * patchSize; y < (r + 1) * patchSize; y++) {
        const row = y * input.width;
        for (let x = c * patchSize; x < (c + 1) * patchSize; x++) counts[input.data[row + x]]++;
      }
      if (pixelAgg === 'prefer-fg') counts[BG_LABEL] = 0;
      let best = 0;
      for (let v = 1; v < 256; v++) if (counts[v] > counts[best]) best = v;
      out[r * gw + c] = counts[best] === 0 ? BG_LABEL : best;
    }
  }
  return out;
}

/** `labels_NP` for images [start, end) of a segmentation dataset; `nPatches` is checked against the grid. */
export async function computePatchLabels(
  dataset: ImageDataset,
  spec: PreprocessSpec,
  patchSize: number,
  nPatches: number,
  start = 0,
  end = dataset.nImgs,
  nWorkers = 4,
  pixelAgg: PixelAgg = 'majority',
): Promise<Uint8Array> {
  if (dataset.getSegmentation === undefined)
    throw new Error(`labels: ${dataset.repr} has no segmentation maps, so it has no per-patch labels`);
  const getSegmentation = dataset.getSegmentation.bind(dataset);
  const out = new Uint8Array((end - start) * nPatches);
  await forEachBounded(end - start, nWorkers, async (k) => {
    const i = start + k;
    const labels = getPatchLabels(await getSegmentation(i), spec, patchSize, pixelAgg);
    if (labels.length !== nPatches)
      throw new Error(`labels: image ${i} gives ${labels.length} patches, expected ${nPatches} (n_patches_per_img)`);
    out.set(labels, k * nPatches);
  });
  return out;
}

/** Writes `labels.bin` (uint8 `[n_imgs, n_patches]`, row i = dataset index i) atomically. */
export async function writePatchLabels(
  dataset: ImageDataset,
  spec: PreprocessSpec,
  patchSize: number,
  nPatches: number,
  filePath: string,
  pixelAgg: PixelAgg = 'majority',
): Promise<void> {
  await writeFileAtomic(
    filePath,
    await computePatchLabels(dataset, spec, patchSize, nPatches, 0, dataset.nImgs, 4, pixelAgg),
  );
}
