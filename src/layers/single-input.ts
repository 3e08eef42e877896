/**
 * The package's layers take one tensor. tfjs-layers hands `build`,
 * `computeOutputShape` and `call` either it or a one-element list; these
 * unwrap that.
 */
import { tf } from '../tf.js';

export function getSingleShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

export function getSingleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}
