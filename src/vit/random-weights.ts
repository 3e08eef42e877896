/**
 * Deterministic random weights for a built ViT, for the embedded demo model
 * and for benchmarks at real sizes. Values come from a seeded JavaScript
 * PRNG in `model.weights` order, so every backend gets identical weights.
 * LayerNorm scales are 1 + N(0, 0.1^2), everything else N(0, 0.02^2)
 * (timm's trunc-normal std), which keeps activations in a realistic range.
 * Non-trainable weights (the RoPE table) keep the values the model was built
 * with.
 */
import { tf } from '../tf.js';
import { makeNormal } from '../random.js';
import { getNumel } from '../checkpoint/tensor-data.js';

export function setRandomWeights(model: tf.LayersModel, seed: number): void {
  const normal = makeNormal(seed);
  const values = model.weights.map((weight) => {
    if (!weight.trainable) return tf.clone(weight.read());
    const isScale = /_ln\d|ln_pre/.test(weight.originalName) && weight.originalName.endsWith('gamma');
    const shape = weight.shape as number[];
    const data = new Float32Array(getNumel(shape));
    for (let i = 0; i < data.length; i++) data[i] = isScale ? 1 + 0.1 * normal() : 0.02 * normal();
    return tf.tensor(data, shape);
  });
  model.setWeights(values);
  tf.dispose(values);
}
