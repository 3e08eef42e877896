/**
 * Multi-head self-attention with a fused qkv projection, laid out as
 * PyTorch's `nn.MultiheadAttention` / timm `Attention` store it (one
 * `[D, 3D]` in-projection, q then k then v, heads contiguous within each).
 * Input and output `tokens_BND`; the attention itself is src/ops/attention.ts.
 * With RoPE (DINOv3, PE) a second input, the table `sinCos_2PE` of
 * src/layers/rope-embedding.ts, rotates the patch tokens' queries and keys
 * before the attention (src/ops/rope.ts).
 */
import { tf } from '../tf.js';
import { attend } from '../ops/attention.js';
import { makeRopeRotation, rotateQueriesKeys } from '../ops/rope.js';
import type { RopeSpec } from '../ops/rope.js';
import { getSingleShape } from './single-input.js';
import type { LayerArgs } from './layer-args.js';

export interface SelfAttentionArgs extends LayerArgs {
  /** K: number of heads; D must be a multiple of it. */
  nHeads: number;
  /** How RoPE pairs head dims (then the layer takes the table as a second input), or `none` (the default). */
  rope?: RopeSpec['pairing'] | 'none';
}

export class SelfAttention extends tf.layers.Layer {
  static readonly className = 'SaevSelfAttention';
  readonly nHeads: number;
  readonly rope: RopeSpec['pairing'] | 'none';
  private qkvKernel: tf.LayerVariable | null = null;
  private qkvBias: tf.LayerVariable | null = null;
  private outKernel: tf.LayerVariable | null = null;
  private outBias: tf.LayerVariable | null = null;
  /** RoPE's signed pair permutation `R_EE` (host values), made once the head width is known; null without RoPE. */
  private rotation: Float32Array | null = null;

  constructor(args: SelfAttentionArgs) {
    super(args);
    if (!Number.isInteger(args.nHeads) || args.nHeads < 1) {
      throw new Error(`layers: SelfAttention nHeads must be a positive integer, found ${args.nHeads}`);
    }
    this.nHeads = args.nHeads;
    this.rope = args.rope ?? 'none';
    if (!['none', 'half', 'interleaved'].includes(this.rope))
      throw new Error(`layers: SelfAttention rope must be none, half or interleaved, found '${this.rope}'`);
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
    if (this.rope !== 'none') this.rotation = makeRopeRotation(width / this.nHeads, this.rope);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return getSingleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [tokens_BND, sinCos_2PE] = (Array.isArray(inputs) ? inputs : [inputs]) as [
        tf.Tensor3D,
        tf.Tensor3D | undefined,
      ];
      if ((this.rope === 'none') !== (sinCos_2PE === undefined)) {
        throw new Error(
          `layers: SelfAttention ${this.name} (rope ${this.rope}) got ${sinCos_2PE ? 'a' : 'no'} RoPE table`,
        );
      }
      const [batch, nTokens, width] = tokens_BND.shape;
      const rows_MD = tf.reshape(tokens_BND, [batch * nTokens, width]);
      let qkv_MC = tf.fused.matMul({
        a: rows_MD,
        b: this.qkvKernel!.read(),
        bias: this.qkvBias!.read(),
      }) as tf.Tensor2D;
      if (sinCos_2PE && this.rotation) {
        const headWidth = width / this.nHeads;
        qkv_MC = rotateQueriesKeys(
          qkv_MC,
          sinCos_2PE,
          tf.tensor2d(this.rotation, [headWidth, headWidth]),
          nTokens,
          this.nHeads,
        );
      }
      const mixed_MD = attend(qkv_MC, nTokens, this.nHeads);
      const out_MD = tf.fused.matMul({ a: mixed_MD, b: this.outKernel!.read(), bias: this.outBias!.read() });
      return tf.reshape(out_MD, [batch, nTokens, width]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), nHeads: this.nHeads, rope: this.rope };
  }
}

tf.serialization.registerClass(SelfAttention);
