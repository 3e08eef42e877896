/** Seeded sample positions and the error measures the GPU checks report. */
import { makeNormal } from '../../src/random.js';

/** `n` distinct-enough positions in [0, size), the same for every run with one seed. */
export function samplePositions(size: number, n: number, seed: number): Int32Array {
  const normal = makeNormal(seed);
  const positions = new Int32Array(Math.min(n, size));
  for (let i = 0; i < positions.length; i++) {
    // Uniform from two normals' fractional parts is plenty for picking positions.
    const u = Math.abs(normal() * 1e4) % 1;
    positions[i] = Math.min(size - 1, Math.floor(u * size));
  }
  return positions;
}

export function pick(values: ArrayLike<number>, positions: Int32Array): Float32Array {
  return Float32Array.from(positions, (p) => values[p]);
}

/** sqrt(mean((got - want)^2)) / sqrt(mean(want^2)). */
export function getRelRms(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err2 = 0;
  let ref2 = 0;
  for (let i = 0; i < want.length; i++) {
    err2 += (got[i] - want[i]) ** 2;
    ref2 += want[i] ** 2;
  }
  return Math.sqrt(err2 / ref2);
}
