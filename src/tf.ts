/**
 * The one module that imports TensorFlow.js: every other module takes `tf`
 * from here, so there is exactly one tfjs-core instance. Which backend runs
 * its kernels is chosen once, in src/backend.ts.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };

/**
 * Has the backend take over a tensor made from JavaScript values now rather
 * than at its first use, so the JavaScript copy is released at once: webgpu
 * uploads it (as tfjs's own streamed weight loading does), native copies it
 * into a TensorFlow tensor (any op on it does; a same-shape reshape costs
 * nothing more). wasm copied it when it was made; cpu keeps the JavaScript
 * values as its storage. A model loaded weight by weight thus never holds
 * its weights twice, even for a moment.
 */
export function settleTensor(tensor: tf.Tensor): void {
  const backend = tf.backend() as unknown as { uploadToGPU?: (dataId: object) => void };
  if (tf.getBackend() === 'webgpu' && typeof backend.uploadToGPU === 'function') backend.uploadToGPU(tensor.dataId);
  else if (tf.getBackend() === 'tensorflow') tf.reshape(tensor, tensor.shape).dispose();
}
