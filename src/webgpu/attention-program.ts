/**
 * Multi-head self-attention in one WebGPU pass, read straight out of the
 * fused projection `qkv_MC` (M = B * N rows, C = 3D columns: q, then k, then
 * v, heads contiguous in each) and written as `mixed_MD`, heads side by side:
 * no transposes, and the `[B, K, N, N]` score tensor never exists.
 *
 * One thread per query row, 64 rows per workgroup, one (image, head) per
 * workgroup column. The workgroup walks the keys in tiles of 32 that it
 * loads together into workgroup memory (keys and values); each thread keeps
 * its scaled query and its output row in registers and folds the keys in
 * with an online softmax (running max and sum, the output rescaled once per
 * chunk of keys), so the result equals `softmax(q k^T / sqrt(E)) v` to
 * float32 rounding.
 */
import { divUp, getFlatLayout, WebGpuProgram } from './program.js';

/** Query rows per workgroup. */
const QUERIES_PER_GROUP = 64;
/** Keys per tile held in workgroup memory. */
const KEYS_PER_TILE = 32;

/** Workgroup memory the program needs for a head width, in bytes (keys and values of one tile). */
export function getAttentionStorageBytes(headWidth: number): number {
  return 2 * KEYS_PER_TILE * headWidth * 4;
}

export class AttentionProgram implements WebGpuProgram {
  readonly variableNames = ['qkv'];
  readonly variableComponents = [4];
  readonly outputComponent = 4;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [QUERIES_PER_GROUP, 1, 1];
  readonly uniforms = 'nTokens : i32, D4 : i32, scale : f32,';
  readonly shaderKey: string;
  private readonly headWidth4: number;
  /** Keys scored before the running max is updated (fewer when the head is wide, to spare registers). */
  private readonly chunk: number;

  constructor(size: { batch: number; nTokens: number; width: number; nHeads: number }) {
    const headWidth = size.width / size.nHeads;
    this.headWidth4 = headWidth / 4;
    this.chunk = 8;
    this.outputShape = [size.batch * size.nTokens, size.width];
    this.dispatchLayout = getFlatLayout(this.outputShape);
    this.dispatch = [divUp(size.nTokens, QUERIES_PER_GROUP), size.nHeads, size.batch];
    this.shaderKey = `saevAttention_${this.headWidth4}_${this.chunk}`;
  }

  getUserCode(): string {
    const e4 = this.headWidth4;
    const chunk = this.chunk;
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    const lines: string[] = [];
    const emit = (line: string) => lines.push(line);
    emit(`var<workgroup> tileK : array<vec4<f32>, ${KEYS_PER_TILE * e4}>;`);
    emit(`var<workgroup> tileV : array<vec4<f32>, ${KEYS_PER_TILE * e4}>;`);
    emit('fn main(index : i32) {');
    emit('  let tid = i32(localIndex);');
    emit('  let head = i32(workgroupId.y); let image = i32(workgroupId.z);');
    emit(`  let query = i32(workgroupId.x) * ${QUERIES_PER_GROUP} + tid;`);
    emit('  let n = uniforms.nTokens; let rowStride = 3 * uniforms.D4; let imageBase = image * n * rowStride;');
    emit(`  let kOffset = uniforms.D4 + head * ${e4}; let vOffset = 2 * uniforms.D4 + head * ${e4};`);
    emit(`  let qAt = imageBase + min(query, n - 1) * rowStride + head * ${e4};`);
    for (const e of range(e4)) emit(`  let q${e} = qkv[qAt + ${e}] * uniforms.scale;`);
    for (const e of range(e4)) emit(`  var o${e} = vec4<f32>(0.0);`);
    emit('  var runningMax = -3.0e38; var runningSum = 0.0;');
    emit(`  let nTiles = (n + ${KEYS_PER_TILE - 1}) / ${KEYS_PER_TILE};`);
    emit('  for (var t = 0; t < nTiles; t++) {');
    emit(`    for (var i = tid; i < ${KEYS_PER_TILE * e4}; i += ${QUERIES_PER_GROUP}) {`);
    emit(`      let key = t * ${KEYS_PER_TILE} + i / ${e4}; let e = i % ${e4};`);
    emit('      let at = imageBase + min(key, n - 1) * rowStride + e;');
    emit('      tileK[i] = select(vec4<f32>(0.0), qkv[at + kOffset], key < n);');
    emit('      tileV[i] = select(vec4<f32>(0.0), qkv[at + vOffset], key < n);');
    emit('    }');
    emit('    workgroupBarrier();');
    emit(`    for (var c = 0; c < ${KEYS_PER_TILE}; c += ${chunk}) {`);
    for (const j of range(chunk)) {
      emit(`      let key${j} = (c + ${j}) * ${e4};`);
      emit(`      var s${j} = dot(q0, tileK[key${j}]);`);
      for (const e of range(e4).slice(1)) emit(`      s${j} = s${j} + dot(q${e}, tileK[key${j} + ${e}]);`);
      emit(`      if (t * ${KEYS_PER_TILE} + c + ${j} >= n) { s${j} = -3.0e38; }`);
    }
    emit('      var chunkMax = runningMax;');
    for (const j of range(chunk)) emit(`      chunkMax = max(chunkMax, s${j});`);
    emit('      let rescale = exp(runningMax - chunkMax);');
    emit('      runningMax = chunkMax;');
    emit('      runningSum = runningSum * rescale;');
    for (const e of range(e4)) emit(`      o${e} = o${e} * rescale;`);
    for (const j of range(chunk)) {
      emit(`      let p${j} = exp(s${j} - chunkMax);`);
      emit(`      runningSum = runningSum + p${j};`);
      for (const e of range(e4)) emit(`      o${e} = fma(vec4<f32>(p${j}), tileV[key${j} + ${e}], o${e});`);
    }
    emit('    }');
    emit('    workgroupBarrier();');
    emit('  }');
    emit('  if (query < n) {');
    emit('    let inverse = 1.0 / runningSum;');
    emit(`    let outAt = (image * n + query) * uniforms.D4 + head * ${e4};`);
    for (const e of range(e4)) emit(`    result[outAt + ${e}] = o${e} * inverse;`);
    emit('  }');
    emit('}');
    return lines.join('\n');
  }
}
