/**
 * GELU in the variants the families use: `none` (exact, erf), `tanh` (the
 * tanh approximation, HF SigLIP and moondream2) and `quick` (OpenAI CLIP's
 * `x * sigmoid(1.702 x)`).
 */
import { tf } from '../backend.js';
import { runFusedOr } from './fused-kernels.js';

export type GeluApproximation = 'none' | 'tanh' | 'quick';
export const GELU_APPROXIMATIONS: readonly GeluApproximation[] = ['none', 'tanh', 'quick'];
export const GELU_KERNEL = 'SaevGelu';

export function gelu(x: tf.Tensor, approximate: GeluApproximation): tf.Tensor {
  return runFusedOr(GELU_KERNEL, { x }, { approximate }, () =>
    tf.tidy(() => {
      if (approximate === 'quick') return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
      if (approximate === 'tanh') {
        const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
      }
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    }),
  );
}
