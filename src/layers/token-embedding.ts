/**
 * Turns patch embeddings into the ViT's token sequence: prepend the CLS
 * token (if the family has one), add learned position embeddings over
 * CLS + patches (unless the family has none: DINOv3 uses RoPE only), then
 * insert register tokens after CLS (DINOv2 with registers, DINOv3's storage
 * tokens). Input `patches_BPD`, output `tokens_BND` with N = cls + registers + P.
 */
import { tf } from '../tf.js';
import { getSingleInput, getSingleShape } from './single-input.js';
import type { LayerArgs } from './layer-args.js';

export interface TokenEmbeddingArgs extends LayerArgs {
  /** Whether a learned CLS token is prepended (CLIP, DINOv2) or not (SigLIP, moondream2). */
  clsToken: boolean;
  /** Learned register tokens inserted after CLS, after position embeddings are added. */
  nRegisters: number;
  /** Whether learned position embeddings are added (default true). */
  positions?: boolean;
}

export class TokenEmbedding extends tf.layers.Layer {
  static readonly className = 'SaevTokenEmbedding';
  readonly clsToken: boolean;
  readonly nRegisters: number;
  readonly hasPositions: boolean;
  private cls: tf.LayerVariable | null = null;
  private positions: tf.LayerVariable | null = null;
  private registers: tf.LayerVariable | null = null;

  constructor(args: TokenEmbeddingArgs) {
    super(args);
    if (!Number.isInteger(args.nRegisters) || args.nRegisters < 0) {
      throw new Error(`layers: TokenEmbedding nRegisters must be a non-negative integer, found ${args.nRegisters}`);
    }
    this.clsToken = args.clsToken;
    this.nRegisters = args.nRegisters;
    this.hasPositions = args.positions ?? true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = getSingleShape(inputShape);
    const [, nPatches, width] = shape;
    if (nPatches == null || width == null)
      throw new Error(`layers: TokenEmbedding needs a known [P, D], found ${JSON.stringify(shape)}`);
    const zeros = tf.initializers.zeros();
    if (this.clsToken) this.cls = this.addWeight('cls', [width], 'float32', zeros);
    if (this.hasPositions)
      this.positions = this.addWeight('positions', [nPatches + (this.clsToken ? 1 : 0), width], 'float32', zeros);
    if (this.nRegisters > 0) this.registers = this.addWeight('registers', [this.nRegisters, width], 'float32', zeros);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, nPatches, width] = getSingleShape(inputShape);
    return [batch, nPatches! + (this.clsToken ? 1 : 0) + this.nRegisters, width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const patches_BPD = getSingleInput(inputs) as tf.Tensor3D;
      const [batch, , width] = patches_BPD.shape;
      const prefix = (variable: tf.LayerVariable, n: number) =>
        tf.tile(tf.reshape(variable.read(), [1, n, width]), [batch, 1, 1]);
      let tokens = this.cls ? tf.concat([prefix(this.cls, 1), patches_BPD], 1) : patches_BPD;
      if (this.positions) tokens = tf.add(tokens, tf.expandDims(this.positions.read(), 0));
      if (!this.registers) return tokens;
      const nCls = this.clsToken ? 1 : 0;
      const head = tf.slice(tokens, [0, 0, 0], [-1, nCls, -1]);
      const tail = tf.slice(tokens, [0, nCls, 0], [-1, -1, -1]);
      return tf.concat([head, prefix(this.registers, this.nRegisters), tail], 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), clsToken: this.clsToken, nRegisters: this.nRegisters, positions: this.hasPositions };
  }
}

tf.serialization.registerClass(TokenEmbedding);
