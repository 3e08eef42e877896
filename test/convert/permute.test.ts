// Tests src/convert/permute.ts against a direct index computation (numpy's transpose semantics), on shapes that
// are and are not multiples of the transpose tile.
import { describe, expect, it } from 'vitest';
import { permute, transpose2d } from '../../src/convert/permute.js';

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

/** out[j] for output multi-index j is in[i] with i[perm[a]] = j[a]: the reference, one element at a time. */
function permuteReference(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((axis) => shape[axis]);
  const out = new Float32Array(data.length);
  const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  for (let j = 0; j < out.length; j++) {
    let rest = j;
    let source = 0;
    for (let a = outShape.length - 1; a >= 0; a--) {
      source += (rest % outShape[a]) * stride[perm[a]];
      rest = Math.floor(rest / outShape[a]);
    }
    out[j] = data[source];
  }
  return out;
}

describe('permute', () => {
  it('transposes 2-D arrays of any size, tile-aligned or not', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 5],
      [64, 64],
      [65, 130],
      [200, 7],
    ]) {
      const data = iota(rows * cols);
      expect(transpose2d(data, rows, cols)).toEqual(permuteReference(data, [rows, cols], [1, 0]));
      expect(permute(data, [rows, cols], [1, 0])).toEqual(permuteReference(data, [rows, cols], [1, 0]));
    }
  });

  it('turns a torch Conv weight [O, I, kh, kw] into a tfjs kernel [kh, kw, I, O], and permutes other ranks', () => {
    const shape = [5, 3, 4, 2];
    const data = iota(5 * 3 * 4 * 2);
    const kernel = permute(data, shape, [2, 3, 1, 0]);
    // Element [o, i, y, x] of the torch weight lands at [y, x, i, o].
    const at = (y: number, x: number, i: number, o: number) => kernel[((y * 2 + x) * 3 + i) * 5 + o];
    expect(at(3, 1, 2, 4)).toBe(((4 * 3 + 2) * 4 + 3) * 2 + 1);
    expect(kernel).toEqual(permuteReference(data, shape, [2, 3, 1, 0]));
    expect(permute(iota(24), [2, 3, 4], [1, 2, 0])).toEqual(permuteReference(iota(24), [2, 3, 4], [1, 2, 0]));
    expect(permute(iota(6), [2, 3], [0, 1])).toEqual(iota(6));
  });

  it('refuses a size or permutation that does not fit', () => {
    expect(() => permute(iota(5), [2, 3], [1, 0])).toThrow('permute: 5 values are not [2, 3]');
    expect(() => permute(iota(6), [2, 3], [1, 1])).toThrow('permute: [1, 1] is not a permutation of 2 axes');
    expect(() => transpose2d(iota(5), 2, 3)).toThrow('permute: 5 values are not [2, 3]');
  });
});
