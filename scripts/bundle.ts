/**
 * `npm run bundle -- <out.tar.xz> [--with-native]`: one archive that runs saev-tfjs on a linux-x64 (glibc)
 * machine with no Node.js, no registry and no network, e.g. an air-gapped cluster. It holds the Node.js
 * running this script, the tool compiled afresh, and the production dependencies for linux-x64
 * (scripts/bundle/closure.ts; the native TensorFlow packages are left out unless `--with-native` takes the
 * CPU one, as `npm run install:native` built it here), pruned of what Node never loads
 * (scripts/bundle/prune.ts). Unpack it anywhere and run <dir>/bin/saev. Needs the system tar and xz.
 * Progress goes to stderr; the archive's size and contents to stdout.
 *
 * Packages are copied out of the installed node_modules, each checked against the version
 * package-lock.json pins, rather than installed again by `npm ci --omit=dev` in a staging folder: that
 * would need the registry a second time, rerun every install script (the native build included) and
 * still leave other platforms' binaries to prune; the lock decides the set and the versions either way.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/version.js';
import { treeBytes, writeArchive } from './bundle/archive.js';
import { getProductionClosure, LEFT_OUT, type Lockfile } from './bundle/closure.js';
import { NATIVE_LIBRARIES } from './bundle/prune.js';
import { stageNode, stagePackages, stageTool, writeManifest } from './bundle/stage.js';

const PLATFORM = 'linux-x64';
/** What `--with-native` adds: the native CPU backend (its CUDA twin stays out: CUDA alone is gigabytes). */
const NATIVE_PACKAGE = '@tensorflow/tfjs-node';
const TARGET = { os: 'linux', cpu: 'x64', libc: 'glibc' };
const t0 = Date.now();
const say = (msg: string) => console.error(`bundle: ${msg}`);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const seconds = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function checkPlatform(): void {
  const here = `${process.platform}-${process.arch}`;
  if (here !== PLATFORM) {
    throw new Error(
      `bundle: the archive is for ${PLATFORM} and carries this Node.js, which is ${here}; run the bundler on ${PLATFORM}`,
    );
  }
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  if (!report?.header?.glibcVersionRuntime) {
    throw new Error(
      `bundle: the archive is for ${PLATFORM} with glibc, but this Node.js runs without glibc; run the bundler on a glibc system`,
    );
  }
}

/** SOURCE_DATE_EPOCH, else the last commit's time, else 0: the mtime of every archived file. */
function getMtime(): number {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%ct'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return Number(out.trim()) || 0;
  } catch {
    return 0;
  }
}

/** The top-level entries with their unpacked sizes, largest first, then the largest packages. */
function describeTree(stageDir: string): string {
  const sized = (dir: string, names: string[]) =>
    names.map((name) => [name, treeBytes(path.join(dir, name))] as const).sort((a, b) => b[1] - a[1]);
  const row = ([name, bytes]: readonly [string, number]) => `  ${mib(bytes).padStart(10)}  ${name}`;
  const nm = path.join(stageDir, 'node_modules');
  const scoped = (n: string) => (n.startsWith('@') ? fs.readdirSync(path.join(nm, n)).map((m) => `${n}/${m}`) : [n]);
  const biggest = sized(nm, fs.readdirSync(nm).flatMap(scoped)).slice(0, 6);
  const lines = [...sized(stageDir, fs.readdirSync(stageDir)).map(row), '  largest packages:'];
  return [...lines, ...biggest.map(([n, b]) => row([`node_modules/${n}`, b]))].join('\n');
}

const USAGE = 'npm run bundle -- saev-tfjs-linux-x64.tar.xz [--with-native]';

/** `--with-native`: the installed native CPU backend must be complete, since the bundler cannot build it. */
function checkNativeInstalled(): void {
  const dir = path.join(PACKAGE_ROOT, 'node_modules', NATIVE_PACKAGE);
  const libDir = path.join(dir, 'lib');
  const addons = fs.existsSync(libDir)
    ? fs.readdirSync(libDir).filter((d) => fs.existsSync(path.join(libDir, d, 'tfjs_binding.node')))
    : [];
  const missing = [
    ...(addons.length ? [] : ['lib/napi-v<N>/tfjs_binding.node']),
    ...NATIVE_LIBRARIES.filter((f) => !fs.existsSync(path.join(dir, f))),
  ];
  if (missing.length) {
    throw new Error(
      `bundle: --with-native needs the native backend built here, but ${NATIVE_PACKAGE} lacks ${missing.join(', ')}; run npm run install:native first`,
    );
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { 'with-native': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new Error(`bundle: expected one archive path, e.g. ${USAGE}`);
  const include = values['with-native'] ? [NATIVE_PACKAGE] : [];
  if (values['with-native']) checkNativeInstalled();
  const outPath = path.resolve(positionals[0]);
  const outDir = path.dirname(outPath);
  if (!fs.existsSync(outDir)) throw new Error(`bundle: the folder ${outDir} does not exist; create it first`);
  checkPlatform();
  const lock = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const closure = getProductionClosure(lock, TARGET, include);
  const leftOut = Object.fromEntries(Object.entries(LEFT_OUT).filter(([name]) => !include.includes(name)));
  const stageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'saev-bundle-'));
  try {
    say(`compiling the tool into ${stageDir}, with ${closure.length} packages for ${PLATFORM}`);
    const packageJson = stageTool(PACKAGE_ROOT, stageDir);
    stagePackages(PACKAGE_ROOT, stageDir, closure, PLATFORM);
    const node = stageNode(stageDir);
    if (!node.licence) say(`warning: no LICENSE found near ${node.execPath}; the bundle carries none for Node.js`);
    writeManifest(stageDir, packageJson, closure, PLATFORM, leftOut);
    fs.chmodSync(stageDir, 0o755); // the archive's ./ entry; mkdtemp's 0700 would lock others out of a shared install
    const unpacked = treeBytes(stageDir);
    say(`staged ${mib(unpacked)} in ${seconds()}; compressing (xz -6)`);
    const bytes = await writeArchive(stageDir, outPath, getMtime());
    console.log(
      `${outPath}: ${bytes} bytes (${mib(bytes)}), ${unpacked} bytes (${mib(unpacked)}) unpacked, built in ${seconds()}`,
    );
    const tool = `${packageJson.name} ${packageJson.version}`;
    console.log(
      `holds Node.js ${node.version} (${node.execPath}), ${tool} and ${closure.length} packages for ${PLATFORM}:`,
    );
    console.log(describeTree(stageDir));
    console.log(`left out: ${Object.keys(leftOut).join(', ')} (see bundle.json)`);
    console.log(`use: mkdir saev && tar -xJf ${path.basename(outPath)} -C saev && saev/bin/saev activations extract`);
  } finally {
    fs.rmSync(stageDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(message.startsWith('bundle: ') ? message : `bundle: ${error instanceof Error ? error.stack : message}`);
  process.exit(1);
});
