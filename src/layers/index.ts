/**
 * The package's custom tfjs layers. Importing this module registers them for
 * serialization, so `tf.loadLayersModel` can rebuild a saved ViT.
 */
export { Gelu, type GeluApproximation } from './gelu.js';
export { SelfAttention } from './self-attention.js';
export { TokenEmbedding } from './token-embedding.js';
export { LayerNorm } from './layer-norm.js';
export { LayerScale } from './layer-scale.js';
export { RopeEmbedding } from './rope-embedding.js';
export { SwiGlu } from './swiglu.js';
