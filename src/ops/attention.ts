/**
 * Multi-head attention from a fused projection: `qkv_MC` (M = B * N token
 * rows, C = 3D: q, k, v, heads contiguous in each, as PyTorch's
 * `in_proj_weight` orders them) to the heads' outputs side by side,
 * `mixed_MD`. Scores are scaled by 1/sqrt(E) on q before the product.
 */
import { tf } from '../backend.js';
import { runFusedOr } from './fused-kernels.js';

export const ATTENTION_KERNEL = 'SaevAttention';

export function attend(qkv_MC: tf.Tensor2D, nTokens: number, nHeads: number): tf.Tensor2D {
  return runFusedOr(ATTENTION_KERNEL, { qkv: qkv_MC }, { nTokens, nHeads }, () => attendGeneric(qkv_MC, nTokens, nHeads));
}

function attendGeneric(qkv_MC: tf.Tensor2D, nTokens: number, nHeads: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, columns] = qkv_MC.shape;
    const width = columns / 3;
    const batch = rows / nTokens;
    const headWidth = width / nHeads;
    const [q, k, v] = tf.split(qkv_MC, 3, 1);
    const toHeads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [batch, nTokens, nHeads, headWidth]), [0, 2, 1, 3]);
    const q_BKNE = tf.mul(toHeads(q), 1 / Math.sqrt(headWidth));
    const scores_BKNN = tf.matMul(q_BKNE, toHeads(k), false, true);
    const mixed_BKNE = tf.matMul(tf.softmax(scores_BKNN, -1), toHeads(v));
    return tf.reshape(tf.transpose(mixed_BKNE, [0, 2, 1, 3]), [rows, width]);
  });
}
