/**
 * GELU as a layer whose variant is data: `none` (exact, erf), `tanh` (the
 * tanh approximation, HF SigLIP and moondream2) or `quick` (OpenAI CLIP's
 * `x * sigmoid(1.702 x)`). Upstream families differ exactly here, so the
 * variant is explicit rather than left to tfjs's built-in activations.
 */
import { tf } from '../tf.js';
import { gelu, GELU_APPROXIMATIONS, GeluApproximation } from '../ops/gelu.js';
import { getSingleInput } from './single-input.js';
import type { LayerArgs } from './layer-args.js';

export type { GeluApproximation };

export interface GeluArgs extends LayerArgs {
  /** Which GELU: exact (`none`), `tanh`, or OpenAI's `quick`. */
  approximate: GeluApproximation;
}

export class Gelu extends tf.layers.Layer {
  static readonly className = 'SaevGelu';
  readonly approximate: GeluApproximation;

  constructor(args: GeluArgs) {
    super(args);
    if (!GELU_APPROXIMATIONS.includes(args.approximate)) {
      throw new Error(
        `layers: Gelu approximate must be one of ${GELU_APPROXIMATIONS.join(', ')}, found '${args.approximate}'`,
      );
    }
    this.approximate = args.approximate;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return gelu(getSingleInput(inputs), this.approximate);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), approximate: this.approximate };
  }
}

tf.serialization.registerClass(Gelu);
