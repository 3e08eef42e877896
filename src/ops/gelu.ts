/**
 * GELU in the variants the families use: `none` (exact, erf), `tanh` (the
 * tanh approximation, HF SigLIP and moondream2) and `quick` (OpenAI CLIP's
 * `x * sigmoid(1.702 x)`). The generic form frees each intermediate as soon
 * as the next op has read it: the input is the MLP's widest tensor, and five
 * such intermediates alive at once were most of a forward pass's memory.
 */
import { tf } from '../tf.js';
import { runFusedOr } from './fused-kernels.js';

export type GeluApproximation = 'none' | 'tanh' | 'quick';
export const GELU_APPROXIMATIONS: readonly GeluApproximation[] = ['none', 'tanh', 'quick'];
export const GELU_KERNEL = 'SaevGelu';

/** The generic GELU; each intermediate is disposed once the next op has read it (same ops, same values). */
function geluGeneric(x: tf.Tensor, approximate: GeluApproximation): tf.Tensor {
  return tf.tidy(() => {
    if (approximate === 'quick') {
      const scaled = tf.mul(x, 1.702);
      const gate = tf.sigmoid(scaled);
      scaled.dispose();
      return tf.mul(x, gate);
    }
    let f: tf.Tensor; // erf(x / sqrt 2), or tanh(sqrt(2 / pi) (x + 0.044715 x^3))
    if (approximate === 'tanh') {
      const cube = tf.pow(x, 3);
      const scaledCube = tf.mul(0.044715, cube);
      cube.dispose();
      const sum = tf.add(x, scaledCube);
      scaledCube.dispose();
      const inner = tf.mul(Math.sqrt(2 / Math.PI), sum);
      sum.dispose();
      f = tf.tanh(inner);
      inner.dispose();
    } else {
      const scaled = tf.mul(x, Math.SQRT1_2);
      f = tf.erf(scaled);
      scaled.dispose();
    }
    const onePlus = tf.add(1, f);
    f.dispose();
    return tf.mul(tf.mul(0.5, x), onePlus);
  });
}

export function gelu(x: tf.Tensor, approximate: GeluApproximation): tf.Tensor {
  return runFusedOr(GELU_KERNEL, { x }, { approximate }, () => geluGeneric(x, approximate));
}
