/**
 * LayerNorm over the last axis in one WebGPU pass, as the LayerNorm layer
 * computes it (src/layers/layer-norm.ts): mean, biased variance of the
 * centred values, `(x - mean) * rsqrt(var + eps) * gamma + beta`. One
 * workgroup per row, `x_RD` read once into registers (vec4), two workgroup
 * sums. Requires D to be a multiple of 4.
 */
import { getFlatLayout, WebGpuProgram } from './program.js';

const THREADS = 64;

export class LayerNormProgram implements WebGpuProgram {
  readonly variableNames = ['x', 'gamma', 'beta'];
  readonly variableComponents = [4, 4, 4];
  readonly outputComponent = 4;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];
  readonly uniforms = 'nRows : i32, D4 : i32, eps : f32,';
  readonly shaderKey: string;
  /** vec4 of a row each thread holds. */
  private readonly perThread: number;

  constructor(outputShape: number[], nRows: number, width: number) {
    this.outputShape = outputShape;
    this.dispatchLayout = getFlatLayout(outputShape);
    this.dispatch = [nRows, 1, 1];
    this.perThread = Math.ceil(width / 4 / THREADS);
    this.shaderKey = `saevLayerNorm_${this.perThread}`;
  }

  getUserCode(): string {
    const slots = Array.from({ length: this.perThread }, (_, i) => i);
    return `
var<workgroup> partial : array<f32, ${THREADS}>;

fn sumOverGroup(value : f32, tid : i32) -> f32 {
  partial[tid] = value;
  workgroupBarrier();
  for (var stride = ${THREADS / 2}; stride > 0; stride = stride / 2) {
    if (tid < stride) { partial[tid] = partial[tid] + partial[tid + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

fn main(index : i32) {
  let tid = i32(localIndex);
  let row = i32(workgroupId.x + workgroupId.y * numWorkgroups.x + workgroupId.z * numWorkgroups.x * numWorkgroups.y);
  let valid = row < uniforms.nRows;
  let base = min(row, uniforms.nRows - 1) * uniforms.D4;
  let d = f32(uniforms.D4 * 4);
${slots
  .map(
    (s) => `  let col${s} = tid + ${s * THREADS}; let in${s} = col${s} < uniforms.D4;
  let x${s} = select(vec4<f32>(0.0), x[base + min(col${s}, uniforms.D4 - 1)], in${s});`,
  )
  .join('\n')}
  let mean = sumOverGroup(${slots.map((s) => `dot(x${s}, vec4<f32>(1.0))`).join(' + ')}, tid) / d;
${slots.map((s) => `  let c${s} = select(vec4<f32>(0.0), x${s} - vec4<f32>(mean), in${s});`).join('\n')}
  let variance = sumOverGroup(${slots.map((s) => `dot(c${s}, c${s})`).join(' + ')}, tid) / d;
  let inverse = inverseSqrt(variance + uniforms.eps);
${slots.map((s) => `  if (valid && in${s}) { result[base + col${s}] = c${s} * inverse * gamma[col${s}] + beta[col${s}]; }`).join('\n')}
}
`;
  }
}
