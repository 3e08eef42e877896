/**
 * Multi-head self-attention with a fused qkv projection, laid out as
 * PyTorch's `nn.MultiheadAttention` / timm `Attention` store it (one
 * `[D, 3D]` in-projection, q then k then v, heads contiguous within each).
 * Input and output `tokens_BND`.
 */
import { tf } from '../backend.js';
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
      const nHeads = this.nHeads;
      const headWidth = width / nHeads;
      const rows_ND = tf.reshape(tokens_BND, [batch * nTokens, width]);
      const qkv = tf.fused.matMul({ a: rows_ND, b: this.qkvKernel!.read(), bias: this.qkvBias!.read() });
      const [q, k, v] = tf.split(qkv, 3, 1);
      const toHeads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [batch, nTokens, nHeads, headWidth]), [0, 2, 1, 3]);
      const q_BKNE = tf.mul(toHeads(q), 1 / Math.sqrt(headWidth));
      const scores_BKNN = tf.matMul(q_BKNE, toHeads(k), false, true);
      const mixed_BKNE = tf.matMul(tf.softmax(scores_BKNN, -1), toHeads(v));
      const merged = tf.reshape(tf.transpose(mixed_BKNE, [0, 2, 1, 3]), [batch * nTokens, width]);
      const out = tf.fused.matMul({ a: merged, b: this.outKernel!.read(), bias: this.outBias!.read() });
      return tf.reshape(out, [batch, nTokens, width]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), nHeads: this.nHeads };
  }
}

tf.serialization.registerClass(SelfAttention);
