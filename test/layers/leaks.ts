import { tf } from '../../src/backend.js';

/** Tensors left behind by one `layer.apply` on ones of `shape`, after a first call has built the layer's weights. */
export function countLeakedTensors(layer: tf.layers.Layer, shape: number[]): number {
  const x = tf.ones(shape);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  const leaked = tf.memory().numTensors - before;
  x.dispose();
  return leaked;
}
