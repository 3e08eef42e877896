/**
 * A small seeded PRNG (mulberry32) and a normal sampler. Used where results
 * must be identical on every backend and machine: demo weights and fake
 * images are generated in JavaScript, never with tf.random.
 */

/** Uniform floats in [0, 1) from a 32-bit seed. */
export function makeUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller) from a 32-bit seed. */
export function makeNormal(seed: number): () => number {
  const uniform = makeUniform(seed);
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}
