/**
 * A register-tiled float32 matrix product for WebGPU, `out_MN = a_MK @ b_KN
 * (+ bias_N)`, optionally batched (`[batch, M, K] @ [batch or 1, K, N]`).
 *
 * tfjs's generic webgpu matmul gives each workgroup a 32x32 output tile, so
 * every value read from memory feeds few multiply-adds. Here a workgroup owns
 * a `tileRows x tileCols` tile (128 x 128 by default) and each thread an
 * 8 x 8 block of it, held in 16 vec4 registers: per step along K a thread
 * reads two vec4 of A and two of B from workgroup memory and does 64 fused
 * multiply-adds. The next K slice is fetched into registers while the
 * current one is multiplied. A's slice is stored transposed (`[k][m]`) so
 * that the 4 rows a thread needs at one k are one vec4.
 *
 * The accumulators are generated as separate variables (no dynamic indexing
 * into a private array), so the driver keeps them in registers; the loop
 * over one slice's depth is left for the driver to unroll. Requirements, checked by the
 * kernel that uses it: K and N multiples of 4 (rows are read as vec4).
 */
import { divUp, getFlatLayout, WebGpuProgram } from './program.js';

export interface MatMulTile {
  /** Threads along N and along M in one workgroup. */
  threadsX: number;
  threadsY: number;
  /** Outputs per thread along M and along N; multiples of 4. */
  rowsPerThread: number;
  colsPerThread: number;
  /** Depth of one K slice held in workgroup memory; a multiple of 4. */
  depth: number;
}

/** Named tile shapes; `128x128` for large products, smaller ones keep every multiprocessor busy on small ones. */
export const MATMUL_TILES: Readonly<Record<string, MatMulTile>> = {
  '128x128': { threadsX: 16, threadsY: 16, rowsPerThread: 8, colsPerThread: 8, depth: 16 },
  '128x128k8': { threadsX: 16, threadsY: 16, rowsPerThread: 8, colsPerThread: 8, depth: 8 },
  '128x64': { threadsX: 8, threadsY: 16, rowsPerThread: 8, colsPerThread: 8, depth: 16 },
  '64x128': { threadsX: 16, threadsY: 8, rowsPerThread: 8, colsPerThread: 8, depth: 16 },
  '64x64': { threadsX: 16, threadsY: 16, rowsPerThread: 4, colsPerThread: 4, depth: 16 },
};

export function getTileRows(tile: MatMulTile): number {
  return tile.threadsY * tile.rowsPerThread;
}

export function getTileCols(tile: MatMulTile): number {
  return tile.threadsX * tile.colsPerThread;
}

/** Workgroup memory the tile needs, in bytes (two float32 slices). */
export function getTileStorageBytes(tile: MatMulTile): number {
  return 4 * tile.depth * (getTileRows(tile) + getTileCols(tile));
}

export class MatMulProgram implements WebGpuProgram {
  readonly variableNames: string[];
  readonly variableComponents: number[];
  readonly outputComponent = 4;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly uniforms = 'M : i32, N4 : i32, K4 : i32, aBatchStride : i32, bBatchStride : i32,';
  readonly shaderKey: string;

  /** `outputShape` is `[..., M, N]`; `batch` products of `m x k` by `k x n`. */
  constructor(
    outputShape: number[],
    readonly tile: MatMulTile,
    readonly size: { batch: number; m: number; n: number },
    readonly hasBias: boolean,
  ) {
    this.outputShape = outputShape;
    this.variableNames = hasBias ? ['A', 'B', 'bias'] : ['A', 'B'];
    this.variableComponents = this.variableNames.map(() => 4);
    this.dispatchLayout = getFlatLayout(outputShape);
    this.workgroupSize = [tile.threadsX, tile.threadsY, 1];
    this.dispatch = [divUp(size.n, getTileCols(tile)), divUp(size.m, getTileRows(tile)), size.batch];
    const { threadsX, threadsY, rowsPerThread, colsPerThread, depth } = tile;
    this.shaderKey = `saevMatMul_${threadsX}_${threadsY}_${rowsPerThread}_${colsPerThread}_${depth}_${hasBias}`;
  }

  getUserCode(): string {
    const { threadsX, threadsY, rowsPerThread, colsPerThread, depth } = this.tile;
    const nThreads = threadsX * threadsY;
    const rows4 = getTileRows(this.tile) / 4; // vec4 per k in the A slice
    const cols4 = getTileCols(this.tile) / 4; // vec4 per k in the B slice
    const depth4 = depth / 4;
    const rowGroups = rowsPerThread / 4;
    const colGroups = colsPerThread / 4;
    const loadsA = (rows4 * 4 * depth4) / nThreads;
    const loadsB = (depth * cols4) / nThreads;
    if (!Number.isInteger(loadsA) || !Number.isInteger(loadsB))
      throw new Error(`webgpu: tile ${JSON.stringify(this.tile)} does not divide among its threads`);
    const lines: string[] = [];
    const emit = (line: string) => lines.push(line);

    emit(`var<workgroup> sliceA : array<vec4<f32>, ${depth * rows4}>;`);
    emit(`var<workgroup> sliceB : array<vec4<f32>, ${depth * cols4}>;`);
    emit('fn main(index : i32) {');
    emit(`  let tx = i32(localId.x); let ty = i32(localId.y); let tid = i32(localIndex);`);
    emit(`  let batch = i32(workgroupId.z);`);
    emit(`  let m0 = i32(workgroupId.y) * ${rows4 * 4}; let n04 = i32(workgroupId.x) * ${cols4};`);
    emit(`  let aBase = batch * uniforms.aBatchStride; let bBase = batch * uniforms.bBatchStride;`);
    emit(`  let nSlices = (uniforms.K4 + ${depth4 - 1}) / ${depth4};`);
    for (let p = 0; p < loadsA; p++) emit(`  var ra${p} : vec4<f32>;`);
    for (let p = 0; p < loadsB; p++) emit(`  var rb${p} : vec4<f32>;`);
    for (let a = 0; a < rowsPerThread; a++)
      for (let h = 0; h < colGroups; h++) emit(`  var acc${a}_${h} = vec4<f32>(0.0);`);

    // Global -> registers for slice `s`: A as [row][k4] (k fastest, coalesced), B as [k][n4].
    const fetch = (s: string) => {
      for (let p = 0; p < loadsA; p++) {
        emit(
          `  { let i = tid + ${p * nThreads}; let r = i / ${depth4}; let k4 = ${s} * ${depth4} + i % ${depth4}; let row = m0 + r;`,
        );
        emit(
          `    ra${p} = select(vec4<f32>(0.0), A[aBase + row * uniforms.K4 + k4], row < uniforms.M && k4 < uniforms.K4); }`,
        );
      }
      for (let p = 0; p < loadsB; p++) {
        emit(`  { let i = tid + ${p * nThreads}; let k = ${s} * ${depth} + i / ${cols4}; let c4 = n04 + i % ${cols4};`);
        emit(
          `    rb${p} = select(vec4<f32>(0.0), B[bBase + k * uniforms.N4 + c4], k < uniforms.K4 * 4 && c4 < uniforms.N4); }`,
        );
      }
    };
    // Registers -> workgroup memory: A transposed to [k][row/4] so a thread's 4 rows at one k are one vec4.
    const store = () => {
      for (let p = 0; p < loadsA; p++) {
        emit(
          `  { let i = tid + ${p * nThreads}; let r = i / ${depth4}; let k = (i % ${depth4}) * 4; let at = k * ${rows4} + r / 4; let c = r % 4;`,
        );
        ['x', 'y', 'z', 'w'].forEach((comp, j) => emit(`    sliceA[at + ${j * rows4}][c] = ra${p}.${comp};`));
        emit('  }');
      }
      for (let p = 0; p < loadsB; p++) emit(`  sliceB[tid + ${p * nThreads}] = rb${p};`);
    };
    // Values are computed inside a select() whose address may be out of range: WGSL clamps out-of-bounds reads.
    fetch('0');
    emit('  for (var s = 0; s < nSlices; s++) {');
    store();
    emit('    workgroupBarrier();');
    emit('    if (s + 1 < nSlices) {');
    fetch('(s + 1)');
    emit('    }');
    emit(`    for (var k = 0; k < ${depth}; k++) {`);
    for (let g = 0; g < rowGroups; g++) emit(`      let a${g} = sliceA[k * ${rows4} + ${g * threadsY} + ty];`);
    for (let h = 0; h < colGroups; h++) emit(`      let b${h} = sliceB[k * ${cols4} + ${h * threadsX} + tx];`);
    for (let g = 0; g < rowGroups; g++) {
      for (let i = 0; i < 4; i++) {
        const a = g * 4 + i;
        for (let h = 0; h < colGroups; h++)
          emit(`      acc${a}_${h} = fma(vec4<f32>(a${g}[${i}]), b${h}, acc${a}_${h});`);
      }
    }
    emit('    }');
    emit('    workgroupBarrier();');
    emit('  }');
    // Epilogue: bias, bounds, one vec4 store per (row, column group).
    emit('  let outBase = batch * uniforms.M * uniforms.N4;');
    for (let g = 0; g < rowGroups; g++) {
      for (let i = 0; i < 4; i++) {
        const a = g * 4 + i;
        emit(`  { let row = m0 + ${g * threadsY * 4} + ty * 4 + ${i};`);
        emit('    if (row < uniforms.M) {');
        for (let h = 0; h < colGroups; h++) {
          emit(`      { let c4 = n04 + ${h * threadsX} + tx;`);
          emit(
            `        if (c4 < uniforms.N4) { result[outBase + row * uniforms.N4 + c4] = acc${a}_${h}${this.hasBias ? ' + bias[c4]' : ''}; } }`,
          );
        }
        emit('    } }');
      }
    }
    emit('}');
    return lines.join('\n');
  }
}
