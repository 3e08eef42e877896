/**
 * The `--backend` flag shared by the commands that run tensors: every name
 * src/backend.ts accepts, with SAEV_BACKEND as its environment variable.
 */
import { Flags } from '@oclif/core';
import { BACKEND_REQUESTS } from '../backend.js';

export const backendFlag = Flags.string({
  summary: 'TensorFlow.js backend; auto prefers a GPU (native CUDA, then webgpu), then native CPU, wasm, cpu.',
  description:
    "native and tensorflow are the same request (tfjs-node's backend is named tensorflow). A forced backend that cannot load is an error, never a fallback.",
  options: [...BACKEND_REQUESTS],
  default: 'auto',
  env: 'SAEV_BACKEND',
});
