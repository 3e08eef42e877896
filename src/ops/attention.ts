/**
 * Multi-head attention from a fused projection: `qkv_MC` (M = B * N token
 * rows, C = 3D: q, k, v, heads contiguous in each, as PyTorch's
 * `in_proj_weight` orders them) to the heads' outputs side by side,
 * `mixed_MD`. Scores are scaled by 1/sqrt(E) on q before the product. The
 * generic form disposes each intermediate once the next op has read it, so
 * the scores and their softmax are never alive beside all of q, k and v's
 * copies (same ops, same values).
 */
import { tf } from '../tf.js';
import { runFusedOr } from './fused-kernels.js';

export const ATTENTION_KERNEL = 'SaevAttention';

export function attend(qkv_MC: tf.Tensor2D, nTokens: number, nHeads: number): tf.Tensor2D {
  return runFusedOr(ATTENTION_KERNEL, { qkv: qkv_MC }, { nTokens, nHeads }, () =>
    attendGeneric(qkv_MC, nTokens, nHeads),
  );
}

function attendGeneric(qkv_MC: tf.Tensor2D, nTokens: number, nHeads: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, columns] = qkv_MC.shape;
    const width = columns / 3;
    const batch = rows / nTokens;
    const headWidth = width / nHeads;
    /** Part `i` (q, k, v) of qkv as [B, K, N, E]; each is sliced out only when it is needed. */
    const getHeads = (i: number) => {
      const part_MD = tf.slice(qkv_MC, [0, i * width], [rows, width]);
      const split_BNKE = tf.reshape(part_MD, [batch, nTokens, nHeads, headWidth]);
      const heads_BKNE = tf.transpose(split_BNKE, [0, 2, 1, 3]);
      tf.dispose([part_MD, split_BNKE]);
      return heads_BKNE;
    };
    const qUnscaled_BKNE = getHeads(0);
    const q_BKNE = tf.mul(qUnscaled_BKNE, 1 / Math.sqrt(headWidth));
    const k_BKNE = getHeads(1);
    const scores_BKNN = tf.matMul(q_BKNE, k_BKNE, false, true);
    tf.dispose([qUnscaled_BKNE, q_BKNE, k_BKNE]);
    const weights_BKNN = tf.softmax(scores_BKNN, -1);
    scores_BKNN.dispose();
    const v_BKNE = getHeads(2);
    const mixed_BKNE = tf.matMul(weights_BKNN, v_BKNE);
    tf.dispose([weights_BKNN, v_BKNE]);
    const mixed_BNKE = tf.transpose(mixed_BKNE, [0, 2, 1, 3]);
    mixed_BKNE.dispose();
    return tf.reshape(mixed_BNKE, [rows, width]);
  });
}
