/**
 * GELU in one elementwise WebGPU pass, in the three variants the families
 * use (src/layers/gelu.ts): exact (`none`, through erf), `tanh`, and OpenAI's
 * `quick` (`x * sigmoid(1.702 x)`). The generic path runs five to seven
 * kernels over the MLP's widest tensor; this reads and writes it once.
 * Requires a length that is a multiple of 4.
 */
import type { GeluApproximation } from '../layers/gelu.js';
import { divUp, getFlatLayout, WebGpuProgram } from './program.js';

const THREADS = 256;

/**
 * erf by Abramowitz and Stegun's formula 7.1.26 (absolute error below
 * 1.5e-7), the approximation tfjs's own webgpu `Erf` kernel uses, so the
 * fused and the generic paths agree on this backend.
 */
const ERF = `
fn erfApprox(v : vec4<f32>) -> vec4<f32> {
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign(v) * (1.0 - poly * exp(-a * a));
}`;

const FORMULAS: Record<GeluApproximation, string> = {
  none: '0.5 * v * (1.0 + erfApprox(v * 0.7071067811865476))',
  // tanh saturates to +-1 in float32 well before |u| = 10; clamping keeps exp() inside tanh finite everywhere.
  tanh: '0.5 * v * (1.0 + tanh(clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), vec4<f32>(-10.0), vec4<f32>(10.0))))',
  quick: 'v / (1.0 + exp(-1.702 * v))',
};

export class GeluProgram implements WebGpuProgram {
  readonly variableNames = ['x'];
  readonly variableComponents = [4];
  readonly outputComponent = 4;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];
  readonly uniforms = 'n4 : i32,';
  readonly shaderKey: string;

  constructor(
    outputShape: number[],
    readonly approximate: GeluApproximation,
  ) {
    this.outputShape = outputShape;
    this.dispatchLayout = getFlatLayout(outputShape);
    const n4 = outputShape.reduce((a, b) => a * b, 1) / 4;
    this.dispatch = [divUp(n4, THREADS), 1, 1];
    this.shaderKey = `saevGelu_${approximate}`;
  }

  getUserCode(): string {
    return `${this.approximate === 'none' ? ERF : ''}
fn main(index : i32) {
  if (index < uniforms.n4) {
    let v = x[index];
    result[index] = ${FORMULAS[this.approximate]};
  }
}
`;
  }
}
