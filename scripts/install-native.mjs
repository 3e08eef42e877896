// scripts/install-native.mjs owns the native TensorFlow backend install: making
// `require('@tensorflow/tfjs-node')` load, or with --gpu `require('@tensorflow/tfjs-node-gpu')`. It writes only
// that package's {deps,lib,build,build-tmp-napi-v8} under node_modules/@tensorflow/, a cache outside the repo
// ($SAEV_CACHE/native, else ~/.cache/saev/native) and a log in the temp dir. Idempotent, Node built-ins only, run it
// before `npm run build`. Background: README.md (Backends).
//   0. The addon already loads: say so, exit 0.
//   A. The C API inside the PyPI wheel tensorflow-cpu==2.21.0 (fetched with pip), staged as
//      deps/{include,lib} symlinks, then `node-pre-gyp install --build-from-source` against the
//      local Node headers (--nodedir, so node-gyp never tries to download them).
//   B. tfjs-node's own install script (libtensorflow 2.9.1 from storage.googleapis.com), time-bounded.
// Nothing works: one line saying saev will use wasm, exit 0 (exit 1 only with --strict, for CI).
// --gpu (never the postinstall, which downloads nothing CUDA): @tensorflow/tfjs-node-gpu by route A only, against
// TensorFlow's CUDA wheel tensorflow==2.21.0 and the nvidia-*-cu12 wheels of its `and-cuda` extra (~3.4 GB to
// download, ~6 GB extracted), staged so that neither a system CUDA nor LD_LIBRARY_PATH is needed (stageCuda).
// tfjs-node-gpu's own install script is no route B: it wants libtensorflow 2.9.1 with CUDA 11.2 + cuDNN 8.1 and
// ignores a pre-staged deps/ (it passes `download`).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const TF_WHEEL = 'tensorflow-cpu==2.21.0';
const WHEEL_PREFIX = 'tensorflow_cpu-2.21.0-';
// --gpu: TensorFlow's CUDA build and the nvidia-*-cu12 wheels its `and-cuda` extra requires, with their download
// sizes in MB. The extra gives ranges whose floors are what TF 2.21.0 was built with (CUDA 12.5.1, cuDNN 9); the pins
// are what pip resolved for `tensorflow[and-cuda]==2.21.0` on 2026-12-04. The two C libraries need no libpython, so
// the cp311 wheel is fetched whatever the local Python.
const CUDA_WHEELS = [
  ['tensorflow==2.21.0', 572],
  ['nvidia-cublas-cu12==12.9.3.13', 581],
  ['nvidia-cuda-cupti-cu12==12.9.79', 11],
  ['nvidia-cuda-nvcc-cu12==12.9.86', 41],
  ['nvidia-cuda-nvrtc-cu12==12.9.86', 90],
  ['nvidia-cuda-runtime-cu12==12.9.79', 3],
  ['nvidia-cudnn-cu12==9.28.0.42', 717],
  ['nvidia-cufft-cu12==11.4.1.4', 201],
  ['nvidia-curand-cu12==10.3.10.19', 68],
  ['nvidia-cusolver-cu12==11.7.5.82', 338],
  ['nvidia-cusparse-cu12==12.5.10.65', 366],
  ['nvidia-nccl-cu12==2.32.3', 352],
  ['nvidia-nvjitlink-cu12==12.9.86', 40],
];
const CUDA_STACK_DIR = 'tensorflow-2.21.0-cuda12';
const CUDA_EXTRACTED_MB = 6100;
// The nvidia/<pkg>/lib dirs that the RUNPATHs of the wheel's libtensorflow_{cc,framework}.so.2 name and the wheels
// provide (TensorRT and nvshmem, also named, are no part of the extra; TF runs without them).
const CUDA_RUNPATH_PKGS = ['cublas', 'cuda_cupti', 'cuda_runtime', 'cudnn', 'cufft', 'cusolver', 'cusparse', 'nccl'];
const ROUTE_B_TIMEOUT_MS = Number(process.env.SAEV_NATIVE_TIMEOUT_MS) || 5 * 60_000;
const STRICT = process.argv.includes('--strict');
const GPU = process.argv.includes('--gpu');
const PKG = GPU ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
const PYTHON = process.env.PYTHON || 'python3';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LOG = path.join(os.tmpdir(), 'saev-install-native.log');
const t0 = Date.now();

const say = (msg) => console.error(`native: ${msg}`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
class NativeError extends Error {}
const fail = (msg) => {
  throw new NativeError(msg);
};

/** Loads PKG in a fresh node process; returns { version, gpu } or { reason }. */
function checkAddonLoads() {
  const code = `const b=require('${PKG}').backend();console.log(b.binding.TF_Version+' '+b.isUsingGpuDevice)`;
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  const [version, gpu] = r.status === 0 ? r.stdout.trim().split('\n').pop().split(' ') : [];
  if (version) return { version, gpu: gpu === 'true' };
  const lines = `${r.stderr ?? ''}`.split('\n');
  const why =
    lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.find((l) => /error|cannot/i.test(l)) ?? `exit ${r.status}`;
  return {
    reason: why
      .trim()
      .replace(/\s+at path:.*/, '')
      .slice(0, 140),
  };
}

/** Runs a command, output appended to LOG; on timeout kills its whole process group. */
function run(cmd, args, { cwd = ROOT, env = process.env, timeoutMs = 0 } = {}) {
  return new Promise((resolve) => {
    const fd = fs.openSync(LOG, 'a');
    const start = fs.fstatSync(fd).size;
    fs.writeSync(fd, `\n$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd], detached: timeoutMs > 0 });
    let done = false,
      timedOut = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* the group has already exited */
      }
    };
    const onSigint = () => {
      killGroup();
      process.exit(130);
    };
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            killGroup();
          }, timeoutMs)
        : null;
    if (timeoutMs > 0) process.once('SIGINT', onSigint);
    const finish = (ok, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.off('SIGINT', onSigint);
      fs.closeSync(fd);
      resolve({ ok, error: ok ? '' : timedOut ? 'timed out' : (firstErrorLine(start) ?? error) });
    };
    child.on('error', (e) => finish(false, e.code === 'ENOENT' ? `${cmd} not found` : e.message));
    child.on('exit', (code) => finish(code === 0, `exit ${code}`));
  });
}

/** The first telling error line LOG gained since byte `start`. */
function firstErrorLine(start) {
  const lines = fs.readFileSync(LOG).subarray(start).toString().split('\n');
  const line = lines.find((l) => /(^|\s)(\w*Error: |error: |ERROR: )/.test(l) && !/ERR! stack/.test(l));
  return line
    ?.replace(/^.*?(\w*Error: |error: |ERROR: )/, '$1')
    .trim()
    .slice(0, 140);
}

function cacheDir() {
  const dir = process.env.SAEV_CACHE
    ? path.resolve(process.env.SAEV_CACHE, 'native')
    : path.join(os.homedir(), '.cache', 'saev', 'native');
  if (!path.relative(ROOT, dir).startsWith('..'))
    fail(`cache dir ${dir} is inside the repo; point SAEV_CACHE elsewhere`);
  try {
    mkdirp(dir);
  } catch (e) {
    fail(`cannot create cache dir ${dir} (${e.code})`);
  }
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
    if (spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status !== 0)
      fail(`${cmd} not found (needed to build the binding)`);
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
  } catch {
    /* no headers beside this node; try node-gyp's cache */
  }
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
  const gyp = path.resolve(
    path.dirname(process.execPath),
    '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  );
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

// Any further wheels (the nvidia ones) are extracted whole but for their dist-info, as pip lays them out, keeping
// executable bits (ptxas); a wheel that is not a zip is removed so that the next run fetches it again.
const EXTRACT_PY = `
import os, sys, zipfile
whl, dest, extras = sys.argv[1], sys.argv[2], sys.argv[3:]
def open_zip(path):
    try: return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        os.remove(path)
        sys.exit('ERROR: ' + os.path.basename(path) + ' is damaged (removed; run again to fetch it)')
libs = ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2')
with open_zip(whl) as z:
    names = [n for n in z.namelist() if n in libs or (n.startswith('tensorflow/include/') and not n.endswith('/'))]
    if any(l not in names for l in libs): sys.exit('ERROR: the wheel lacks ' + ' or '.join(libs))
    z.extractall(dest, names)
for extra in extras:
    with open_zip(extra) as z:
        for info in z.infolist():
            if info.is_dir() or '.dist-info/' in info.filename: continue
            mode = (info.external_attr >> 16) & 0o777
            out = z.extract(info, dest)
            if mode & 0o111: os.chmod(out, mode)
`;

/** `nvidia-cublas-cu12==12.9.3.13` -> `nvidia_cublas_cu12-12.9.3.13-`, how its wheel's file name starts. */
const wheelPrefix = (req) => `${req.split('==')[0].replace(/-/g, '_')}-${req.split('==')[1]}-`;
const findWheel = (dir, req) => fs.readdirSync(dir).find((f) => f.startsWith(wheelPrefix(req)) && f.endsWith('.whl'));
const formatMb = (mb) => (mb < 1000 ? `${Math.round(mb)} MB` : `${(mb / 1000).toFixed(1)} GB`);

/** Whether `out` holds a finished extraction, and of a wheel for each pinned requirement in `reqs`. */
function isExtracted(out, reqs = []) {
  let lines;
  try {
    lines = fs.readFileSync(path.join(out, '.complete'), 'utf8').split('\n');
  } catch {
    return false;
  }
  return reqs.every((req) => lines.some((line) => line.startsWith(wheelPrefix(req))));
}

/** Extracts the two libraries and the headers, and any further wheels whole, once; returns out/tensorflow. */
async function extractWheels([wheel, ...extras], out, times) {
  const tmp = `${out}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const t = Date.now();
  const r = await run(PYTHON, ['-c', EXTRACT_PY, wheel, tmp, ...extras]);
  if (!r.ok) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!extras.length) fs.rmSync(wheel, { force: true }); // a damaged wheel is fetched again next time
    const what = extras.length ? `the ${1 + extras.length} wheels` : path.basename(wheel);
    fail(`extracting ${what} failed (${r.error}; see ${LOG})`);
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(tmp, out);
  const names = [wheel, ...extras].map((w) => path.basename(w));
  fs.writeFileSync(path.join(out, '.complete'), `${new Date().toISOString()}\n${names.join('\n')}\n`);
  times.extract = Date.now() - t;
  return path.join(out, 'tensorflow');
}

/** Route A's CPU wheel: extracted once into a dir named after it. */
async function extractWheel(wheel, dir, times) {
  const out = path.join(dir, path.basename(wheel, '.whl'));
  return isExtracted(out) ? path.join(out, 'tensorflow') : extractWheels([wheel], out, times);
}

/** Fails early when the cache's file system has less than `mb` free. */
function checkFreeSpace(dir, mb) {
  const { bavail, bsize } = fs.statfsSync(dir);
  const freeMb = (bavail * bsize) / 1e6;
  if (freeMb >= mb) return;
  fail(`${formatMb(freeMb)} free under ${dir}, the CUDA route needs ~${formatMb(mb)}; free some or set SAEV_CACHE`);
}

/** Bytes under `dir`, symlinks not followed. */
function dirBytes(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : fs.lstatSync(p).size;
  }
  return n;
}

/** The pinned CUDA_WHEELS missing from `dir`, in one pip call. */
async function fetchCudaWheels(dir, missing, times) {
  const mb = missing.reduce((sum, [, size]) => sum + size, 0);
  say(`downloading ${missing.length} wheel${missing.length === 1 ? '' : 's'} (~${formatMb(mb)}) with pip into ${dir}`);
  const t = Date.now();
  const r = await run(PYTHON, [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--only-binary=:all:',
    '--python-version',
    '3.11',
    '-d',
    dir,
    ...missing.map(([req]) => req),
  ]);
  times.download = Date.now() - t;
  const absent = missing.filter(([req]) => !findWheel(dir, req)).map(([req]) => req);
  const which = absent.length && absent.length < missing.length ? absent.join(', ') : `the ${missing.length} wheels`;
  if (!r.ok || absent.length) fail(`pip download of ${which} failed (${r.error || 'no wheel written'}; see ${LOG})`);
  say(`downloaded ${formatMb(mb)} in ${secs(times.download)}`);
}

/**
 * The CUDA stack, extracted once into one site-packages-like dir (tensorflow/ beside nvidia/<pkg>/), then staged:
 * deps/{include,lib} as for the CPU build, plus deps/nvidia -> the extracted nvidia/. The wheel's libraries find
 * CUDA through RUNPATH entries like `$ORIGIN/../nvidia/cublas/lib`, and glibc takes $ORIGIN from the path it opened
 * (deps/lib, whose entries are symlinks), not from the symlinks' targets: so nvidia/ must appear beside deps/lib.
 * Past deps/nvidia the kernel resolves `..` inside the cache, where the wheels' own RUNPATHs (libcusparse's
 * `$ORIGIN/../../nvjitlink/lib`) hold because all twelve share one nvidia/, as in site-packages. One symlink
 * instead of copying ~4.5 GB.
 */
async function stageCuda(pkgDir, dir, times) {
  const out = path.join(dir, CUDA_STACK_DIR);
  if (
    !isExtracted(
      out,
      CUDA_WHEELS.map(([req]) => req),
    )
  ) {
    const missing = CUDA_WHEELS.filter(([req]) => !findWheel(dir, req));
    checkFreeSpace(dir, missing.reduce((sum, [, size]) => sum + size, 0) + CUDA_EXTRACTED_MB);
    if (missing.length) await fetchCudaWheels(dir, missing, times);
    await extractWheels(
      CUDA_WHEELS.map(([req]) => path.join(dir, findWheel(dir, req))),
      out,
      times,
    );
    const size = formatMb(dirBytes(out) / 1e6);
    say(`extracted ${CUDA_WHEELS.length} wheels into ${out} (${size}, ${secs(times.extract)})`);
  }
  stageDeps(pkgDir, path.join(out, 'tensorflow'));
  fs.symlinkSync(path.join(out, 'nvidia'), path.join(pkgDir, 'deps', 'nvidia'));
  const absent = CUDA_RUNPATH_PKGS.filter((p) => !fs.existsSync(path.join(pkgDir, 'deps', 'nvidia', p, 'lib')));
  if (absent.length) fail(`${out} lacks nvidia/{${absent.join(',')}}/lib; delete it and run again`);
}

/** deps/include -> headers; deps/lib: the SONAMEs plus the names binding.gyp and install.js expect. */
function stageDeps(pkgDir, tfDir) {
  const deps = path.join(pkgDir, 'deps'),
    lib = path.join(deps, 'lib');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(lib, { recursive: true });
  fs.symlinkSync(path.join(tfDir, 'include'), path.join(deps, 'include'));
  const cc = 'libtensorflow_cc.so.2',
    fw = 'libtensorflow_framework.so.2';
  const links = {
    [cc]: path.join(tfDir, cc),
    [fw]: path.join(tfDir, fw),
    'libtensorflow.so': cc,
    'libtensorflow.so.2': cc,
    'libtensorflow.so.2.9.1': cc,
    'libtensorflow_framework.so': fw,
    'libtensorflow_framework.so.2.9.1': fw,
  };
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(lib, name));
}

async function routeWheel(pkgDir, times) {
  const { platform, arch } = process;
  if (platform !== 'linux' || arch !== 'x64') fail(`the wheel route is for linux x64, not ${platform} ${arch}`);
  checkAvx();
  checkBuildTools();
  const dir = cacheDir();
  if (GPU) await stageCuda(pkgDir, dir, times);
  else stageDeps(pkgDir, await extractWheel(await fetchWheel(dir, times), dir, times));
  say('building tfjs_binding.node from source (~15-25 s)');
  const preGyp = createRequire(path.join(pkgDir, 'package.json')).resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp');
  const t = Date.now();
  const r = await run(process.execPath, [preGyp, 'install', '--build-from-source'], {
    cwd: pkgDir,
    env: buildEnv(pkgDir),
  });
  times.build = Date.now() - t;
  if (!r.ok) fail(`building the binding failed (${r.error}; see ${LOG})`);
}

/** tfjs-node's own install script, which downloads libtensorflow 2.9.1; bounded in time. */
async function routeDownload(pkgDir) {
  checkAvx();
  const pkgJson = path.join(pkgDir, 'package.json');
  const saved = fs.readFileSync(pkgJson); // install.js rewrites it and restores it only on success
  say(`trying tfjs-node's own install script (libtensorflow download, at most ${secs(ROUTE_B_TIMEOUT_MS)})`);
  const r = await run(process.execPath, ['scripts/install.js', 'cpu', 'download'], {
    cwd: pkgDir,
    env: buildEnv(pkgDir),
    timeoutMs: ROUTE_B_TIMEOUT_MS,
  });
  fs.writeFileSync(pkgJson, saved);
  if (!r.ok) fail(`tfjs-node's install script failed (${r.error}; see ${LOG})`);
}

const ROUTES = GPU
  ? [['A (tensorflow 2.21.0 CUDA wheel + nvidia-*-cu12 wheels + source build)', routeWheel]]
  : [
      ['A (tensorflow-cpu 2.21.0 wheel + source build)', routeWheel],
      ['B (tfjs-node libtensorflow download)', routeDownload],
    ];
const FALLBACK = GPU ? 'saev will use @tensorflow/tfjs-node or wasm' : 'saev will use the wasm backend';
const onGpu = (check) => (GPU ? `, ${check.gpu ? 'on a CUDA GPU' : 'no CUDA GPU seen, runs on the CPU'}` : '');

async function main() {
  const first = checkAddonLoads();
  if (first.version) {
    say(`${PKG} already loads (TF_Version ${first.version}${onGpu(first)}); nothing to do (${secs(Date.now() - t0)})`);
    return 0;
  }
  let pkgDir;
  const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));
  try {
    pkgDir = path.dirname(requireFromRoot.resolve(`${PKG}/package.json`));
  } catch {
    /* not installed: pkgDir stays undefined */
  }
  fs.writeFileSync(LOG, `install-native ${new Date().toISOString()}\n`);
  if (!pkgDir) say(`${PKG} is not installed (optional dependency skipped)`);
  else say(`${PKG} does not load yet (${first.reason}); installing`);
  for (const [name, route] of pkgDir ? ROUTES : []) {
    const times = {};
    try {
      await route(pkgDir, times);
      const after = checkAddonLoads();
      if (!after.version) fail(`built, but the addon does not load (${after.reason})`);
      const parts = Object.entries(times)
        .map(([k, ms]) => `${k} ${secs(ms)}`)
        .join(', ');
      const took = `${secs(Date.now() - t0)}${parts && ` (${parts})`}`;
      const ready = `${GPU ? PKG : 'native backend'} ready via route ${name}`;
      say(`${ready}: TF_Version ${after.version}${onGpu(after)}, ${took}`);
      return 0;
    } catch (e) {
      if (!(e instanceof NativeError)) throw e;
      say(`route ${name} unavailable: ${e.message}`);
    }
  }
  say(`${GPU ? PKG : 'native TensorFlow backend'} unavailable; ${FALLBACK} (${secs(Date.now() - t0)})`);
  return STRICT ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    const unavailable = GPU ? `${PKG} unavailable (${FALLBACK})` : 'native backend unavailable (saev will use wasm)';
    say(`unexpected error, ${unavailable}: ${`${e.message}`.split('\n')[0]}`);
    process.exit(STRICT ? 1 : 0);
  },
);
