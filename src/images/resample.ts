/**
 * Pillow's `Image.resize` for 8-bit RGB, reproduced exactly (docs/families.md#preprocessing).
 *
 * Pillow (`src/libImaging/Resample.c`) resizes with a separable convolution:
 * a horizontal pass into a uint8 intermediate, then a vertical pass. Each
 * output pixel's filter is widened by the downscale factor (antialiasing),
 * its weights are normalised to sum 1, then held in fixed point with
 * PRECISION_BITS = 22 and rounded half away from zero. Sums start at half a
 * unit and are clipped to 0..255. Pillow 13 puts the vertical pass first when
 * the height shrinks much more than the width (see resizeLikePillow). torchvision's `Resize` on a PIL image calls
 * exactly this, so matching it makes our pixels equal saev's.
 */

export type ResampleFilter = 'bicubic' | 'bilinear';

/** An 8-bit RGB image, row-major `[H, W, 3]`. */
export interface RgbImage {
  width: number;
  height: number;
  /** `pixels_HWC`, length height * width * 3. */
  data: Uint8Array;
}

export const PRECISION_BITS = 32 - 8 - 2;

interface Filter {
  support: number;
  weight(x: number): number;
}

const FILTERS: Record<ResampleFilter, Filter> = {
  bilinear: { support: 1, weight: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  bicubic: {
    support: 2,
    weight: (x) => {
      // Keys cubic with a = -0.5, as Pillow's bicubic_filter.
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

/** Per output pixel: the first input index and fixed-point weights over consecutive inputs. */
export interface Coefficients {
  starts: Int32Array;
  counts: Int32Array;
  /** `[outSize, taps]`, integer weights scaled by 2**PRECISION_BITS. */
  weights: Int32Array;
  taps: number;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` over the input span [0, inSize). */
function computeCoefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const raw = new Float64Array(taps);
  const inverse = 1 / filterScale;
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    const count = xmax - xmin;
    let total = 0;
    for (let k = 0; k < count; k++) {
      const w = filter.weight((k + xmin - center + 0.5) * inverse);
      raw[k] = w;
      total += w;
    }
    for (let k = 0; k < count; k++) {
      const w = total !== 0 ? raw[k] / total : raw[k];
      const scaled = w * (1 << PRECISION_BITS);
      weights[out * taps + k] = scaled < 0 ? Math.trunc(-0.5 + scaled) : Math.trunc(0.5 + scaled);
    }
    starts[out] = xmin;
    counts[out] = count;
  }
  return { starts, counts, weights, taps };
}

/** The fixed-point filter Pillow uses to resize one axis from `inSize` to `outSize` pixels. */
export function getCoefficients(inSize: number, outSize: number, filter: ResampleFilter): Coefficients {
  return computeCoefficients(inSize, outSize, FILTERS[filter]);
}

function clip8(sum: number): number {
  // sum >> PRECISION_BITS with an arithmetic shift; sums fit comfortably in a double.
  const value = Math.floor(sum / (1 << PRECISION_BITS));
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

function resampleHorizontal(src: RgbImage, outWidth: number, c: Coefficients): RgbImage {
  const out = new Uint8Array(src.height * outWidth * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width * 3;
    for (let x = 0; x < outWidth; x++) {
      let r = half,
        g = half,
        b = half;
      const start = c.starts[x];
      for (let k = 0; k < c.counts[x]; k++) {
        const w = c.weights[x * c.taps + k];
        const p = row + (start + k) * 3;
        r += src.data[p] * w;
        g += src.data[p + 1] * w;
        b += src.data[p + 2] * w;
      }
      const o = (y * outWidth + x) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return { width: outWidth, height: src.height, data: out };
}

function resampleVertical(src: RgbImage, outHeight: number, c: Coefficients): RgbImage {
  const out = new Uint8Array(outHeight * src.width * 3);
  const half = 1 << (PRECISION_BITS - 1);
  const stride = src.width * 3;
  for (let y = 0; y < outHeight; y++) {
    const start = c.starts[y];
    for (let i = 0; i < stride; i++) {
      let sum = half;
      for (let k = 0; k < c.counts[y]; k++) sum += src.data[(start + k) * stride + i] * c.weights[y * c.taps + k];
      out[y * stride + i] = clip8(sum);
    }
  }
  return { width: src.width, height: outHeight, data: out };
}

/** `img.resize((width, height), filter)` on an RGB image, as Pillow computes it. */
export function resizeLikePillow(src: RgbImage, width: number, height: number, filter: ResampleFilter): RgbImage {
  if (width < 1 || height < 1) throw new Error(`resample: target size ${width}x${height} must be positive`);
  // Pillow skips a pass whose size does not change.
  const horizontal = (image: RgbImage) =>
    width !== src.width
      ? resampleHorizontal(image, width, computeCoefficients(src.width, width, FILTERS[filter]))
      : image;
  const vertical = (image: RgbImage) =>
    height !== src.height
      ? resampleVertical(image, height, computeCoefficients(src.height, height, FILTERS[filter]))
      : image;
  // Pillow 13 (Resample.c, `horizontal_first`) runs the vertical pass first when the height shrinks by more
  // than twice as many pixels as the width; earlier Pillow always ran horizontal first. The uint8
  // intermediate makes the order visible (up to a few levels), so we follow the current release.
  const shrinkH = src.height - height;
  const verticalFirst = shrinkH > 0 && shrinkH > 2 * (src.width - width);
  return verticalFirst ? horizontal(vertical(src)) : vertical(horizontal(src));
}

/** `img.crop((left, top, left + width, top + height))` inside the image bounds. */
export function cropRgb(src: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > src.width || top + height > src.height) {
    throw new Error(
      `resample: crop ${width}x${height}+${left}+${top} falls outside a ${src.width}x${src.height} image`,
    );
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * src.width + left) * 3;
    out.set(src.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data: out };
}
