/**
 * GELU as a layer whose variant is data: `none` (exact, erf), `tanh` (the
 * tanh approximation, HF SigLIP and moondream2) or `quick` (OpenAI CLIP's
 * `x * sigmoid(1.702 x)`). Upstream families differ exactly here, so the
 * variant is explicit rather than left to tfjs's built-in activations.
 */
import { tf } from '../backend.js';
import { getSingleInput } from './single-input.js';

export type GeluApproximation = 'none' | 'tanh' | 'quick';
const APPROXIMATIONS: readonly GeluApproximation[] = ['none', 'tanh', 'quick'];

export interface GeluArgs extends LayerArgs {
  /** Which GELU: exact (`none`), `tanh`, or OpenAI's `quick`. */
  approximate: GeluApproximation;
}

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export class Gelu extends tf.layers.Layer {
  static readonly className = 'SaevGelu';
  readonly approximate: GeluApproximation;

  constructor(args: GeluArgs) {
    super(args);
    if (!APPROXIMATIONS.includes(args.approximate)) {
      throw new Error(`layers: Gelu approximate must be one of ${APPROXIMATIONS.join(', ')}, found '${args.approximate}'`);
    }
    this.approximate = args.approximate;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = getSingleInput(inputs);
      if (this.approximate === 'quick') return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
      if (this.approximate === 'tanh') {
        const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
      }
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), approximate: this.approximate };
  }
}

tf.serialization.registerClass(Gelu);
