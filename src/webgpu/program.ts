/**
 * The contract between our WGSL kernels and tfjs's webgpu backend, written
 * out here so that nothing but `src/backend.ts` loads the (optional) package.
 *
 * A program is what `WebGPUBackend.runWebGPUProgram` compiles and dispatches:
 * tfjs prepends the bindings (`result` at binding 0, then one
 * `array<f32 | vec4<f32>>` per name in `variableNames`), a `Uniforms` struct
 * holding every tensor's shape plus the fields the program declares in
 * `uniforms`, and an entry point that calls our `main(index)`. The builtins
 * `localId`, `localIndex`, `workgroupId` and `numWorkgroups` are private
 * variables there. One pipeline is compiled per `shaderKey` (tfjs appends
 * ranks and dtypes), so everything that changes the code must be in the key,
 * and sizes that do not go in uniforms.
 */
import type { tf } from '../tf.js';

export interface WebGpuProgram {
  /** Input binding names, in the order the inputs are passed. */
  variableNames: string[];
  /** Per input: 1 (`array<f32>`) or 4 (`array<vec4<f32>>`). */
  variableComponents?: number[];
  /** 1 or 4: the element type of `result`. */
  outputComponent?: number;
  outputShape: number[];
  /** Which output axes map to the dispatch's x/y/z (only used by tfjs's helpers; ours index by hand). */
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  /** Workgroups along x, y, z. */
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Extra `Uniforms` fields, WGSL syntax, e.g. `M : i32, eps : f32,`. */
  uniforms?: string;
  shaderKey: string;
  getUserCode(): string;
}

/** The parts of tfjs's `WebGPUBackend` our kernels call. */
export interface WebGpuBackendLike {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: Array<{ type: 'int32' | 'float32' | 'uint32'; data: number[] }>,
  ): tf.TensorInfo;
  device: GPUDevice;
}

/** A dispatch layout that puts every output axis on x: tfjs then calls `main(index)` with a flat index we ignore. */
export function getFlatLayout(outputShape: number[]): { x: number[] } {
  return { x: outputShape.map((_, i) => i) };
}

/** `ceil(a / b)` for positive integers. */
export function divUp(a: number, b: number): number {
  return Math.ceil(a / b);
}
