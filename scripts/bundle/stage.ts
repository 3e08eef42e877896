/**
 * The offline bundle's tree before it is archived:
 *   node/bin/node, node/LICENSE   the Node.js runtime running the bundler, and its licence
 *   bin/saev                      the launcher (scripts/bundle/launcher.sh)
 *   bin/ dist/ src/demo ...       the tool: package.json "files", dist/ compiled afresh (no maps, no .d.ts)
 *   scripts/bench/*.py            the Python halves of the benchmarks (dist/scripts/bench runs them)
 *   package.json, bundle.json     the tool's manifest; what the bundle holds and leaves out
 *   node_modules/...              the production closure (closure.ts), pruned (prune.ts)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type BundledPackage } from './closure.js';
import { keepPackageFile } from './prune.js';

interface PackageJson {
  name: string;
  version: string;
  main?: string;
  files?: string[];
}

const readJson = <T>(p: string) => JSON.parse(fs.readFileSync(p, 'utf8')) as T;

/** Every file under `dir`, as POSIX paths relative to it, sorted; `skipDir(relDir)` prunes folders. */
export function listFiles(dir: string, skipDir: (relDir: string) => boolean = () => false, rel = ''): string[] {
  const out: string[] = [];
  const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    if (!entry.isDirectory()) out.push(relPath);
    else if (!skipDir(relPath)) out.push(...listFiles(dir, skipDir, relPath));
  }
  return out;
}

function copyFile(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to); // libuv copies the mode too: executables stay executable
}

/**
 * The tool: package.json "files" (dist/ compiled into the stage by tsc), the benchmarks' Python, package.json,
 * bin/saev.
 */
export function stageTool(rootDir: string, stageDir: string): PackageJson {
  const packageJson = readJson<PackageJson>(path.join(rootDir, 'package.json'));
  // A fresh outDir, so nothing stale from an earlier build of ./dist travels.
  const tsc = createRequire(path.join(rootDir, 'package.json')).resolve('typescript/bin/tsc');
  const args = [
    tsc,
    '-p',
    'tsconfig.build.json',
    '--outDir',
    path.join(stageDir, 'dist'),
    '--sourceMap',
    'false',
    '--declaration',
    'false',
  ];
  const r = spawnSync(process.execPath, args, { cwd: rootDir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0)
    throw new Error(`bundle: tsc -p tsconfig.build.json failed (exit ${r.status}); fix the build first`);
  for (const entry of packageJson.files ?? []) {
    if (entry === 'dist') continue;
    const from = path.join(rootDir, entry);
    if (!fs.existsSync(from)) throw new Error(`bundle: package.json "files" lists ${entry}, which does not exist`);
    const files = fs.statSync(from).isDirectory() ? listFiles(from).map((f) => `${entry}/${f}`) : [entry];
    for (const f of files) copyFile(path.join(rootDir, f), path.join(stageDir, f));
  }
  // The Python sides (PyTorch, Pillow) that the compiled benchmarks in dist/scripts/bench run from
  // scripts/bench/, so scripts/gpu/run-from-bundle.sh can benchmark from the bundle on a GPU machine.
  const benchDir = path.join(rootDir, 'scripts', 'bench');
  for (const f of listFiles(benchDir).filter((name) => name.endsWith('.py'))) {
    copyFile(path.join(benchDir, f), path.join(stageDir, 'scripts', 'bench', f));
  }
  copyFile(path.join(rootDir, 'package.json'), path.join(stageDir, 'package.json'));
  copyFile(path.join(rootDir, 'scripts', 'bundle', 'launcher.sh'), path.join(stageDir, 'bin', 'saev'));
  fs.chmodSync(path.join(stageDir, 'bin', 'saev'), 0o755);
  return packageJson;
}

/** Copies each closure package out of the installed node_modules, pruned; refuses one the lock does not pin. */
export function stagePackages(rootDir: string, stageDir: string, closure: BundledPackage[], platform: string) {
  for (const { key, name, version } of closure) {
    const from = path.join(rootDir, key);
    const jsonPath = path.join(from, 'package.json');
    if (!fs.existsSync(jsonPath))
      throw new Error(`bundle: ${key} is in package-lock.json but not installed; run npm ci`);
    const packageJson = readJson<PackageJson>(jsonPath);
    if (packageJson.version !== version) {
      throw new Error(`bundle: ${key} is ${packageJson.version} but package-lock.json pins ${version}; run npm ci`);
    }
    // A nested node_modules holds packages of their own: in the closure, or not needed at all.
    const files = listFiles(from, (relDir) => relDir === 'node_modules' || relDir.endsWith('/node_modules'));
    for (const f of files) {
      if (!keepPackageFile(name, f, packageJson.main, platform)) continue;
      copyFile(path.join(from, f), path.join(stageDir, key, f));
    }
  }
}

/** Node.js's licence near its binary: the official tarball's layout, then Debian's and NodeSource's. */
function findNodeLicence(execPath: string): string | null {
  const prefix = path.resolve(path.dirname(execPath), '..');
  const candidates = [path.join(prefix, 'LICENSE'), path.join(prefix, 'share', 'doc', 'nodejs', 'LICENSE')];
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/** The runtime: this process's own node binary, so the bundle runs what built and tested it. */
export function stageNode(stageDir: string): { execPath: string; version: string; licence: string | null } {
  const execPath = fs.realpathSync(process.execPath);
  const nodePath = path.join(stageDir, 'node', 'bin', 'node');
  copyFile(execPath, nodePath);
  fs.chmodSync(nodePath, 0o755);
  const licence = findNodeLicence(execPath);
  if (licence) copyFile(licence, path.join(stageDir, 'node', 'LICENSE'));
  return { execPath, version: process.version, licence };
}

/** bundle.json: the tool, the runtime, every package with its version, and what was left out. */
export function writeManifest(
  stageDir: string,
  packageJson: PackageJson,
  closure: BundledPackage[],
  platform: string,
  leftOut: Readonly<Record<string, string>>,
) {
  const manifest = {
    name: packageJson.name,
    version: packageJson.version,
    platform,
    node: process.version,
    packages: Object.fromEntries(closure.map((p) => [p.key.replace(/^node_modules\//, ''), p.version])),
    leftOut,
  };
  fs.writeFileSync(path.join(stageDir, 'bundle.json'), JSON.stringify(manifest, null, 2) + '\n');
}
