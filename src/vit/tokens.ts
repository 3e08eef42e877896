/**
 * Which tokens are stored (docs/format.md#shard-files): CLS first when the model has one,
 * then the patches in row-major order; register tokens are never stored.
 */
import { tf } from '../tf.js';
import { getPatchCount, VitArch } from './arch.js';

/** `tokens_BND` (N = cls + registers + P) to the stored `tokens_BTD` (T = cls + P). */
export function selectStoredTokens(tokens_BND: tf.Tensor3D, arch: VitArch): tf.Tensor3D {
  return tf.tidy(() => {
    if (arch.nRegisters === 0) return tokens_BND.clone();
    const nCls = arch.clsToken ? 1 : 0;
    const patches = tf.slice(tokens_BND, [0, nCls + arch.nRegisters, 0], [-1, getPatchCount(arch), -1]);
    return nCls ? tf.concat([tf.slice(tokens_BND, [0, 0, 0], [-1, 1, -1]), patches], 1) : patches;
  });
}

/** Runs `recorder` on `pixels_BHWC` and returns the shard rows `acts_BLTD`, layers in recorder order. */
export function recordActivations(recorder: tf.LayersModel, pixels_BHWC: tf.Tensor4D, arch: VitArch): tf.Tensor4D {
  return tf.tidy(() => {
    const outputs = recorder.predictOnBatch(pixels_BHWC);
    const blocks = (Array.isArray(outputs) ? outputs : [outputs]) as tf.Tensor3D[];
    return tf.stack(
      blocks.map((block) => selectStoredTokens(block, arch)),
      1,
    ) as tf.Tensor4D;
  });
}
