/**
 * Opening a WebGPU device in Node through Dawn (the optional `webgpu`
 * package): finding an adapter, telling a hardware GPU from a software one
 * (Mesa's llvmpipe, SwiftShader), and asking for the device with the
 * adapter's largest buffers and the features our kernels can use.
 *
 * tfjs's webgpu backend looks for `navigator.gpu` and the WebGPU constants
 * (`GPUBufferUsage`, ...) on the global object; `openWebGpu` puts them there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeMissingVulkanLibraries, getLibraryDirs } from './vulkan-libraries.js';

/** What the log and `saev-tfjs.json` record of the adapter. */
export interface AdapterSummary {
  /** e.g. `nvidia`, `mesa`. */
  vendor: string;
  /** e.g. `hopper`, `software`. */
  architecture: string;
  device: string;
  /** Dawn's description: the device and driver, e.g. `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)`. */
  description: string;
  /** A CPU implementation of WebGPU rather than a GPU. */
  software: boolean;
  /** Optional features the device was opened with (`shader-f16`, `subgroups`, `timestamp-query`). */
  features: string[];
  /** The largest storage buffer one kernel may bind, in bytes (bounds the batch size). */
  maxStorageBufferBindingSize: number;
}

export interface OpenedWebGpu {
  device: GPUDevice;
  adapterInfo: GPUAdapterInfo;
  summary: AdapterSummary;
}

/**
 * The first error the device reported since `takeGpuError` last looked. WebGPU reports failures (a
 * binding over the adapter's limit, out of memory, a lost device) as events, not exceptions: the
 * commands concerned do nothing and their outputs hold whatever the buffers held. Whoever reads
 * results back must look here before trusting them.
 */
let pendingError: string | null = null;

export function takeGpuError(): string | null {
  const error = pendingError;
  pendingError = null;
  return error;
}

function watchForErrors(device: GPUDevice): void {
  const record = (message: string) => {
    pendingError ??= message.split('\n')[0];
  };
  device.addEventListener('uncapturederror', (event) => record((event as GPUUncapturedErrorEvent).error.message));
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') record(`the GPU device was lost (${info.message || info.reason})`);
  });
}

/** No adapter, or only a software one where a GPU was asked for: nothing broken, just no GPU here. */
export class NoGpuAdapterError extends Error {}

/** Optional features requested when the adapter has them. */
const WANTED_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups'] as const;

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Turns a missing optional package into a one-line reason. */
async function importDawn(): Promise<DawnModule> {
  try {
    const specifier = 'webgpu'; // optional: resolved at run time only
    return (await import(specifier)) as DawnModule;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error("the optional package 'webgpu' is not installed (npm install webgpu@0.6.2)", { cause: error });
    }
    throw error;
  }
}

/** What `isSoftware` reads of an adapter's info (also what the probe's child process sends back). */
type AdapterIdentity = Pick<GPUAdapterInfo, 'architecture' | 'device' | 'description'> & {
  isFallbackAdapter?: boolean;
};

export const NO_ADAPTER = 'no WebGPU adapter: Dawn found no Vulkan, Metal or D3D12 device';
const describeSoftwareAdapter = (info: AdapterIdentity) =>
  `only a software adapter (${info.description || info.device}); it runs on the CPU, so it is used only when asked for`;

function isSoftware(info: AdapterIdentity): boolean {
  const flagged = info.isFallbackAdapter === true;
  return (
    flagged ||
    info.architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader/i.test(`${info.device} ${info.description}`)
  );
}

/** Makes `navigator.gpu` and the WebGPU constants visible to tfjs (Node 20 has no `navigator`). */
function exposeGlobals(gpu: GPU, globals: Record<string, unknown>): void {
  Object.assign(globalThis, globals);
  const holder = globalThis as { navigator?: object };
  if (holder.navigator) Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
}

/**
 * Opens the high-performance adapter. Refuses a software adapter unless
 * `allowSoftware`; either refusal is one line for `initBackend` to report.
 */
export async function openWebGpu(allowSoftware: boolean): Promise<OpenedWebGpu> {
  const dawn = await importDawn();
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw explainNoAdapter();
  const info = adapter.info;
  const software = isSoftware(info);
  if (software && !allowSoftware) throw new NoGpuAdapterError(describeSoftwareAdapter(info));
  const limits = adapter.limits;
  const features = WANTED_FEATURES.filter((name) => adapter.features.has(name));
  const device = await adapter
    .requestDevice({
      requiredFeatures: features as GPUFeatureName[],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    })
    .catch((error: unknown) => {
      throw new Error(
        `cannot open a device on ${info.description || info.device} (${String((error as Error)?.message ?? error).split('\n')[0]})`,
      );
    });
  watchForErrors(device);
  exposeGlobals(gpu, dawn.globals);
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software,
    features: [...features],
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
  };
  return { device, adapterInfo: info, summary };
}

export const NO_VULKAN_DRIVER = "no Vulkan driver installed (a GPU's, or Mesa's llvmpipe for a CPU adapter)";

/** Vulkan driver manifests the loader would read (Linux), from the variables that override the search first. */
function listVulkanDrivers(env: NodeJS.ProcessEnv): string[] {
  const fromEnv = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES ?? '').split(':').filter(Boolean);
  if (fromEnv.length) return fromEnv.filter((file) => existsSync(file));
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const dirs = ['/etc/vulkan/icd.d', ...dataDirs.map((dir) => path.join(dir, 'vulkan', 'icd.d'))];
  return dirs.flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => path.join(dir, f))
      : [],
  );
}

function isSoftwareDriver(manifest: string): boolean {
  if (/lvp|lavapipe|swiftshader/i.test(path.basename(manifest))) return true;
  try {
    return /libvulkan_lvp|swiftshader/i.test(readFileSync(manifest, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Why `auto` should not even load Dawn here, or null when a hardware GPU may
 * answer. On Linux a GPU needs a Vulkan driver manifest that is not a
 * software rasteriser; checking first keeps Dawn's start-up warnings out of
 * the log of every CPU-only run. Other platforms (Metal, D3D12) are probed.
 */
export function getNoHardwareGpuReason(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string | null {
  if (platform !== 'linux') return null;
  const drivers = listVulkanDrivers(env);
  if (drivers.length === 0) return NO_VULKAN_DRIVER;
  if (drivers.every(isSoftwareDriver))
    return 'only a software Vulkan driver (llvmpipe); use --backend webgpu to run on it';
  return null;
}

/**
 * Why Dawn found no adapter. Where a Vulkan driver is installed but a library it needs is not on the
 * library path (the Vulkan loader, NVIDIA's libglvnd dependencies), that is said, with its package, as a
 * plain error: a GPU left unused is worth a log line even under `auto`. Otherwise the quiet NO_ADAPTER.
 */
export function explainNoAdapter(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
  libraryDirs = getLibraryDirs(env),
): Error {
  const missing = platform === 'linux' ? describeMissingVulkanLibraries(listVulkanDrivers(env), libraryDirs) : null;
  return missing ? new Error(`no WebGPU adapter: ${missing}`) : new NoGpuAdapterError(NO_ADAPTER);
}

/** The probe a child process runs: the high-performance adapter's identity (or null), as JSON on stdout. */
const PROBE = (dawnUrl: string) => `
const { create } = await import(${JSON.stringify(dawnUrl)});
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = adapter?.info;
console.log(JSON.stringify(i ? { architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter } : null));
`;

/**
 * For `auto`: whether Dawn finds a hardware adapter, asked in a child process so that the warnings Dawn
 * prints about the adapters it looks at (e.g. llvmpipe's limits) stay out of this process's log. Null
 * when a hardware adapter answers, else why not. About 0.2 s, and only where a Vulkan driver exists.
 */
export function probeHardwareAdapter(): string | null {
  // Resolved here: the child's bare specifiers would resolve from the working directory, not the package.
  const dawnUrl = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE(dawnUrl)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const line = r.status === 0 ? r.stdout.trim().split('\n').pop() : undefined;
  if (!line) return `the WebGPU probe failed (${r.error?.message ?? `exit ${r.status}`})`;
  const found = JSON.parse(line) as AdapterIdentity | null;
  if (!found) return NO_ADAPTER;
  return isSoftware(found) ? describeSoftwareAdapter(found) : null;
}
