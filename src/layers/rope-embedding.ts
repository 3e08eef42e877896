/**
 * The RoPE angle table of a ViT (src/ops/rope.ts), held as one
 * non-trainable weight `sin_cos` of shape `[2, P, E]` that every attention
 * layer reads: built from the band frequencies the config states, or loaded
 * from a checkpoint that stores its own (DINOv3's released weights hold their
 * periods in bfloat16, which the converter turns into this table). Input: the
 * patch tokens (only to place the layer in the graph); output: the table.
 */
import { tf } from '../tf.js';
import { getRopeFrequencies, makeRopeTable, RopeGrid } from '../ops/rope.js';
import type { RopeSpec } from '../ops/rope.js';
import type { LayerArgs } from './layer-args.js';

export interface RopeEmbeddingArgs extends LayerArgs, RopeGrid {
  /** Base of the band frequencies (src/ops/rope.ts `RopeSpec`). */
  base: number;
  /** Radians per unit of coordinate of band 0. */
  scale: number;
}

export class RopeEmbedding extends tf.layers.Layer {
  static readonly className = 'SaevRopeEmbedding';
  readonly grid: Readonly<RopeGrid>;
  readonly frequencies: Pick<RopeSpec, 'base' | 'scale'>;
  private table: tf.LayerVariable | null = null;

  constructor(args: RopeEmbeddingArgs) {
    super(args);
    const { side, headWidth, pairing, coords, axes, offset, base, scale } = args;
    if (!Number.isInteger(side) || side < 1)
      throw new Error(`layers: RopeEmbedding side must be a positive integer, found ${side}`);
    if (!Number.isInteger(headWidth) || headWidth < 4 || headWidth % 4 !== 0) {
      throw new Error(`layers: RopeEmbedding headWidth must be a positive multiple of 4, found ${headWidth}`);
    }
    if (
      !['half', 'interleaved'].includes(pairing) ||
      !['centered', 'index'].includes(coords) ||
      !['yx', 'xy'].includes(axes)
    ) {
      throw new Error(
        `layers: RopeEmbedding pairing/coords/axes must be half|interleaved, centered|index, yx|xy, found ${pairing}, ${coords}, ${axes}`,
      );
    }
    if (!Number.isFinite(offset) || !(base > 1) || !(scale > 0)) {
      throw new Error(
        `layers: RopeEmbedding needs a finite offset, base > 1 and scale > 0, found ${offset}, ${base}, ${scale}`,
      );
    }
    this.grid = Object.freeze({ side, headWidth, pairing, coords, axes, offset });
    this.frequencies = Object.freeze({ base, scale });
    this.trainable = false;
  }

  override build(): void {
    const { side, headWidth } = this.grid;
    const shape = [2, side * side, headWidth];
    this.table = this.addWeight('sin_cos', shape, 'float32', tf.initializers.zeros(), undefined, false);
    const values = tf.tensor(makeRopeTable(this.grid, getRopeFrequencies(this.frequencies, headWidth)), shape);
    this.table.write(values);
    values.dispose();
    this.built = true;
  }

  override computeOutputShape(): tf.Shape {
    return [2, this.grid.side * this.grid.side, this.grid.headWidth];
  }

  override call(): tf.Tensor {
    return tf.tidy(() => tf.clone(this.table!.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.grid, ...this.frequencies };
  }
}

tf.serialization.registerClass(RopeEmbedding);
