/**
 * The project's kernels on tfjs's webgpu backend, registered once when that
 * backend is chosen (src/backend.ts):
 *
 *  - `BatchMatMul` and `_FusedMatMul` (every Dense layer and the attention
 *    projections) run our register-tiled matmul where the shapes allow it
 *    (no transposes, K and N multiples of 4, no fused activation) and tfjs's
 *    own kernel otherwise;
 *  - `SaevAttention`, `SaevLayerNorm` and `SaevGelu` back the ops in
 *    src/ops/ with one pass each.
 *
 * Every kernel here is tested against the generic ops on the same backend
 * (test/webgpu/kernels.test.ts).
 */
import { tf } from '../tf.js';
import type { GeluApproximation } from '../layers/gelu.js';
import { ATTENTION_KERNEL } from '../ops/attention.js';
import { areFusedKernelsEnabled, registerFusedKernel } from '../ops/fused-kernels.js';
import { GELU_KERNEL } from '../ops/gelu.js';
import { LAYER_NORM_KERNEL } from '../ops/layer-norm.js';
import { AttentionProgram, getAttentionStorageBytes } from './attention-program.js';
import { GeluProgram } from './gelu-program.js';
import { LayerNormProgram } from './layer-norm-program.js';
import {
  getTileCols,
  getTileRows,
  getTileStorageBytes,
  MATMUL_TILES,
  MatMulProgram,
  MatMulTile,
} from './matmul-program.js';
import { divUp, WebGpuBackendLike } from './program.js';

const BACKEND = 'webgpu';
/** WebGPU's guaranteed minimum for workgroups along one dispatch axis. */
const MAX_WORKGROUPS_PER_AXIS = 65535;

type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: tf.NamedAttrMap };

let tileOverride: MatMulTile | null = null;

/** For benchmarks: force one of `MATMUL_TILES` (null: choose by shape). */
export function setMatMulTileOverride(name: string | null): void {
  if (name !== null && !MATMUL_TILES[name])
    throw new Error(`webgpu: unknown matmul tile '${name}' (known: ${Object.keys(MATMUL_TILES).join(', ')})`);
  tileOverride = name === null ? null : MATMUL_TILES[name];
}

function getDevice(): GPUDevice {
  return (tf.backend() as unknown as WebGpuBackendLike).device;
}

/** Large tiles when there are enough of them to fill the GPU several times, smaller ones otherwise. */
function chooseTile(batch: number, m: number, n: number): MatMulTile {
  if (tileOverride) return tileOverride;
  const count = (tile: MatMulTile) => batch * divUp(m, getTileRows(tile)) * divUp(n, getTileCols(tile));
  if (count(MATMUL_TILES['128x128']) >= 512) return MATMUL_TILES['128x128'];
  if (count(MATMUL_TILES['64x128']) >= 256) return MATMUL_TILES['64x128'];
  return MATMUL_TILES['64x64'];
}

interface MatMulPlan {
  program: MatMulProgram;
  uniforms: Array<{ type: 'int32'; data: number[] }>;
}

function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Our matmul's plan for a BatchMatMul/_FusedMatMul call, or null to leave it to tfjs. */
function planMatMul(inputs: Record<string, tf.TensorInfo>, attrs: tf.NamedAttrMap): MatMulPlan | null {
  const { a, b, bias, preluActivationWeights } = inputs;
  const activation = (attrs.activation as string | null | undefined) ?? 'linear';
  if (attrs.transposeA || attrs.transposeB || activation !== 'linear' || preluActivationWeights) return null;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const [m, k] = a.shape.slice(-2);
  const [kb, n] = b.shape.slice(-2);
  if (k !== kb || k % 4 !== 0 || n % 4 !== 0 || m === 0) return null;
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== n)) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = product(outerA);
  const batchB = product(outerB);
  const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!sameOuter && batchA !== 1 && batchB !== 1) return null; // general broadcasting: tfjs's kernel
  const batch = Math.max(batchA, batchB);
  const outer = batchA >= batchB ? outerA : outerB;
  const tile = chooseTile(batch, m, n);
  const program = new MatMulProgram([...outer, m, n], tile, { batch, m, n }, Boolean(bias));
  if (getTileStorageBytes(tile) > getDevice().limits.maxComputeWorkgroupStorageSize) return null;
  if (program.dispatch.some((d) => d > MAX_WORKGROUPS_PER_AXIS)) return null;
  const uniforms = [m, n / 4, k / 4, batchA === 1 ? 0 : (m * k) / 4, batchB === 1 ? 0 : (k * n) / 4].map((value) => ({
    type: 'int32' as const,
    data: [value],
  }));
  return { program, uniforms };
}

function overrideMatMul(kernelName: string): void {
  const original = tf.getKernel(kernelName, BACKEND);
  if (!original) throw new Error(`webgpu: tfjs registered no '${kernelName}' kernel to extend`);
  tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({
    kernelName,
    backendName: BACKEND,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as KernelArgs;
      const plan = areFusedKernelsEnabled() ? planMatMul(inputs, attrs ?? {}) : null;
      if (!plan) return original.kernelFunc(args);
      const { a, b, bias } = inputs;
      return (backend as WebGpuBackendLike).runWebGPUProgram(
        plan.program,
        bias ? [a, b, bias] : [a, b],
        'float32',
        plan.uniforms,
      );
    },
  });
}

function registerAttention(): void {
  registerFusedKernel({
    kernelName: ATTENTION_KERNEL,
    backendName: BACKEND,
    accepts: ({ qkv }, { nTokens, nHeads }) => {
      const [rows, columns] = qkv.shape;
      const width = columns / 3;
      const headWidth = width / (nHeads as number);
      const device = getDevice();
      return (
        qkv.dtype === 'float32' &&
        qkv.shape.length === 2 &&
        Number.isInteger(headWidth) &&
        headWidth % 4 === 0 &&
        headWidth <= 128 &&
        rows % (nTokens as number) === 0 &&
        getAttentionStorageBytes(headWidth) <= device.limits.maxComputeWorkgroupStorageSize &&
        rows / (nTokens as number) <= MAX_WORKGROUPS_PER_AXIS &&
        (nHeads as number) <= MAX_WORKGROUPS_PER_AXIS
      );
    },
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as KernelArgs;
      const qkv = inputs.qkv;
      const nTokens = attrs!.nTokens as number;
      const nHeads = attrs!.nHeads as number;
      const width = qkv.shape[1] / 3;
      const program = new AttentionProgram({ batch: qkv.shape[0] / nTokens, nTokens, width, nHeads });
      const uniforms = [
        { type: 'int32' as const, data: [nTokens] },
        { type: 'int32' as const, data: [width / 4] },
        { type: 'float32' as const, data: [1 / Math.sqrt(width / nHeads)] },
      ];
      return (backend as WebGpuBackendLike).runWebGPUProgram(program, [qkv], 'float32', uniforms);
    },
  });
}

function registerLayerNorm(): void {
  registerFusedKernel({
    kernelName: LAYER_NORM_KERNEL,
    backendName: BACKEND,
    accepts: ({ x, gamma, beta }) => {
      const width = x.shape[x.shape.length - 1];
      return (
        x.dtype === 'float32' &&
        width % 4 === 0 &&
        gamma.shape[0] === width &&
        beta.shape[0] === width &&
        gamma.shape.length === 1 &&
        beta.shape.length === 1
      );
    },
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as KernelArgs;
      const { x, gamma, beta } = inputs;
      const width = x.shape[x.shape.length - 1];
      const nRows = product(x.shape) / width;
      const program = new LayerNormProgram(x.shape, nRows, width);
      const uniforms = [
        { type: 'int32' as const, data: [nRows] },
        { type: 'int32' as const, data: [width / 4] },
        { type: 'float32' as const, data: [attrs!.epsilon as number] },
      ];
      return (backend as WebGpuBackendLike).runWebGPUProgram(program, [x, gamma, beta], 'float32', uniforms);
    },
  });
}

function registerGelu(): void {
  registerFusedKernel({
    kernelName: GELU_KERNEL,
    backendName: BACKEND,
    accepts: ({ x }) => x.dtype === 'float32' && product(x.shape) % 4 === 0,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as KernelArgs;
      const program = new GeluProgram(inputs.x.shape, attrs!.approximate as GeluApproximation);
      return (backend as WebGpuBackendLike).runWebGPUProgram(program, [inputs.x], 'float32', [
        { type: 'int32', data: [product(inputs.x.shape) / 4] },
      ]);
    },
  });
}

let registered = false;

/** Called by `initBackend` once the webgpu backend is active. */
export function registerWebGpuKernels(): void {
  if (registered) return;
  registered = true;
  overrideMatMul('BatchMatMul');
  overrideMatMul('_FusedMatMul');
  registerAttention();
  registerLayerNorm();
  registerGelu();
}
