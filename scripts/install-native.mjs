// scripts/install-native.mjs owns the native TensorFlow backend install: making
// `require('@tensorflow/tfjs-node')` load. It writes only node_modules/@tensorflow/tfjs-node/
// {deps,lib,build,build-tmp-napi-v8}, a cache outside the repo ($SAEV_CACHE/native, else
// ~/.cache/saev/native) and a log in the temp dir. Idempotent, Node built-ins only, run it before
// `npm run build`. Background: shared/reference/native-backend.md.
//   0. The addon already loads: say so, exit 0.
//   A. The C API inside the PyPI wheel tensorflow-cpu==2.21.0 (fetched with pip), staged as
//      deps/{include,lib} symlinks, then `node-pre-gyp install --build-from-source` against the
//      local Node headers (--nodedir, so node-gyp never tries to download them).
//   B. tfjs-node's own install script (libtensorflow 2.9.1 from storage.googleapis.com), time-bounded.
// Nothing works: one line saying saev will use wasm, exit 0 (exit 1 only with --strict, for CI).
// GPU: @tensorflow/tfjs-node-gpu is left alone. Its install script wants libtensorflow 2.9.1 GPU with
// CUDA 11.2 + cuDNN 8.1 and ignores a pre-staged deps/ (it passes `download`). The modern route would
// be the CUDA wheel tensorflow==2.21.0 plus its nvidia-*-cu12 wheels, the same deps/ staging, and
// `node-pre-gyp install --build-from-source` in the tfjs-node-gpu folder; untested (no GPU here).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const TF_WHEEL = 'tensorflow-cpu==2.21.0';
const WHEEL_PREFIX = 'tensorflow_cpu-2.21.0-';
const ROUTE_B_TIMEOUT_MS = Number(process.env.SAEV_NATIVE_TIMEOUT_MS) || 5 * 60_000;
const STRICT = process.argv.includes('--strict');
const PYTHON = process.env.PYTHON || 'python3';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LOG = path.join(os.tmpdir(), 'saev-install-native.log');
const t0 = Date.now();

const say = (msg) => console.error(`native: ${msg}`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
class NativeError extends Error {}
const fail = (msg) => { throw new NativeError(msg); };

/** Loads tfjs-node in a fresh node process; returns { version } or { reason }. */
function checkAddonLoads() {
  const code = "const tf=require('@tensorflow/tfjs-node');console.log(tf.backend().binding.TF_Version)";
  const r = spawnSync(process.execPath, ['-e', code],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  const version = r.status === 0 ? r.stdout.trim().split('\n').pop() : '';
  if (version) return { version };
  const lines = `${r.stderr ?? ''}`.split('\n');
  const why = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.find((l) => /error|cannot/i.test(l)) ?? `exit ${r.status}`;
  return { reason: why.trim().replace(/\s+at path:.*/, '').slice(0, 140) };
}

/** Runs a command, output appended to LOG; on timeout kills its whole process group. */
function run(cmd, args, { cwd = ROOT, env = process.env, timeoutMs = 0 } = {}) {
  return new Promise((resolve) => {
    const fd = fs.openSync(LOG, 'a');
    const start = fs.fstatSync(fd).size;
    fs.writeSync(fd, `\n$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd], detached: timeoutMs > 0 });
    let done = false, timedOut = false;
    const killGroup = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} };
    const onSigint = () => { killGroup(); process.exit(130); };
    const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; killGroup(); }, timeoutMs) : null;
    if (timeoutMs > 0) process.once('SIGINT', onSigint);
    const finish = (ok, error) => {
      if (done) return;
      done = true; clearTimeout(timer); process.off('SIGINT', onSigint); fs.closeSync(fd);
      resolve({ ok, error: ok ? '' : timedOut ? 'timed out' : firstErrorLine(start) ?? error });
    };
    child.on('error', (e) => finish(false, e.code === 'ENOENT' ? `${cmd} not found` : e.message));
    child.on('exit', (code) => finish(code === 0, `exit ${code}`));
  });
}

/** The first telling error line LOG gained since byte `start`. */
function firstErrorLine(start) {
  const lines = fs.readFileSync(LOG).subarray(start).toString().split('\n');
  const line = lines.find((l) => /(^|\s)(\w*Error: |error: |ERROR: )/.test(l) && !/ERR! stack/.test(l));
  return line?.replace(/^.*?(\w*Error: |error: |ERROR: )/, '$1').trim().slice(0, 140);
}

function cacheDir() {
  const dir = process.env.SAEV_CACHE ? path.resolve(process.env.SAEV_CACHE, 'native')
    : path.join(os.homedir(), '.cache', 'saev', 'native');
  if (!path.relative(ROOT, dir).startsWith('..')) fail(`cache dir ${dir} is inside the repo; point SAEV_CACHE elsewhere`);
  try { mkdirp(dir); } catch (e) { fail(`cannot create cache dir ${dir} (${e.code})`); }
  return dir;
}

/** mkdir -p by hand: fs.mkdirSync({ recursive: true }) spins forever under /proc on Node 20. */
function mkdirp(dir) {
  if (fs.existsSync(dir)) return;
  mkdirp(path.dirname(dir));
  fs.mkdirSync(dir);
}

/** TensorFlow's x86 builds (the 2.21 wheel and libtensorflow 2.9.1 alike) need AVX. */
function checkAvx() {
  if (process.platform !== 'linux' || process.arch !== 'x64' || !fs.existsSync('/proc/cpuinfo')) return;
  if (!/\bavx\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'))) fail('this CPU has no AVX, which TensorFlow needs');
}

/** node-gyp needs python3, make and a C++ compiler; pip needs python3 too. */
function checkBuildTools() {
  for (const cmd of [PYTHON, 'make', 'c++']) {
    if (spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`${cmd} not found (needed to build the binding)`);
  }
}

/** Node headers for node-gyp: <prefix>/include/node if it matches this node, else node-gyp's own cache. */
function nodeHeadersDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  try {
    const h = fs.readFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => h.match(new RegExp(`define NODE_${k}_VERSION (\\d+)`))[1]);
    if (`v${v.join('.')}` === process.version) return prefix;
  } catch {}
  const cached = path.join(os.homedir(), '.cache', 'node-gyp', process.version.slice(1));
  if (fs.existsSync(path.join(cached, 'include', 'node', 'common.gypi'))) return cached;
  say(`no local headers for node ${process.version}; node-gyp will try to download them`);
}

/** Env for node-pre-gyp/node-gyp: local headers, npm's bundled node-gyp, node_modules/.bin on PATH. */
function buildEnv(pkgDir) {
  const bins = [path.join(ROOT, 'node_modules', '.bin'), path.join(pkgDir, 'node_modules', '.bin')];
  const env = { ...process.env, PATH: [...bins, process.env.PATH].join(path.delimiter) };
  const nodedir = nodeHeadersDir();
  if (nodedir) env.npm_config_nodedir = nodedir;
  const gyp = path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  if (!env.npm_config_node_gyp && fs.existsSync(gyp)) env.npm_config_node_gyp = gyp;
  return env;
}

async function fetchWheel(dir, times) {
  const find = () => fs.readdirSync(dir).find((f) => f.startsWith(WHEEL_PREFIX) && f.endsWith('.whl'));
  if (!find()) {
    say(`downloading the ${TF_WHEEL} wheel (~274 MB) with pip into ${dir}`);
    const t = Date.now();
    const r = await run(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', TF_WHEEL, '-d', dir]);
    times.download = Date.now() - t;
    if (!r.ok || !find()) fail(`pip download ${TF_WHEEL} failed (${r.error}; see ${LOG})`);
  }
  return path.join(dir, find());
}

const EXTRACT_PY = `
import sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
libs = ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2')
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n in libs or (n.startswith('tensorflow/include/') and not n.endswith('/'))]
    if any(l not in names for l in libs): sys.exit('ERROR: the wheel lacks ' + ' or '.join(libs))
    z.extractall(dest, names)
`;

/** Extracts the two libraries and the headers once; returns the extracted tensorflow/ dir. */
async function extractWheel(wheel, dir, times) {
  const out = path.join(dir, path.basename(wheel, '.whl')), tmp = `${out}.tmp`;
  if (fs.existsSync(path.join(out, '.complete'))) return path.join(out, 'tensorflow');
  fs.rmSync(tmp, { recursive: true, force: true });
  const t = Date.now();
  const r = await run(PYTHON, ['-c', EXTRACT_PY, wheel, tmp]);
  if (!r.ok) {
    fs.rmSync(wheel, { force: true }); // a damaged wheel is fetched again next time
    fail(`extracting ${path.basename(wheel)} failed (${r.error}; see ${LOG})`);
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(tmp, out);
  fs.writeFileSync(path.join(out, '.complete'), `${new Date().toISOString()}\n`);
  times.extract = Date.now() - t;
  return path.join(out, 'tensorflow');
}

/** deps/include -> headers; deps/lib: the SONAMEs plus the names binding.gyp and install.js expect. */
function stageDeps(pkgDir, tfDir) {
  const deps = path.join(pkgDir, 'deps'), lib = path.join(deps, 'lib');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(lib, { recursive: true });
  fs.symlinkSync(path.join(tfDir, 'include'), path.join(deps, 'include'));
  const cc = 'libtensorflow_cc.so.2', fw = 'libtensorflow_framework.so.2';
  const links = { [cc]: path.join(tfDir, cc), [fw]: path.join(tfDir, fw),
    'libtensorflow.so': cc, 'libtensorflow.so.2': cc, 'libtensorflow.so.2.9.1': cc,
    'libtensorflow_framework.so': fw, 'libtensorflow_framework.so.2.9.1': fw };
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(lib, name));
}

async function routeWheel(pkgDir, times) {
  const { platform, arch } = process;
  if (platform !== 'linux' || arch !== 'x64') fail(`the wheel route is for linux x64, not ${platform} ${arch}`);
  checkAvx();
  checkBuildTools();
  const dir = cacheDir();
  const tfDir = await extractWheel(await fetchWheel(dir, times), dir, times);
  stageDeps(pkgDir, tfDir);
  say('building tfjs_binding.node from source (~15-25 s)');
  const preGyp = createRequire(path.join(pkgDir, 'package.json')).resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp');
  const t = Date.now();
  const r = await run(process.execPath, [preGyp, 'install', '--build-from-source'], { cwd: pkgDir, env: buildEnv(pkgDir) });
  times.build = Date.now() - t;
  if (!r.ok) fail(`building the binding failed (${r.error}; see ${LOG})`);
}

/** tfjs-node's own install script, which downloads libtensorflow 2.9.1; bounded in time. */
async function routeDownload(pkgDir) {
  checkAvx();
  const pkgJson = path.join(pkgDir, 'package.json');
  const saved = fs.readFileSync(pkgJson); // install.js rewrites it and restores it only on success
  say(`trying tfjs-node's own install script (libtensorflow download, at most ${secs(ROUTE_B_TIMEOUT_MS)})`);
  const r = await run(process.execPath, ['scripts/install.js', 'cpu', 'download'],
    { cwd: pkgDir, env: buildEnv(pkgDir), timeoutMs: ROUTE_B_TIMEOUT_MS });
  fs.writeFileSync(pkgJson, saved);
  if (!r.ok) fail(`tfjs-node's install script failed (${r.error}; see ${LOG})`);
}

const ROUTES = [
  ['A (tensorflow-cpu 2.21.0 wheel + source build)', routeWheel],
  ['B (tfjs-node libtensorflow download)', routeDownload],
];

async function main() {
  const first = checkAddonLoads();
  if (first.version) {
    say(`@tensorflow/tfjs-node already loads (TF_Version ${first.version}); nothing to do (${secs(Date.now() - t0)})`);
    return 0;
  }
  let pkgDir;
  const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));
  try { pkgDir = path.dirname(requireFromRoot.resolve('@tensorflow/tfjs-node/package.json')); } catch {}
  fs.writeFileSync(LOG, `install-native ${new Date().toISOString()}\n`);
  if (!pkgDir) say('@tensorflow/tfjs-node is not installed (optional dependency skipped)');
  else say(`@tensorflow/tfjs-node does not load yet (${first.reason}); installing`);
  for (const [name, route] of pkgDir ? ROUTES : []) {
    const times = {};
    try {
      await route(pkgDir, times);
      const after = checkAddonLoads();
      if (!after.version) fail(`built, but the addon does not load (${after.reason})`);
      const parts = Object.entries(times).map(([k, ms]) => `${k} ${secs(ms)}`).join(', ');
      const took = `${secs(Date.now() - t0)}${parts && ` (${parts})`}`;
      say(`native backend ready via route ${name}: TF_Version ${after.version}, ${took}`);
      return 0;
    } catch (e) {
      if (!(e instanceof NativeError)) throw e;
      say(`route ${name} unavailable: ${e.message}`);
    }
  }
  say(`native TensorFlow backend unavailable; saev will use the wasm backend (${secs(Date.now() - t0)})`);
  return STRICT ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  say(`unexpected error, native backend unavailable (saev will use wasm): ${`${e.message}`.split('\n')[0]}`);
  process.exit(STRICT ? 1 : 0);
});
