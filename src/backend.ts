/**
 * Backend selection: the one module that imports TensorFlow.js.
 *
 * Every other module takes `tf` from here, so there is exactly one tfjs-core
 * instance and one place that decides which kernels run. The order is:
 *
 *   1. native `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`
 *      (libtensorflow through a Node addon; see scripts/install-native.mjs);
 *   2. `@tensorflow/tfjs-backend-wasm` (XNNPACK + SIMD, single-threaded in Node);
 *   3. the pure-JavaScript `cpu` backend.
 *
 * `SAEV_BACKEND` (or the `--backend` flag, which sets the same request) forces
 * one of `native | tensorflow | wasm | cpu`; a forced backend that cannot load
 * is an error, never a silent fallback. The native packages are optional
 * dependencies: when they are missing or their addon cannot load, we fall
 * through to wasm without breaking anything.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { firstLine } from './error-line.js';
import { registerFileRouters } from './vit/file-io.js';

export { tf };

const require = createRequire(import.meta.url);

export type BackendRequest = 'auto' | 'native' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'native', 'tensorflow', 'wasm', 'cpu'];

/** What ran, recorded beside the shards so a reader knows which kernels produced them. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  /** The npm package that provides it, e.g. `@tensorflow/tfjs-node`. */
  package: string;
  /** That package's version. */
  version: string;
  /** libtensorflow's version for the native backend (e.g. `2.21.0`), else null. */
  libVersion: string | null;
  /** Whether libtensorflow runs its oneDNN kernels (numerics differ slightly); null off the native backend. */
  oneDnn: boolean | null;
  /** Why earlier candidates were skipped, one line each; empty when the first one loaded. */
  skipped: string[];
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

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
  if (!existsSync(addonPath)) throw new Error(`addon not built (${addonPath}); run 'npm run install:native'`);
  require(addonPath);
}

function tryNative(pkg: string): BackendInfo {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
  // libtensorflow from the wheel leaves oneDNN off unless asked; with it on, the
  // attention matmuls of a ViT-B/16 run ~2.3x faster and the forward pass ~1.3x
  // (issue 7's note). A user's explicit TF_ENABLE_ONEDNN_OPTS=0 still wins.
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '1';
  checkNativeAddon(pkg);
  // The package registers the `tensorflow` backend on the shared tfjs-core as a side effect.
  require(pkg);
  if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend`);
  if (!tf.setBackend('tensorflow')) throw new Error(`${pkg}: could not activate the 'tensorflow' backend`);
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  return { name: 'tensorflow', package: pkg, version: packageVersion(pkg), libVersion: binding?.TF_Version ?? null, oneDnn: process.env.TF_ENABLE_ONEDNN_OPTS !== '0', skipped: [] };
}

async function tryWasm(): Promise<BackendInfo> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  const distDir = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'dist') + path.sep;
  setWasmPaths(distDir);
  if (!(await tf.setBackend('wasm'))) throw new Error(`${pkg}: could not initialise the wasm backend`);
  return { name: 'wasm', package: pkg, version: packageVersion(pkg), libVersion: null, oneDnn: null, skipped: [] };
}

async function tryCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Error('backend: could not initialise the cpu backend');
  return { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', version: tf.version['tfjs-backend-cpu'], libVersion: null, oneDnn: null, skipped: [] };
}

/**
 * Chooses and activates a backend once per process; later calls return the same info.
 * `request` defaults to `SAEV_BACKEND`, then `auto`.
 */
export async function initBackend(request: BackendRequest = parseBackendRequest(process.env.SAEV_BACKEND)): Promise<BackendInfo> {
  if (active) {
    if (request !== 'auto' && !matches(active, request)) {
      throw new Error(`backend: '${active.name}' is already active in this process; cannot switch to '${request}'`);
    }
    return active;
  }
  const skipped: string[] = [];
  const candidates: Array<[string, () => Promise<BackendInfo> | BackendInfo]> = [];
  if (request === 'auto' || request === 'native' || request === 'tensorflow') {
    for (const pkg of NATIVE_PACKAGES) candidates.push([pkg, () => tryNative(pkg)]);
  }
  if (request === 'auto' || request === 'wasm') candidates.push(['wasm', tryWasm]);
  if (request === 'auto' || request === 'cpu') candidates.push(['cpu', tryCpu]);

  for (const [label, attempt] of candidates) {
    try {
      const info = await attempt();
      await tf.ready();
      registerFileRouters(); // plain tf.loadLayersModel('file://...') on every backend, not only tfjs-node's
      active = { ...info, skipped };
      return active;
    } catch (error) {
      skipped.push(`${label}: ${firstLine(error)}`);
    }
  }
  throw new Error(`backend: could not load the '${request}' backend (${skipped.join('; ')})`);
}

function matches(info: BackendInfo, request: BackendRequest): boolean {
  if (request === 'native' || request === 'tensorflow') return info.name === 'tensorflow';
  return info.name === request;
}

/** One line for logs, e.g. `tensorflow (@tensorflow/tfjs-node 4.22.0, libtensorflow 2.21.0)`. */
export function describeBackend(info: BackendInfo): string {
  const oneDnn = info.oneDnn === null ? '' : `, oneDNN ${info.oneDnn ? 'on' : 'off'}`;
  const lib = info.libVersion ? `, libtensorflow ${info.libVersion}${oneDnn}` : '';
  return `${info.name} (${info.package} ${info.version}${lib})`;
}
