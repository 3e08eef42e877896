/**
 * Backend selection: the one place that decides which kernels run (`tf`
 * itself comes from src/tf.ts and is re-exported here for callers that
 * choose a backend and then compute). `auto` prefers a
 * hardware GPU when one answers, then the fastest CPU backend:
 *
 *   1. native `@tensorflow/tfjs-node-gpu` when its libtensorflow sees a CUDA GPU
 *      (libtensorflow through a Node addon; see scripts/install-native.mjs);
 *   2. `webgpu`: `@tensorflow/tfjs-backend-webgpu` on Dawn (the `webgpu`
 *      package) with a hardware adapter (Vulkan, Metal or D3D12), running the
 *      project's WGSL kernels (src/webgpu/kernels.ts) where tfjs's are generic;
 *   3. native on the CPU (`@tensorflow/tfjs-node-gpu` without a GPU, else
 *      `@tensorflow/tfjs-node`);
 *   4. `@tensorflow/tfjs-backend-wasm` (XNNPACK + SIMD, single-threaded in Node);
 *   5. the pure-JavaScript `cpu` backend.
 *
 * `SAEV_BACKEND` (or the `--backend` flag, which sets the same request) forces
 * one of `native | tensorflow | webgpu | wasm | cpu`; a forced backend that
 * cannot load is an error, never a silent fallback. A software WebGPU adapter
 * (Mesa's llvmpipe) runs only when `webgpu` is asked for. The native and
 * WebGPU packages are optional dependencies: when they are missing or cannot
 * load, we fall through to wasm without breaking anything.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { firstLine } from './error-line.js';
import { setFusedKernelsEnabled } from './ops/fused-kernels.js';
import { tf } from './tf.js';
import { registerFileRouters } from './vit/file-io.js';
import {
  AdapterSummary,
  explainNoAdapter,
  getNoHardwareGpuReason,
  NO_ADAPTER,
  NO_VULKAN_DRIVER,
  NoGpuAdapterError,
  openWebGpu,
  probeHardwareAdapter,
  takeGpuError,
} from './webgpu/open-device.js';

export { tf };

const require = createRequire(import.meta.url);

export type BackendRequest = 'auto' | 'native' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'native', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/** What ran, recorded beside the shards so a reader knows which kernels produced them. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow`, `webgpu`, `wasm` or `cpu`. */
  name: string;
  /** The npm package that provides it, e.g. `@tensorflow/tfjs-node`. */
  package: string;
  /** That package's version. */
  version: string;
  /** libtensorflow's version for the native backend (e.g. `2.21.0`), else null. */
  libVersion: string | null;
  /** Whether libtensorflow runs its oneDNN kernels (numerics differ slightly); null off the native backend. */
  oneDnn: boolean | null;
  /** Whether the kernels run on a GPU (native with CUDA, or webgpu on a hardware adapter). */
  gpu: boolean;
  /** The WebGPU adapter (vendor, device, driver) on the webgpu backend, else null. */
  adapter: AdapterSummary | null;
  /**
   * On webgpu, whose kernels run attention, LayerNorm, GELU and the matmuls: the project's (src/webgpu, the
   * default) or tfjs's own (`SAEV_WEBGPU_KERNELS=generic`, slower; to rule ours out); null off webgpu.
   */
  webgpuKernels: WebGpuKernels | null;
  /** Why earlier candidates were skipped, one line each; empty when the first one loaded. */
  skipped: string[];
  /**
   * The skipped candidates that failed for a reason other than being absent here (no package, build, driver or GPU):
   * worth a line in the log.
   */
  failed: string[];
}

type Candidate = Omit<BackendInfo, 'skipped' | 'failed'>;

export type WebGpuKernels = 'project' | 'generic';

/** `SAEV_WEBGPU_KERNELS`: `project` (the default) or `generic`. */
function parseWebGpuKernels(value: string | undefined): WebGpuKernels {
  if (value === undefined || value === '' || value === 'project') return 'project';
  if (value === 'generic') return 'generic';
  throw new Error(`SAEV_WEBGPU_KERNELS must be 'project' or 'generic', found '${value}'`);
}

/** A candidate that is simply not installed here (an optional package, a native build, a driver): no news in a log. */
class NotInstalledError extends Error {}

const NATIVE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const NATIVE_CPU_PACKAGE = '@tensorflow/tfjs-node';
const WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

let active: BackendInfo | null = null;

/** Parses `SAEV_BACKEND` / `--backend`; unknown values are an error naming the choices. */
export function parseBackendRequest(value: string | undefined): BackendRequest {
  const request = (value ?? 'auto').trim().toLowerCase() || 'auto';
  if (!(BACKEND_REQUESTS as readonly string[]).includes(request)) {
    throw new Error(`backend: unknown backend '${value}' (expected one of ${BACKEND_REQUESTS.join(', ')})`);
  }
  return request as BackendRequest;
}

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/**
 * Loads the package's addon (and so libtensorflow) on its own first. Requiring
 * the package registers kernels and `file://` handlers before it even looks
 * for the addon, so a package whose addon cannot load must never be required.
 */
function checkNativeAddon(pkg: string): void {
  const packageJson = require.resolve(`${pkg}/package.json`);
  const preGyp = createRequire(packageJson)('@mapbox/node-pre-gyp') as { find(packageJsonPath: string): string };
  const addonPath = preGyp.find(packageJson);
  const build =
    pkg === NATIVE_GPU_PACKAGE
      ? "'npm run install:native -- --gpu' builds it for CUDA 12"
      : "'npm run install:native' builds it";
  if (!existsSync(addonPath)) throw new NotInstalledError(`addon not built (${build})`);
  require(addonPath);
}

/** The native package loaded in this process, if any: both register `tensorflow`, so only one may load. */
let loadedNative: Candidate | null = null;

function loadNative(pkg: string): Candidate {
  if (loadedNative) {
    if (loadedNative.package === pkg) return loadedNative;
    throw new Error(`${loadedNative.package} is already loaded in this process`);
  }
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
  // libtensorflow from the wheel leaves oneDNN off unless asked; with it on, the
  // attention matmuls of a ViT-B/16 run ~2.3x faster and the forward pass ~1.3x.
  // A user's explicit TF_ENABLE_ONEDNN_OPTS=0 still wins.
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '1';
  checkNativeAddon(pkg);
  // The package registers the `tensorflow` backend on the shared tfjs-core as a side effect.
  require(pkg);
  if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend`);
  const binding = (
    tf.findBackend('tensorflow') as unknown as { binding?: { TF_Version?: string; isUsingGpuDevice?: () => boolean } }
  ).binding;
  loadedNative = {
    name: 'tensorflow',
    package: pkg,
    version: packageVersion(pkg),
    libVersion: binding?.TF_Version ?? null,
    oneDnn: process.env.TF_ENABLE_ONEDNN_OPTS !== '0',
    gpu: binding?.isUsingGpuDevice?.() === true,
    adapter: null,
    webgpuKernels: null,
  };
  return loadedNative;
}

function activateNative(pkg: string, needGpu: boolean): Candidate {
  const info = loadNative(pkg);
  if (needGpu && !info.gpu) throw new Error('libtensorflow sees no CUDA GPU');
  if (!tf.setBackend('tensorflow')) throw new Error(`${pkg}: could not activate the 'tensorflow' backend`);
  return info;
}

/** Native on the CPU: whichever native package is already loaded (only one can be), else tfjs-node. */
function activateNativeCpu(): Candidate {
  return activateNative(loadedNative?.package ?? NATIVE_CPU_PACKAGE, false);
}

async function tryWebGpu(allowSoftware: boolean): Promise<Candidate> {
  const webgpuKernels = parseWebGpuKernels(process.env.SAEV_WEBGPU_KERNELS);
  // Checked before Dawn loads, which would print its own warnings about the missing driver.
  const reason = getNoHardwareGpuReason();
  if (reason === NO_VULKAN_DRIVER || (reason && !allowSoftware)) throw new NotInstalledError(reason);
  let backendModule: { WebGPUBackend: new (device: GPUDevice, info: GPUAdapterInfo) => tf.KernelBackend };
  try {
    // Loaded before navigator.gpu exists, so it does not register a backend of its own: ours opens the device.
    backendModule = require(WEBGPU_PACKAGE);
  } catch {
    throw new NotInstalledError(`the optional package '${WEBGPU_PACKAGE}' is not installed`);
  }
  if (!allowSoftware) {
    const noHardware = probeHardwareAdapter();
    if (noHardware === NO_ADAPTER) throw explainNoAdapter();
    if (noHardware) throw new NoGpuAdapterError(noHardware);
  }
  const opened = await openWebGpu(allowSoftware);
  tf.registerBackend('webgpu', () => new backendModule.WebGPUBackend(opened.device, opened.adapterInfo));
  if (!(await tf.setBackend('webgpu'))) throw new Error(`${WEBGPU_PACKAGE}: could not initialise the webgpu backend`);
  // tfjs splits K across workgroups with float atomic adds when a product (or a small batch's patch
  // convolution) has few output tiles: sums then depend on timing, and a shard redone on resume would
  // differ from the first run in its last bits. Below 1, no product counts as having few tiles.
  tf.env().set('WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL', 0.5);
  // Loaded here, not at the top: only the webgpu backend needs them.
  const { registerWebGpuKernels } = await import('./webgpu/kernels.js');
  registerWebGpuKernels();
  setFusedKernelsEnabled(webgpuKernels === 'project');
  return {
    name: 'webgpu',
    package: WEBGPU_PACKAGE,
    version: packageVersion(WEBGPU_PACKAGE),
    libVersion: null,
    oneDnn: null,
    gpu: !opened.summary.software,
    adapter: opened.summary,
    webgpuKernels,
  };
}

async function tryWasm(): Promise<Candidate> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  const distDir = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'dist') + path.sep;
  setWasmPaths(distDir);
  if (!(await tf.setBackend('wasm'))) throw new Error(`${pkg}: could not initialise the wasm backend`);
  return {
    name: 'wasm',
    package: pkg,
    version: packageVersion(pkg),
    libVersion: null,
    oneDnn: null,
    gpu: false,
    adapter: null,
    webgpuKernels: null,
  };
}

async function tryCpu(): Promise<Candidate> {
  if (!(await tf.setBackend('cpu'))) throw new Error('backend: could not initialise the cpu backend');
  return {
    name: 'cpu',
    package: '@tensorflow/tfjs-backend-cpu',
    version: tf.version['tfjs-backend-cpu'],
    libVersion: null,
    oneDnn: null,
    gpu: false,
    adapter: null,
    webgpuKernels: null,
  };
}

/** Candidates in order of preference for a request, each with the label its skip reason gets. */
function listCandidates(request: BackendRequest): Array<[string, () => Promise<Candidate> | Candidate]> {
  const nativeGpu: [string, () => Candidate] = [
    `${NATIVE_GPU_PACKAGE} (GPU)`,
    () => activateNative(NATIVE_GPU_PACKAGE, true),
  ];
  const nativeCpu: [string, () => Candidate] = [NATIVE_CPU_PACKAGE, activateNativeCpu];
  const webGpu = (allowSoftware: boolean): [string, () => Promise<Candidate>] => [
    'webgpu',
    () => tryWebGpu(allowSoftware),
  ];
  switch (request) {
    case 'auto':
      return [nativeGpu, webGpu(false), nativeCpu, ['wasm', tryWasm], ['cpu', tryCpu]];
    case 'native':
    case 'tensorflow':
      // tfjs-node-gpu runs on the CPU too when it finds no GPU.
      return [[NATIVE_GPU_PACKAGE, () => activateNative(NATIVE_GPU_PACKAGE, false)], nativeCpu];
    case 'webgpu':
      return [webGpu(true)];
    case 'wasm':
      return [['wasm', tryWasm]];
    case 'cpu':
      return [['cpu', tryCpu]];
  }
}

/**
 * Chooses and activates a backend once per process; later calls return the same info.
 * `request` defaults to `SAEV_BACKEND`, then `auto`.
 */
export async function initBackend(
  request: BackendRequest = parseBackendRequest(process.env.SAEV_BACKEND),
): Promise<BackendInfo> {
  if (active) {
    if (request !== 'auto' && !matches(active, request)) {
      throw new Error(`backend: '${active.name}' is already active in this process; cannot switch to '${request}'`);
    }
    return active;
  }
  const skipped: string[] = [];
  const failed: string[] = [];
  for (const [label, attempt] of listCandidates(request)) {
    try {
      const info = await attempt();
      await tf.ready();
      registerFileRouters(); // plain tf.loadLayersModel('file://...') on every backend, not only tfjs-node's
      active = { ...info, skipped, failed };
      return active;
    } catch (error) {
      skipped.push(`${label}: ${firstLine(error)}`);
      if (!(error instanceof NotInstalledError || error instanceof NoGpuAdapterError)) failed.push(skipped.at(-1)!);
    }
  }
  const other = request === 'auto' ? '' : '; --backend auto picks whichever works';
  throw new Error(`backend: could not load the '${request}' backend (${skipped.join('; ')})${other}`);
}

/**
 * The first error a GPU backend reported since the last call, or null. WebGPU reports failures as
 * events, and the results of the commands concerned are garbage: check this after reading results back
 * and before keeping them.
 */
export function takeBackendError(): string | null {
  return active?.name === 'webgpu' ? takeGpuError() : null;
}

function matches(info: BackendInfo, request: BackendRequest): boolean {
  if (request === 'native' || request === 'tensorflow') return info.name === 'tensorflow';
  return info.name === request;
}

/**
 * One line for logs, e.g. `tensorflow (@tensorflow/tfjs-node 4.22.0, libtensorflow 2.21.0, oneDNN on)` or
 * `webgpu (@tensorflow/tfjs-backend-webgpu 4.22.0, GPU nvidia hopper: NVIDIA H200, driver ...)`.
 */
export function describeBackend(info: BackendInfo): string {
  const oneDnn = info.oneDnn === null ? '' : `, oneDNN ${info.oneDnn ? 'on' : 'off'}`;
  const lib = info.libVersion ? `, libtensorflow ${info.libVersion}${oneDnn}${info.gpu ? ', CUDA GPU' : ''}` : '';
  const adapter = info.adapter
    ? `, ${info.adapter.software ? 'software adapter, runs on the CPU' : 'GPU'} ${info.adapter.vendor} ${info.adapter.architecture}: ${info.adapter.description || info.adapter.device}`
    : '';
  const generic = info.webgpuKernels === 'generic' ? ", tfjs's generic kernels (SAEV_WEBGPU_KERNELS=generic)" : '';
  return `${info.name} (${info.package} ${info.version}${lib}${adapter}${generic})`;
}
