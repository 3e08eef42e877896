/**
 * Family preprocessing as data (docs/families.md#preprocessing): resize (Pillow-exact), optional
 * centre crop, scale to [0, 1], normalise per channel. Produces the
 * channels-last pixels a tfjs ViT takes. The work runs in crop-resample.ts,
 * which resizes only the pixels the crop keeps (the same bytes as Pillow's
 * whole resize, cropped); resample.ts is the plain reference it is tested
 * against.
 */
import { CropBox, Resampler } from './crop-resample.js';
import { cropRgb, ResampleFilter, RgbImage } from './resample.js';

export interface PreprocessSpec {
  /** `shortest`: torchvision `Resize(size)` (short side = size); `squash`: `Resize((size, size))`. */
  resize: 'shortest' | 'squash';
  /** Target of the resize, in pixels. */
  resizeSize: number;
  /** Pillow filter used by the resize. */
  filter: ResampleFilter;
  /** Side of torchvision's `CenterCrop`, or null for none. */
  cropSize: number | null;
  /** Per-channel RGB mean, applied after scaling to [0, 1]. */
  mean: readonly [number, number, number];
  /** Per-channel RGB standard deviation. */
  std: readonly [number, number, number];
}

/** Side of the square image that reaches the model. */
export function getInputSize(spec: PreprocessSpec): number {
  return spec.cropSize ?? spec.resizeSize;
}

/** torchvision's `_compute_resized_output_size` for an int size: short side = size, long side truncated. */
export function getResizedSize(width: number, height: number, spec: PreprocessSpec): [number, number] {
  if (spec.resize === 'squash') return [spec.resizeSize, spec.resizeSize];
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.trunc((spec.resizeSize * long) / short);
  return width <= height ? [spec.resizeSize, newLong] : [newLong, spec.resizeSize];
}

/** Python's `round` on a float: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** torchvision `CenterCrop` offsets: `int(round((H - crop) / 2.0))`. */
export function centerCrop(image: RgbImage, size: number): RgbImage {
  const box = getCropBox(image.width, image.height, size);
  return cropRgb(image, box.left, box.top, box.width, box.height);
}

/** The box of a `width` x `height` resized image that `CenterCrop(size)` keeps (all of it when `size` is null). */
export function getCropBox(width: number, height: number, size: number | null): CropBox {
  if (size === null) return { left: 0, top: 0, width, height };
  if (width < size || height < size)
    throw new Error(`preprocess: a ${width}x${height} image is smaller than the ${size} px crop`);
  return {
    left: roundHalfEven((width - size) / 2),
    top: roundHalfEven((height - size) / 2),
    width: size,
    height: size,
  };
}

/** One per thread: it keeps its WebAssembly memory between images. */
let resampler: Resampler | null = null;

/** Resized and cropped 8-bit RGB, before normalisation (what PIL hands to `ToTensor`). */
export function resizeAndCrop(image: RgbImage, spec: PreprocessSpec): RgbImage {
  const [width, height] = getResizedSize(image.width, image.height, spec);
  resampler ??= new Resampler();
  return resampler.resizeCrop(image, width, height, spec.filter, getCropBox(width, height, spec.cropSize));
}

/** The whole preprocessing of one decoded image: `pixels_HWC` float32 written into `out` at `offset`. */
export function preprocessInto(image: RgbImage, spec: PreprocessSpec, out: Float32Array, offset: number): void {
  const [width, height] = getResizedSize(image.width, image.height, spec);
  resampler ??= new Resampler();
  resampler.resizeCropNormalizeInto(
    image,
    width,
    height,
    spec.filter,
    getCropBox(width, height, spec.cropSize),
    spec,
    out,
    offset,
  );
}

/** `pixels_HWC` float32: (x / 255 - mean) / std, written into `out` at `offset`. */
export function normalizeInto(image: RgbImage, spec: PreprocessSpec, out: Float32Array, offset: number): void {
  const n = image.width * image.height;
  // torch holds mean and std as float32 tensors; ToTensor and Normalize each round to float32.
  const mean = spec.mean.map(Math.fround);
  const std = spec.std.map(Math.fround);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const scaled = Math.fround(image.data[i * 3 + c] / 255);
      out[offset + i * 3 + c] = Math.fround(Math.fround(scaled - mean[c]) / std[c]);
    }
  }
}
