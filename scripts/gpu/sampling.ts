/** Seeded sample positions, the error measure the GPU checks report, and the checks themselves. */
import { firstLine } from '../../src/error-line.js';
import { makeNormal } from '../../src/random.js';

/** Relative RMS a model's block or a shard may differ from the CPU backend's by: float32 noise. */
export const MODEL_TOLERANCE = 1e-4;

/** One line of the GPU check's report: what was compared, its relative RMS error and the most it may be. */
export interface Check {
  what: string;
  relRms: number;
  tolerance: number;
}

/**
 * `run()`'s checks; when it throws (a model that does not load, a GPU out of memory), one failed check naming `what`
 * and the error instead, so that the checks after it still run and report.
 */
export async function checksOrFailure(what: string, tolerance: number, run: () => Promise<Check[]>): Promise<Check[]> {
  try {
    return await run();
  } catch (error) {
    return [{ what: `${what}: ${firstLine(error)}`, relRms: Number.NaN, tolerance }];
  }
}

/** `n` seeded standard-normal values times `scale`: the inputs of the kernel checks and tests. */
export function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const normal = makeNormal(seed);
  return Float32Array.from({ length: n }, () => scale * normal());
}

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
