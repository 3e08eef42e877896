/**
 * PyTorch's `F.interpolate(mode="bicubic", align_corners=False)` on a
 * `[D, H, W]` grid, with and without `antialias`, as DINOv2 resizes its
 * position embeddings (done once, at conversion time). Without antialias
 * torch samples Keys' cubic with a = -0.75 at `scale * (out + 0.5) - 0.5`,
 * clamping indices at the border, where scale is `1 / scale_factor` when a
 * scale factor is given and `in / out` otherwise (so DINOv2's 0.1 offset
 * moves the sample points). With antialias it uses Pillow's scheme: a = -0.5,
 * support widened by the downscale factor, weights normalised per output.
 * `resizePositionGrid` applies it to a position embedding's patch grid.
 */

export interface InterpolateOptions {
  /** Output rows and columns. */
  outH: number;
  outW: number;
  /** torch's `scale_factor` (rows, columns); when given it sets the sample spacing instead of in / out. */
  scaleFactor?: readonly [number, number];
  /** torch's `antialias`. */
  antialias: boolean;
}

/** Per output index: the input indices and weights along one axis. */
interface AxisWeights {
  indices: Int32Array[];
  weights: Float64Array[];
}

function cubic(x: number, a: number): number {
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** torch `area_pixel_compute_scale` (align_corners False), in float32 as for float tensors. */
function getScale(inSize: number, outSize: number, scaleFactor: number | undefined): number {
  return scaleFactor !== undefined && scaleFactor > 0 ? Math.fround(1 / scaleFactor) : Math.fround(inSize / outSize);
}

function plainAxis(inSize: number, outSize: number, scaleFactor: number | undefined): AxisWeights {
  const scale = getScale(inSize, outSize, scaleFactor);
  const indices: Int32Array[] = [];
  const weights: Float64Array[] = [];
  for (let out = 0; out < outSize; out++) {
    const real = Math.fround(Math.fround(scale * Math.fround(out + 0.5)) - 0.5);
    const base = Math.floor(real);
    const t = Math.fround(real - base);
    const idx = new Int32Array(4);
    const w = new Float64Array(4);
    for (let k = 0; k < 4; k++) {
      idx[k] = Math.max(0, Math.min(inSize - 1, base - 1 + k));
      w[k] = cubic(t - (k - 1), -0.75);
    }
    indices.push(idx);
    weights.push(w);
  }
  return { indices, weights };
}

function antialiasAxis(inSize: number, outSize: number, scaleFactor: number | undefined): AxisWeights {
  const scale = getScale(inSize, outSize, scaleFactor);
  const support = scale >= 1 ? 2 * scale : 2;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const indices: Int32Array[] = [];
  const weights: Float64Array[] = [];
  for (let out = 0; out < outSize; out++) {
    const center = scale * (out + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const idx = new Int32Array(count);
    const w = new Float64Array(count);
    let total = 0;
    for (let k = 0; k < count; k++) {
      idx[k] = xmin + k;
      w[k] = cubic((k + xmin - center + 0.5) * invScale, -0.5);
      total += w[k];
    }
    if (total !== 0) for (let k = 0; k < count; k++) w[k] /= total;
    indices.push(idx);
    weights.push(w);
  }
  return { indices, weights };
}

/** `grid_DHW` (row-major, channels first) resized to `[D, outH, outW]`. */
export function interpolateBicubic(
  grid_DHW: Float32Array,
  depth: number,
  inH: number,
  inW: number,
  options: InterpolateOptions,
): Float32Array {
  const axis = options.antialias ? antialiasAxis : plainAxis;
  const rows = axis(inH, options.outH, options.scaleFactor?.[0]);
  const cols = axis(inW, options.outW, options.scaleFactor?.[1]);
  const out = new Float32Array(depth * options.outH * options.outW);
  // Separable: columns first into a float32 intermediate, then rows.
  const tmp = new Float32Array(inH * options.outW);
  for (let d = 0; d < depth; d++) {
    const plane = d * inH * inW;
    for (let y = 0; y < inH; y++) {
      for (let x = 0; x < options.outW; x++) {
        let sum = 0;
        const idx = cols.indices[x];
        const w = cols.weights[x];
        for (let k = 0; k < idx.length; k++) sum += w[k] * grid_DHW[plane + y * inW + idx[k]];
        tmp[y * options.outW + x] = sum;
      }
    }
    for (let y = 0; y < options.outH; y++) {
      const idx = rows.indices[y];
      const w = rows.weights[y];
      for (let x = 0; x < options.outW; x++) {
        let sum = 0;
        for (let k = 0; k < idx.length; k++) sum += w[k] * tmp[idx[k] * options.outW + x];
        out[(d * options.outH + y) * options.outW + x] = sum;
      }
    }
  }
  return out;
}

/**
 * A position embedding `[1 + side², D]` (one prefix position, e.g. CLS, then the patch grid
 * row-major) resized to `[1 + grid², D]`: the prefix row kept, the grid resized per channel as
 * `interpolateBicubic` does (`[P, D]` -> `[D, side, side]` -> resize -> `[P', D]`).
 */
export function resizePositionGrid(
  positions_ND: Float32Array,
  width: number,
  side: number,
  grid: number,
  options: Omit<InterpolateOptions, 'outH' | 'outW'>,
): Float32Array {
  const nPatches = side * side;
  if (positions_ND.length !== (1 + nPatches) * width) {
    const expected = `${1 + nPatches} positions of width ${width} (one prefix and a ${side}x${side} grid)`;
    throw new Error(`interpolate: expected ${expected}, found ${positions_ND.length} values`);
  }
  const planes = new Float32Array(width * nPatches);
  for (let p = 0; p < nPatches; p++)
    for (let d = 0; d < width; d++) planes[d * nPatches + p] = positions_ND[(1 + p) * width + d];
  const resized = interpolateBicubic(planes, width, side, side, { ...options, outH: grid, outW: grid });
  const out = new Float32Array((1 + grid * grid) * width);
  out.set(positions_ND.subarray(0, width));
  for (let p = 0; p < grid * grid; p++)
    for (let d = 0; d < width; d++) out[(1 + p) * width + d] = resized[d * grid * grid + p];
  return out;
}
