/**
 * LayerNorm over the last axis, as torch's `nn.LayerNorm(D, eps)`: biased
 * variance, `(x - mean) / sqrt(var + eps) * gamma + beta`; gamma and beta `[D]`.
 */
import { tf } from '../tf.js';
import { runFusedOr } from './fused-kernels.js';

export const LAYER_NORM_KERNEL = 'SaevLayerNorm';

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  return runFusedOr(LAYER_NORM_KERNEL, { x, gamma, beta }, { epsilon }, () =>
    tf.tidy(() => {
      const centered = tf.sub(x, tf.mean(x, -1, true));
      const variance = tf.mean(tf.square(centered), -1, true);
      const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon)));
      return tf.add(tf.mul(normed, gamma), beta);
    }),
  );
}
