/**
 * Which packages the offline bundle holds: the production dependency closure of package.json, read
 * from package-lock.json (so every version is the lock's), for one target platform, minus the
 * packages left out on purpose and those that hold only TypeScript declarations.
 *
 * The lock, not `npm ls`: it is a file (no npm needed, the same answer on every machine), and it
 * records each package's os/cpu/libc, which tells the linux-x64 glibc packages from the others.
 * Edges are followed as Node resolves them: from a package's own nested node_modules up to the root.
 */

/** One entry of package-lock.json's `packages` map (lockfileVersion 2 and 3). */
export interface LockEntry {
  name?: string;
  version?: string;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface Lockfile {
  lockfileVersion: number;
  packages?: Record<string, LockEntry>;
}

/** The platform as the lock spells it: `{ os: 'linux', cpu: 'x64', libc: 'glibc' }`. */
export interface Target {
  os: string;
  cpu: string;
  libc: string;
}

export interface BundledPackage {
  /** The lock's path, e.g. `node_modules/tinyglobby/node_modules/fdir`; also where it sits in the bundle. */
  key: string;
  name: string;
  version: string;
}

/** Packages left out, with everything only they need, and why. */
export const LEFT_OUT: Readonly<Record<string, string>> = Object.freeze({
  '@tensorflow/tfjs-node': 'native TensorFlow backend: libtensorflow is ~800 MB; the bundle runs on wasm',
  '@tensorflow/tfjs-node-gpu': 'native TensorFlow backend for CUDA: libtensorflow GPU plus CUDA',
});

/** TypeScript declarations only: Node never loads them. */
const isTypesOnly = (name: string) => name.startsWith('@types/') || name === '@webgpu/types';

/** Where Node would find `name` from the package at `fromKey` ('' is the root), or null. */
function resolveKey(packages: Record<string, LockEntry>, fromKey: string, name: string): string | null {
  let dir = fromKey;
  for (;;) {
    const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return null;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up < 0 ? '' : dir.slice(0, up);
  }
}

/** Whether an os/cpu/libc list admits `value` (npm's rules: `!x` denies x, any plain entry must match). */
function admits(list: string[] | undefined, value: string): boolean {
  if (!list) return true;
  const deny = list.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
  const allow = list.filter((v) => !v.startsWith('!'));
  return !deny.includes(value) && (allow.length === 0 || allow.includes(value));
}

const fitsTarget = (entry: LockEntry, t: Target) =>
  admits(entry.os, t.os) && admits(entry.cpu, t.cpu) && admits(entry.libc, t.libc);

/**
 * The production closure for `target`, sorted by key; `include` names packages of `LEFT_OUT` to take after all
 * (`--with-native`). Throws on a required package the lock lacks.
 */
export function getProductionClosure(
  lock: Lockfile,
  target: Target,
  include: readonly string[] = [],
): BundledPackage[] {
  const packages = lock.packages ?? {};
  const root = packages[''];
  if (!root) {
    throw new Error(
      `bundle: package-lock.json (lockfileVersion ${lock.lockfileVersion}) has no 'packages' map; npm 7+ writes one`,
    );
  }
  const found = new Map<string, BundledPackage>();
  const visit = (fromKey: string, name: string, optional: boolean): void => {
    if ((LEFT_OUT[name] && !include.includes(name)) || isTypesOnly(name)) return;
    const key = resolveKey(packages, fromKey, name);
    if (!key) {
      if (optional) return;
      const by = fromKey || 'the root package';
      throw new Error(`bundle: package-lock.json has no ${name} (needed by ${by}); run npm install`);
    }
    const entry = packages[key];
    if (found.has(key) || !fitsTarget(entry, target)) return;
    found.set(key, { key, name, version: entry.version ?? '' });
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(key, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(key, dep, true);
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      visit(key, dep, entry.peerDependenciesMeta?.[dep]?.optional === true);
    }
  };
  // The root's `dependencies` in the lock include its optional ones; those may be missing.
  for (const dep of Object.keys(root.dependencies ?? {})) visit('', dep, dep in (root.optionalDependencies ?? {}));
  for (const dep of Object.keys(root.optionalDependencies ?? {})) visit('', dep, true);
  return [...found.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
