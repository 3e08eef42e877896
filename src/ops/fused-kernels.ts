/**
 * Fused kernels that a backend may offer for an op the layers otherwise
 * compose from generic tfjs ops. A backend registers the tfjs kernel plus
 * the shapes it accepts (`registerFusedKernel`); an op asks `runFusedOr`,
 * which runs the kernel when the active backend has one that accepts the
 * inputs, and the generic composition otherwise. So the layers, the saved
 * models and every other backend stay as they are.
 */
import { tf } from '../tf.js';

export interface FusedKernel {
  kernelName: string;
  backendName: string;
  kernelFunc: tf.KernelFunc;
  /** Whether the kernel handles these inputs (dtype, divisibility, device limits). */
  accepts(inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap): boolean;
}

const acceptors = new Map<string, FusedKernel['accepts']>();
let enabled = true;

/** Off: the generic compositions (and tfjs's own kernels) run instead; src/backend.ts sets it (SAEV_WEBGPU_KERNELS). */
export function setFusedKernelsEnabled(on: boolean): void {
  enabled = on;
}

export function areFusedKernelsEnabled(): boolean {
  return enabled;
}

function getKey(kernelName: string, backendName: string): string {
  return `${backendName}/${kernelName}`;
}

export function registerFusedKernel(kernel: FusedKernel): void {
  const key = getKey(kernel.kernelName, kernel.backendName);
  if (acceptors.has(key)) return;
  tf.registerKernel({ kernelName: kernel.kernelName, backendName: kernel.backendName, kernelFunc: kernel.kernelFunc });
  acceptors.set(key, kernel.accepts);
}

/** The fused kernel's output when the active backend has one for these inputs, else `generic()`. */
export function runFusedOr<T extends tf.Tensor>(
  kernelName: string,
  inputs: tf.NamedTensorMap,
  attrs: tf.NamedAttrMap,
  generic: () => T,
): T {
  const accepts = enabled ? acceptors.get(getKey(kernelName, tf.getBackend())) : undefined;
  if (accepts?.(inputs as Record<string, tf.TensorInfo>, attrs))
    return tf.engine().runKernel(kernelName, inputs, attrs) as T;
  return generic();
}
