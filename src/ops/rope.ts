/**
 * 2D rotary position embedding (RoPE) as DINOv3 and the Perception Encoder
 * define it: the angle table, computed on the host in float64 (it depends only
 * on the grid and the band frequencies), and the rotation of the query and key
 * columns of a fused qkv projection, before attention (so every attention
 * kernel, fused or not, stays as it is).
 *
 * Angles: band k of the E/4 bands of a head turns by `freq[k]` radians per
 * unit of coordinate; a patch's E/2 angles are its first-axis coordinate
 * times every band, then its second-axis coordinate times every band. Head
 * dims pair up `half` (j with j + E/2: DINOv3's rotate_half) or `interleaved`
 * (2j with 2j + 1: PE's), angle a turning its pair (x, y) into
 * (x cos a - y sin a, y cos a + x sin a).
 */
import { tf } from '../tf.js';

/**
 * 2D rotary position embedding of the patch tokens' queries and keys
 * (below); prefix tokens (CLS, registers) are never rotated. Band k
 * of the E/4 bands of a head of width E turns by `scale * base^(-k / (E/4))`
 * radians per unit of coordinate, once for each grid axis.
 */
export interface RopeSpec {
  /** Which head dims rotate together: `half` (j with j + E/2, DINOv3) or `interleaved` (2j with 2j + 1, PE). */
  pairing: 'half' | 'interleaved';
  /** Patch coordinates: `centered` (cell centres mapped to [-1, 1] per axis, DINOv3) or `index` (grid index, PE). */
  coords: 'centered' | 'index';
  /** Which axis the first half of the angles follows: `yx` (rows, DINOv3) or `xy` (columns, PE). */
  axes: 'yx' | 'xy';
  /** Base of the geometric band sequence: DINOv3's 100 (its periods are 100^(4k/E)), PE's 10000. */
  base: number;
  /** Radians per unit of coordinate of band 0: 2π for DINOv3 (angle 2π·c/period), 1 for PE. */
  scale: number;
  /** `index` coordinates: the CLS token sits at grid position 0, so patch indices start at 1 when there is one (PE). */
  clsAtOrigin: boolean;
}

/** What of an architecture (src/vit/arch.ts `VitArch`) fixes its RoPE grid. */
interface RopeArch {
  rope: RopeSpec | null;
  clsToken: boolean;
  imageSize: number;
  patchSize: number;
  width: number;
  nHeads: number;
}

/** The grid a table is made for: patches in row-major order, `side` x `side`. */
export interface RopeGrid {
  /** Patches per side. */
  side: number;
  /** E: head width. */
  headWidth: number;
  pairing: RopeSpec['pairing'];
  coords: RopeSpec['coords'];
  axes: RopeSpec['axes'];
  /** Added to each grid index before the coordinate is formed (PE with a CLS token: 1). */
  offset: number;
}

/** The grid of an arch with RoPE; PE's CLS token, at grid position 0, moves patch indices to start at 1. */
export function getRopeGrid(arch: RopeArch): RopeGrid {
  const rope = arch.rope;
  if (!rope) throw new Error('rope: this architecture has no rotary position embedding');
  const offset = rope.coords === 'index' && rope.clsAtOrigin && arch.clsToken ? 1 : 0;
  return {
    side: Math.floor(arch.imageSize / arch.patchSize), // the patch grid (vit/arch.ts's getGridSide)
    headWidth: arch.width / arch.nHeads,
    pairing: rope.pairing,
    coords: rope.coords,
    axes: rope.axes,
    offset,
  };
}

/** The E/4 band frequencies a spec defines, in float64: `scale * base^(-k / (E/4))`. */
export function getRopeFrequencies(spec: Pick<RopeSpec, 'base' | 'scale'>, headWidth: number): Float64Array {
  const nBands = headWidth / 4;
  return Float64Array.from({ length: nBands }, (_, k) => spec.scale * spec.base ** (-k / nBands));
}

function getCoordinate(index: number, grid: RopeGrid): number {
  return grid.coords === 'centered' ? (2 * (index + 0.5 + grid.offset)) / grid.side - 1 : index + grid.offset;
}

/** Head dim of each end of angle a's pair. */
function getPair(a: number, headWidth: number, pairing: RopeSpec['pairing']): [number, number] {
  return pairing === 'half' ? [a, a + headWidth / 2] : [2 * a, 2 * a + 1];
}

/**
 * `sinCos_2PE`, row-major: sin then cos of every patch's angle at every head
 * dim (both ends of a pair carry their pair's angle), computed in float64.
 */
export function makeRopeTable(grid: RopeGrid, frequencies: ArrayLike<number>): Float32Array {
  const { side, headWidth } = grid;
  const nBands = headWidth / 4;
  if (frequencies.length !== nBands)
    throw new Error(`rope: ${frequencies.length} band frequencies for head width ${headWidth}, expected ${nBands}`);
  const nPatches = side * side;
  const table = new Float32Array(2 * nPatches * headWidth);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const p = row * side + col;
      const [first, second] = grid.axes === 'yx' ? [row, col] : [col, row];
      const coords = [getCoordinate(first, grid), getCoordinate(second, grid)];
      for (let a = 0; a < 2 * nBands; a++) {
        const angle = coords[Math.floor(a / nBands)] * frequencies[a % nBands];
        for (const dim of getPair(a, headWidth, grid.pairing)) {
          table[p * headWidth + dim] = Math.sin(angle);
          table[(nPatches + p) * headWidth + dim] = Math.cos(angle);
        }
      }
    }
  }
  return table;
}

/** `R_EE` with `x R` the partner of every dim, signed: (x, y) -> (-y, x) per pair. Exact in float32. */
export function makeRopeRotation(headWidth: number, pairing: RopeSpec['pairing']): Float32Array {
  const rotation = new Float32Array(headWidth * headWidth);
  for (let a = 0; a < headWidth / 2; a++) {
    const [x, y] = getPair(a, headWidth, pairing);
    rotation[y * headWidth + x] = -1;
    rotation[x * headWidth + y] = 1;
  }
  return rotation;
}

/**
 * Rotates the q and k columns of the patch rows of `qkv_MC` (M = B * N rows,
 * C = 3D, the last P = sinCos_2PE.shape[1] tokens of each image being the
 * patches); the first N - P tokens and every v column pass unchanged.
 */
export function rotateQueriesKeys(
  qkv_MC: tf.Tensor2D,
  sinCos_2PE: tf.Tensor3D,
  rotation_EE: tf.Tensor2D,
  nTokens: number,
  nHeads: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, columns] = qkv_MC.shape;
    const [, nPatches, headWidth] = sinCos_2PE.shape;
    const batch = rows / nTokens;
    const nPrefix = nTokens - nPatches;
    if (nPrefix < 0 || headWidth * nHeads * 3 !== columns) {
      throw new Error(
        `rope: a ${nPatches}-patch table of head width ${headWidth} does not fit ${nTokens} tokens of ${columns / 3} dims in ${nHeads} heads`,
      );
    }
    // Slots: q heads, k heads, v heads.
    const qkv_BNSE = tf.reshape(qkv_MC, [batch, nTokens, 3 * nHeads, headWidth]);
    const qk_BPGE = tf.slice(qkv_BNSE, [0, nPrefix, 0, 0], [batch, nPatches, 2 * nHeads, headWidth]);
    const partner_BPGE = tf.reshape(tf.matMul(tf.reshape(qk_BPGE, [-1, headWidth]), rotation_EE), qk_BPGE.shape);
    const [sin_1PE, cos_1PE] = tf.split(sinCos_2PE, 2, 0);
    const table = (t: tf.Tensor) => tf.reshape(t, [1, nPatches, 1, headWidth]);
    const rotated_BPGE = tf.add(tf.mul(qk_BPGE, table(cos_1PE)), tf.mul(partner_BPGE, table(sin_1PE)));
    const v_BPKE = tf.slice(qkv_BNSE, [0, nPrefix, 2 * nHeads, 0], [batch, nPatches, nHeads, headWidth]);
    const patches_BPSE = tf.concat([rotated_BPGE, v_BPKE], 2);
    const all_BNSE =
      nPrefix > 0
        ? tf.concat([tf.slice(qkv_BNSE, [0, 0, 0, 0], [batch, nPrefix, 3 * nHeads, headWidth]), patches_BPSE], 1)
        : patches_BPSE;
    return tf.reshape(all_BNSE, [rows, columns]);
  });
}
