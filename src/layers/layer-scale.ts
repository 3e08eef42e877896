/**
 * LayerScale (DINOv2's `ls1`/`ls2`, timm's `layers/layer_scale.py`): a
 * learned per-channel scale on a residual branch, `x * gamma`. Input and
 * output `tokens_BND`; gamma has shape `[D]`.
 */
import { tf } from '../tf.js';
import { getSingleInput, getSingleShape } from './single-input.js';
import type { LayerArgs } from './layer-args.js';

export interface LayerScaleArgs extends LayerArgs {
  /** Value every gamma starts at before weights are loaded (DINOv2 trains from 1e-5). */
  initValue?: number;
}

export class LayerScale extends tf.layers.Layer {
  static readonly className = 'SaevLayerScale';
  readonly initValue: number;
  private gamma: tf.LayerVariable | null = null;

  constructor(args: LayerScaleArgs = {}) {
    super(args);
    const initValue = args.initValue ?? 1e-5;
    if (!Number.isFinite(initValue))
      throw new Error(`layers: LayerScale initValue must be a finite number, found ${initValue}`);
    this.initValue = initValue;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = getSingleShape(inputShape);
    const width = shape[shape.length - 1];
    if (width == null) throw new Error(`layers: LayerScale needs a known last axis, found ${JSON.stringify(shape)}`);
    this.gamma = this.addWeight('gamma', [width], 'float32', tf.initializers.constant({ value: this.initValue }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return getSingleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(getSingleInput(inputs), this.gamma!.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), initValue: this.initValue };
  }
}

tf.serialization.registerClass(LayerScale);
