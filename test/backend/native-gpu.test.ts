/**
 * `npm run install:native -- --gpu` builds @tensorflow/tfjs-node-gpu against TensorFlow's CUDA wheel, and that build
 * loads and computes what the tfjs-node build (the CPU wheel) computes. Opt-in with SAEV_TEST_NATIVE_GPU=1, skipped
 * otherwise: the first run downloads ~3.4 GB of wheels. Runs the install script (idempotent), then the demo ViT once
 * per package, each in a child process of its own (test/backend/run-demo-vit.mjs: both packages register the
 * 'tensorflow' backend, so they cannot share one). Uses the built dist/ (test/build-dist.ts builds it first when
 * stale).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ENABLED = process.env.SAEV_TEST_NATIVE_GPU === '1';
const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(__dirname, 'run-demo-vit.mjs');
const SKIP_REASON = 'set SAEV_TEST_NATIVE_GPU=1 to build tfjs-node-gpu from the CUDA wheels (~3.4 GB) and compare it';

if (!ENABLED) console.warn(`native-gpu: skipped (${SKIP_REASON})`);

interface ChildReport {
  pkg: string;
  tfVersion: string;
  gpu: boolean;
  shape: number[];
  ms: number;
  cudaLibs: string[];
}

/** The child's environment: the backend's oneDNN default for both, TF's own log lines on, no LD_LIBRARY_PATH. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_ENABLE_ONEDNN_OPTS: '1', TF_CPP_MIN_LOG_LEVEL: '0' };
  delete env.LD_LIBRARY_PATH;
  return env;
}

/** Runs node without blocking the test worker (vitest's worker must keep answering while the build runs). */
function runNode(args: string[], env: NodeJS.ProcessEnv, timeout: number) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, timeout });
    let stdout = '',
      stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function runDemoVit(pkg: string, dir: string) {
  const outPath = path.join(dir, `${path.basename(pkg)}.f32`);
  const r = await runNode([CHILD, pkg, outPath], childEnv(), 300_000);
  expect(r.status, `${pkg}: ${r.stderr}`).toBe(0);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildReport;
  const bytes = readFileSync(outPath);
  const acts = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { report, acts, stderr: r.stderr };
}

describe.runIf(ENABLED)('tfjs-node-gpu built from the CUDA wheels (SAEV_TEST_NATIVE_GPU=1)', () => {
  it('npm run install:native -- --gpu builds it, or finds it built', async () => {
    const t = Date.now();
    const r = await runNode(['scripts/install-native.mjs', '--gpu', '--strict'], process.env, 1_800_000);
    console.log(`${r.stderr.trim()}\n(install:native --gpu: ${((Date.now() - t) / 1000).toFixed(1)} s)`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/@tensorflow\/tfjs-node-gpu (already loads|ready via route A).*TF_Version 2\.21\.0/);
  }, 1_800_000);

  it('equals the tfjs-node build on the demo ViT, with its own CUDA libraries, and does not crash', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-native-gpu-'));
    const [cpu, gpu] = await (async () => {
      try {
        return [await runDemoVit('@tensorflow/tfjs-node', dir), await runDemoVit('@tensorflow/tfjs-node-gpu', dir)];
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    })();
    expect(cpu.report.tfVersion).toBe('2.21.0');
    expect(gpu.report.tfVersion).toBe('2.21.0');
    expect(cpu.report.gpu).toBe(false);
    expect(cpu.report.cudaLibs).toEqual([]);
    // TF loads libcudart at start-up: from the staged wheels (the real path is in the cache), never a system CUDA.
    const staged = '/tensorflow-2.21.0-cuda12/nvidia/';
    expect(gpu.report.cudaLibs.every((lib) => lib.includes(staged))).toBe(true);
    expect(gpu.report.cudaLibs.some((lib) => lib.endsWith(`${staged}cuda_runtime/lib/libcudart.so.12`))).toBe(true);
    expect(gpu.report.shape).toEqual(cpu.report.shape);

    const a = cpu.acts,
      b = gpu.acts;
    let maxAbs = 0,
      maxRef = 0,
      sumSqDiff = 0,
      sumSqRef = 0,
      nEqual = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      maxAbs = Math.max(maxAbs, d);
      maxRef = Math.max(maxRef, Math.abs(a[i]));
      sumSqDiff += d * d;
      sumSqRef += a[i] * a[i];
      if (a[i] === b[i]) nEqual++;
    }
    const relRms = Math.sqrt(sumSqDiff / sumSqRef);
    const cudaLines = gpu.stderr.split('\n').filter((line) => /cuda|gpu/i.test(line));
    console.log(
      [
        `tfjs-node:     TF ${cpu.report.tfVersion}, isUsingGpuDevice ${cpu.report.gpu}, forward ${cpu.report.ms} ms`,
        `tfjs-node-gpu: TF ${gpu.report.tfVersion}, isUsingGpuDevice ${gpu.report.gpu}, forward ${gpu.report.ms} ms`,
        `CUDA libraries mapped by tfjs-node-gpu: ${gpu.report.cudaLibs.join(', ')}`,
        `what TF printed about CUDA: ${cudaLines.join(' | ') || '(nothing)'}`,
        `acts [${cpu.report.shape.join(', ')}]: max |diff| ${maxAbs.toExponential(2)} ` +
          `(max |value| ${maxRef.toFixed(3)}), relative RMS ${relRms.toExponential(2)}, ` +
          `${nEqual} of ${a.length} values bit-identical`,
      ].join('\n'),
    );
    // On the CPU both builds run the same TF 2.21.0 kernels (Eigen, oneDNN) on the same input: measured
    // bit-identical.
    // The bound leaves room only for float32 reassociation (eps 6e-8 per rounding, sums over a few hundred terms).
    // On a CUDA GPU, TF runs float32 matmuls in TF32 (10-bit mantissa) by default, hence a looser bound there.
    const bound = gpu.report.gpu ? 1e-2 : 1e-6;
    expect(relRms).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeLessThanOrEqual(bound * 10 * maxRef);
  });
});
