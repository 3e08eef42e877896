/**
 * The SwiGLU gate of DINOv3's S+, L+ and H+ MLPs (its `SwiGLUFFN`, timm's
 * `SwiGLU`): the fc1 output holds the gate then the value, each H wide, and
 * the result is `silu(gate) * value` with `silu(x) = x * sigmoid(x)`. Input
 * `hidden_BN2H`, output `hidden_BNH`.
 */
import { tf } from '../tf.js';
import { getSingleInput, getSingleShape } from './single-input.js';
import type { LayerArgs } from './layer-args.js';

export class SwiGlu extends tf.layers.Layer {
  static readonly className = 'SaevSwiGlu';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = getSingleShape(inputShape);
    const width = shape[shape.length - 1];
    if (width == null || width % 2 !== 0)
      throw new Error(`layers: SwiGlu needs an even last axis (gate and value), found ${JSON.stringify(shape)}`);
    return [...shape.slice(0, -1), width / 2];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [gate, value] = tf.split(getSingleInput(inputs), 2, -1);
      return tf.mul(tf.mul(gate, tf.sigmoid(gate)), value);
    });
  }
}

tf.serialization.registerClass(SwiGlu);
