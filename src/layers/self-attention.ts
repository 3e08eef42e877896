/**
 * Multi-head self-attention with a fused qkv projection, laid out as
 * PyTorch's `nn.MultiheadAttention` / timm `Attention` store it (one
 * `[D, 3D]` in-projection, q then k then v, heads contiguous within each).
 * Input and output `tokens_BND`; the attention itself is src/ops/attention.ts.
 */
import { tf } from '../backend.js';
import { attend } from '../ops/attention.js';
import { getSingleInput, getSingleShape } from './single-input.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface SelfAttentionArgs extends LayerArgs {
  /** K: number of heads; D must be a multiple of it. */
  nHeads: number;
}

export class SelfAttention extends tf.layers.Layer {
  static readonly className = 'SaevSelfAttention';
  readonly nHeads: number;
  private qkvKernel: tf.LayerVariable | null = null;
  private qkvBias: tf.LayerVariable | null = null;
  private outKernel: tf.LayerVariable | null = null;
  private outBias: tf.LayerVariable | null = null;

  constructor(args: SelfAttentionArgs) {
    super(args);
    if (!Number.isInteger(args.nHeads) || args.nHeads < 1) {
      throw new Error(`layers: SelfAttention nHeads must be a positive integer, found ${args.nHeads}`);
    }
    this.nHeads = args.nHeads;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = getSingleShape(inputShape);
    const width = shape[2];
    if (width == null || width % this.nHeads !== 0) {
      throw new Error(`layers: SelfAttention width ${width} must be a known multiple of nHeads ${this.nHeads}`);
    }
    const zeros = tf.initializers.zeros();
    const glorot = tf.initializers.glorotUniform({});
    this.qkvKernel = this.addWeight('qkv_kernel', [width, 3 * width], 'float32', glorot);
    this.qkvBias = this.addWeight('qkv_bias', [3 * width], 'float32', zeros);
    this.outKernel = this.addWeight('out_kernel', [width, width], 'float32', glorot);
    this.outBias = this.addWeight('out_bias', [width], 'float32', zeros);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return getSingleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const tokens_BND = getSingleInput(inputs) as tf.Tensor3D;
      const [batch, nTokens, width] = tokens_BND.shape;
      const rows_MD = tf.reshape(tokens_BND, [batch * nTokens, width]);
      const qkv_MC = tf.fused.matMul({ a: rows_MD, b: this.qkvKernel!.read(), bias: this.qkvBias!.read() }) as tf.Tensor2D;
      const mixed_MD = attend(qkv_MC, nTokens, this.nHeads);
      const out_MD = tf.fused.matMul({ a: mixed_MD, b: this.outKernel!.read(), bias: this.outBias!.read() });
      return tf.reshape(out_MD, [batch, nTokens, width]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), nHeads: this.nHeads };
  }
}

tf.serialization.registerClass(SelfAttention);
