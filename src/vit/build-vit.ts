/**
 * Builds a ViT as a tfjs functional (layers) model whose outputs are the
 * outputs of every block, in depth order: `pixels_BHWC` in, `tokens_BND` x
 * depth out. `makeRecorder` then keeps only the recorded blocks; tfjs runs
 * just the layers those outputs depend on, so the network ends at the
 * deepest recorded block (like timm's `stop_early`).
 *
 * Layer names are stable (`patch_embed`, `tokens`, `rope`, `ln_pre`,
 * `block3_attn`, `block3_ls1`, ...) because the weight remapper addresses
 * weights by them. With RoPE, one `rope` layer holds the angle table that
 * every block's attention takes as its second input.
 */
import { tf } from '../tf.js';
import { Gelu } from '../layers/gelu.js';
import { LayerNorm } from '../layers/layer-norm.js';
import { LayerScale } from '../layers/layer-scale.js';
import { RopeEmbedding } from '../layers/rope-embedding.js';
import { SelfAttention } from '../layers/self-attention.js';
import { SwiGlu } from '../layers/swiglu.js';
import { TokenEmbedding } from '../layers/token-embedding.js';
import { getRopeGrid } from '../ops/rope.js';
import { getFc1Width, getPatchCount, VitArch } from './arch.js';

/** Name of block i's output layer; recorded layers are looked up by it. */
export function getBlockName(i: number): string {
  return `block${i}`;
}

/** Marks a layer to create its weights as untouched zeros (tfjs's fast weight init) when asked to. */
type Made = <L extends tf.layers.Layer>(layer: L) => L;

type Applied = (input: tf.SymbolicTensor | tf.SymbolicTensor[]) => tf.SymbolicTensor;

/** A layer as a function of symbolic tensors (what `apply` returns for them), so a block reads like timm's. */
function applied(layer: tf.layers.Layer): Applied {
  return (input) => layer.apply(input) as tf.SymbolicTensor;
}

/** `rope_2PE`: the RoPE table every attention takes, or null without RoPE. */
function buildBlock(
  x: tf.SymbolicTensor,
  rope_2PE: tf.SymbolicTensor | null,
  arch: VitArch,
  i: number,
  made: Made,
): tf.SymbolicTensor {
  const name = (part: string) => `block${i}_${part}`;
  const norm = (part: string) => applied(made(new LayerNorm({ epsilon: arch.layerNormEps, name: name(part) })));
  // DINOv2 scales each residual branch per channel; decided here once, never in a forward pass.
  const layerScale = (part: string): ((t: tf.SymbolicTensor) => tf.SymbolicTensor) =>
    arch.layerScale ? applied(made(new LayerScale({ name: name(part) }))) : (t) => t;
  const add = (layerName: string) => (a: tf.SymbolicTensor, b: tf.SymbolicTensor) =>
    applied(tf.layers.add({ name: layerName }))([a, b]);
  const selfAttention = applied(
    made(new SelfAttention({ nHeads: arch.nHeads, rope: arch.rope?.pairing ?? 'none', name: name('attn') })),
  );
  const attn = (t: tf.SymbolicTensor) => selfAttention(rope_2PE ? [t, rope_2PE] : t);
  const fc1 = applied(made(tf.layers.dense({ units: getFc1Width(arch), name: name('fc1') })));
  const act = applied(
    arch.mlp === 'swiglu'
      ? new SwiGlu({ name: name('swiglu') })
      : new Gelu({ approximate: arch.gelu, name: name('gelu') }),
  );
  const fc2 = applied(made(tf.layers.dense({ units: arch.width, name: name('fc2') })));
  const mlp = (t: tf.SymbolicTensor) => fc2(act(fc1(t)));
  const [norm1, ls1, norm2, ls2] = [norm('ln1'), layerScale('ls1'), norm('ln2'), layerScale('ls2')];
  x = add(name('add1'))(x, ls1(attn(norm1(x))));
  return add(getBlockName(i))(x, ls2(mlp(norm2(x))));
}

/**
 * The whole network, one output per block. `name` labels the model. With
 * `zeroInit`, every weight starts as zeros (no random numbers drawn; the
 * native, cpu and webgpu backends do not even touch that memory until a
 * weight is written), for a caller that overwrites them all, as the converter
 * does; otherwise with the layers' own initialisers.
 */
export function buildVit(arch: VitArch, name: string, options: { zeroInit?: boolean } = {}): tf.LayersModel {
  const made: Made = (layer) => {
    layer.setFastWeightInitDuringBuild(options.zeroInit ?? false);
    return layer;
  };
  const pixels_BHWC = tf.input({ shape: [arch.imageSize, arch.imageSize, 3], name: 'pixels' });
  const patchEmbed = applied(
    made(
      tf.layers.conv2d({
        filters: arch.width,
        kernelSize: arch.patchSize,
        strides: arch.patchSize,
        useBias: arch.patchBias,
        name: 'patch_embed',
      }),
    ),
  );
  const grid = patchEmbed(pixels_BHWC);
  // Row-major over the patch grid, as torch's `flatten(2).transpose(1, 2)`.
  const patches_BPD = applied(tf.layers.reshape({ targetShape: [getPatchCount(arch), arch.width], name: 'patches' }))(
    grid,
  );
  const tokens = applied(
    made(
      new TokenEmbedding({
        clsToken: arch.clsToken,
        nRegisters: arch.nRegisters,
        positions: arch.positionEmbedding,
        name: 'tokens',
      }),
    ),
  );
  let x = tokens(patches_BPD);
  const rope =
    arch.rope &&
    new RopeEmbedding({ ...getRopeGrid(arch), base: arch.rope.base, scale: arch.rope.scale, name: 'rope' });
  const rope_2PE = rope ? applied(rope)(patches_BPD) : null;
  if (arch.preNorm) x = applied(made(new LayerNorm({ epsilon: arch.layerNormEps, name: 'ln_pre' })))(x);
  const blocks: tf.SymbolicTensor[] = [];
  for (let i = 0; i < arch.depth; i++) {
    x = buildBlock(x, rope_2PE, arch, i, made);
    blocks.push(x);
  }
  return tf.model({ inputs: pixels_BHWC, outputs: blocks, name });
}

/**
 * A multi-output model over `vit`'s layers that returns the outputs of the
 * given blocks (ascending; negative indices count from the last block, as in
 * Python), sharing weights with `vit` and running only up to the deepest one.
 * As with any tfjs model, `predict` returns one tensor for one block and an
 * array for several; `recordActivations` takes either.
 */
export function makeRecorder(vit: tf.LayersModel, blocks: readonly number[]): tf.LayersModel {
  const depth = vit.layers.filter((layer) => /^block\d+$/.test(layer.name)).length;
  const resolved = blocks.map((b) => {
    if (!Number.isSafeInteger(b) || b < -depth || b >= depth)
      throw new Error(
        `vit: block ${b} does not exist; ${vit.name} has ${depth} blocks (0..${depth - 1}, or -${depth}..-1)`,
      );
    return b < 0 ? depth + b : b;
  });
  for (let i = 1; i < resolved.length; i++) {
    if (resolved[i] <= resolved[i - 1])
      throw new Error(`vit: recorded blocks must ascend strictly, found [${blocks.join(', ')}]`);
  }
  const outputs = resolved.map((i) => vit.getLayer(getBlockName(i)).output as tf.SymbolicTensor);
  return tf.model({ inputs: vit.inputs, outputs, name: `${vit.name}_recorder` });
}
