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

/** `rope_2PE`: the RoPE table every attention takes, or null without RoPE. */
function buildBlock(x: tf.SymbolicTensor, rope_2PE: tf.SymbolicTensor | null, arch: VitArch, i: number, made: Made): tf.SymbolicTensor {
  const norm = (name: string) => made(new LayerNorm({ epsilon: arch.layerNormEps, name: `block${i}_${name}` }));
  // DINOv2 scales each residual branch per channel; decided here once, never in a forward pass.
  const scale = (branch: tf.SymbolicTensor, name: string) =>
    arch.layerScale ? (made(new LayerScale({ name: `block${i}_${name}` })).apply(branch) as tf.SymbolicTensor) : branch;
  const attention = made(new SelfAttention({ nHeads: arch.nHeads, rope: arch.rope?.pairing ?? 'none', name: `block${i}_attn` }));
  const normed = norm('ln1').apply(x) as tf.SymbolicTensor;
  const attended = scale(attention.apply(rope_2PE ? [normed, rope_2PE] : normed) as tf.SymbolicTensor, 'ls1');
  const afterAttn = tf.layers.add({ name: `block${i}_add1` }).apply([x, attended]) as tf.SymbolicTensor;
  let hidden = made(tf.layers.dense({ units: getFc1Width(arch), name: `block${i}_fc1` })).apply(norm('ln2').apply(afterAttn)) as tf.SymbolicTensor;
  const activation = arch.mlp === 'swiglu' ? new SwiGlu({ name: `block${i}_swiglu` }) : new Gelu({ approximate: arch.gelu, name: `block${i}_gelu` });
  hidden = activation.apply(hidden) as tf.SymbolicTensor;
  const mlp = scale(made(tf.layers.dense({ units: arch.width, name: `block${i}_fc2` })).apply(hidden) as tf.SymbolicTensor, 'ls2');
  return tf.layers.add({ name: getBlockName(i) }).apply([afterAttn, mlp]) as tf.SymbolicTensor;
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
  const grid = made(tf.layers.conv2d({ filters: arch.width, kernelSize: arch.patchSize, strides: arch.patchSize, useBias: arch.patchBias, name: 'patch_embed' }))
    .apply(pixels_BHWC) as tf.SymbolicTensor;
  // Row-major over the patch grid, as torch's `flatten(2).transpose(1, 2)`.
  const patches_BPD = tf.layers.reshape({ targetShape: [getPatchCount(arch), arch.width], name: 'patches' }).apply(grid) as tf.SymbolicTensor;
  const tokens = made(new TokenEmbedding({ clsToken: arch.clsToken, nRegisters: arch.nRegisters, positions: arch.positionEmbedding, name: 'tokens' }));
  let x = tokens.apply(patches_BPD) as tf.SymbolicTensor;
  const rope = arch.rope && new RopeEmbedding({ ...getRopeGrid(arch), base: arch.rope.base, scale: arch.rope.scale, name: 'rope' });
  const rope_2PE = rope ? (rope.apply(patches_BPD) as tf.SymbolicTensor) : null;
  if (arch.preNorm) x = made(new LayerNorm({ epsilon: arch.layerNormEps, name: 'ln_pre' })).apply(x) as tf.SymbolicTensor;
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
    if (!Number.isSafeInteger(b) || b < -depth || b >= depth) throw new Error(`vit: block ${b} does not exist; ${vit.name} has ${depth} blocks (0..${depth - 1}, or -${depth}..-1)`);
    return b < 0 ? depth + b : b;
  });
  for (let i = 1; i < resolved.length; i++) {
    if (resolved[i] <= resolved[i - 1]) throw new Error(`vit: recorded blocks must ascend strictly, found [${blocks.join(', ')}]`);
  }
  const outputs = resolved.map((i) => vit.getLayer(getBlockName(i)).output as tf.SymbolicTensor);
  return tf.model({ inputs: vit.inputs, outputs, name: `${vit.name}_recorder` });
}
