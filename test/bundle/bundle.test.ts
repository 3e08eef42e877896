/**
 * The offline bundle end to end (`npm run test:bundle`, which builds first; CI runs it): builds the
 * archive with dist/scripts/bundle.js, checks its size and contents, unpacks it, and runs its launcher
 * the way an air-gapped machine would: through a symlink, from another directory, with a `node` on PATH
 * that fails if anything calls it, an empty HOME, npm offline and nothing inherited from this process;
 * on WebGPU too where Dawn finds an adapter.
 * Skipped, with the reason printed, unless SAEV_BUNDLE_TEST=1: building takes minutes (xz of ~150 MB).
 * With SAEV_BUNDLE_NATIVE=1 too (`npm run test:bundle:native`), the archive is built `--with-native` and
 * must run the native CPU backend, byte-identical to the repository's own native run.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../scripts/bundle/stage.js';

const ENABLED = process.env.SAEV_BUNDLE_TEST === '1';
const WITH_NATIVE = process.env.SAEV_BUNDLE_NATIVE === '1';
/** What a call to a GPU machine can carry, the repository included; with libtensorflow, what it measured plus room. */
const MAX_BYTES = (WITH_NATIVE ? 200 : 48) * 2 ** 20;
const ROOT = path.resolve(__dirname, '../..');
const BUNDLER = path.join(ROOT, 'dist', 'scripts', 'bundle.js');

if (!ENABLED) {
  console.warn(
    'test/bundle/bundle.test.ts: skipped: it builds a 35 MiB offline bundle (minutes); `npm run test:bundle` runs it',
  );
}

let tmp: string;
let bundleDir: string;
let launcher: string; // a relative symlink to <bundleDir>/bin/saev, from another folder
let home: string;
let env: NodeJS.ProcessEnv;

/** spawnSync's result without blocking: a worker blocked for minutes misses vitest's RPC deadline. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs the bundle's launcher in the air-gapped environment, from the empty HOME as cwd. */
const saev = (args: string[]) => run(launcher, args, { cwd: home, env });

/**
 * The bundle's shard equals the repository's own tool's on the same backend, byte for byte: pruning changed
 * nothing computed.
 */
async function expectSameAsRepository(backend: string, shardDir: string): Promise<void> {
  const repoCli = path.join(ROOT, 'bin', 'run.js');
  const dumpTo = path.join(tmp, `repo-${backend}`);
  const ours = await run(process.execPath, [
    repoCli,
    'activations',
    'extract',
    '--backend',
    backend,
    '--dump-to',
    dumpTo,
  ]);
  expect(ours.status, ours.stderr).toBe(0);
  const oursDir = ours.stdout.trim().split('\n').at(-1)!;
  const shard = (dir: string) => readFileSync(path.join(dir, 'acts000000.bin'));
  expect(shard(shardDir).equals(shard(oursDir))).toBe(true);
}

beforeAll(async () => {
  if (!ENABLED) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'saev-bundle-test-'));
  const archive = path.join(tmp, 'saev-tfjs-linux-x64.tar.xz');
  const t0 = Date.now();
  const built = await run(process.execPath, [BUNDLER, archive, ...(WITH_NATIVE ? ['--with-native'] : [])]);
  expect(built.status, `${built.stderr}\n${built.stdout}`).toBe(0);
  console.log(`bundle built in ${((Date.now() - t0) / 1000).toFixed(1)} s:\n${built.stdout}`);
  expect(readdirSync(tmp)).toEqual(['saev-tfjs-linux-x64.tar.xz']); // no .part left behind
  bundleDir = path.join(tmp, 'unpacked', 'saev');
  mkdirSync(bundleDir, { recursive: true });
  const untar = await run('tar', ['-xJf', archive, '-C', bundleDir]);
  expect(untar.status, untar.stderr).toBe(0);

  const fakeBin = path.join(tmp, 'fake-bin');
  mkdirSync(fakeBin);
  writeFileSync(
    path.join(fakeBin, 'node'),
    '#!/bin/sh\necho "fake node: the bundle called a node from PATH" >&2\nexit 97\n',
    { mode: 0o755 },
  );
  mkdirSync(path.join(tmp, 'links'));
  launcher = path.join(tmp, 'links', 'saev');
  symlinkSync('../unpacked/saev/bin/saev', launcher);
  home = path.join(tmp, 'home');
  mkdirSync(home);
  env = { PATH: `${fakeBin}:/usr/bin:/bin`, HOME: home, npm_config_offline: 'true', NO_COLOR: '1', LANG: 'C' };
  // Which Vulkan driver Dawn loads is the machine's business, as on a cluster node: passed through when set.
  for (const name of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES']) if (process.env[name]) env[name] = process.env[name];
}, 900_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(ENABLED)('offline bundle', () => {
  it(`is one archive of at most ${MAX_BYTES / 2 ** 20} MiB holding node, the tool and its linux-x64 dependencies, pruned`, () => {
    const bytes = statSync(path.join(tmp, 'saev-tfjs-linux-x64.tar.xz')).size;
    expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
    const expected = [
      'node/bin/node',
      'bin/saev',
      'bin/run.js',
      'package.json',
      'bundle.json',
      'dist/commands/activations/extract.js',
      'src/demo/images/LICENSES.md',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      'node_modules/webgpu/dist/linux-x64/dawn.node',
      'node_modules/@img/sharp-linux-x64/package.json',
      'dist/scripts/gpu/check-gpu.js',
      'scripts/bench/torch_recipe.py',
    ]; // what scripts/gpu/run-from-bundle.sh runs
    for (const p of expected) expect(existsSync(path.join(bundleDir, p)), p).toBe(true);
    expect(readdirSync(path.join(bundleDir, 'node_modules/webgpu/dist'))).toEqual(['linux-x64']);
    expect(existsSync(path.join(bundleDir, 'node_modules/@tensorflow/tfjs-node'))).toBe(WITH_NATIVE);
    expect(existsSync(path.join(bundleDir, 'node_modules/@tensorflow/tfjs-node-gpu'))).toBe(false);
    const files = listFiles(bundleDir);
    expect(files.filter((f) => /\.(map|d\.ts)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/test/'))).toEqual([]);
  });

  it('the test environment has no usable node on PATH', () => {
    const r = spawnSync('sh', ['-c', 'command -v node && node --version'], { cwd: home, env, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(path.join(tmp, 'fake-bin', 'node'));
    expect(r.status).toBe(97);
  });

  it('--help runs the bundled node on the bundled tool, through a symlink, from another folder', async () => {
    const r = await saev(['--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('activations');
    expect(r.stdout).toMatch(new RegExp(`saev-tfjs/\\S+ linux-x64 node-${process.version}`));
    expect(r.stderr).not.toContain('fake node');
  });

  it('records the demo model over the demo photos on wasm, and verify passes', async () => {
    const dumpTo = path.join(tmp, 'shards');
    const r = await saev(['activations', 'extract', '--backend', 'wasm', '--dump-to', dumpTo]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('backend: wasm (@tensorflow/tfjs-backend-wasm');
    expect(r.stderr).toContain(path.join(bundleDir, 'src', 'demo', 'images'));
    const shardDir = r.stdout.trim().split('\n').at(-1)!;
    expect(path.dirname(shardDir)).toBe(dumpTo);
    expect(readdirSync(shardDir)).toContain('acts000000.bin');
    const v = await saev(['activations', 'verify', shardDir]);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^ok: 1 of 1 shards verified \(10 images, float32\)/);
    await expectSameAsRepository('wasm', shardDir);
  });

  it.runIf(WITH_NATIVE)(
    '--with-native: auto picks native TensorFlow, and records what the repository records',
    async () => {
      const r = await saev(['activations', 'extract', '--dump-to', path.join(tmp, 'native')]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('backend: tensorflow (@tensorflow/tfjs-node 4.22.0, libtensorflow 2.21.0');
      await expectSameAsRepository('native', r.stdout.trim().split('\n').at(-1)!);
    },
  );

  it.runIf(!WITH_NATIVE)(
    '--backend native says in one line, with no stack trace, that the bundle has no native backend',
    async () => {
      const r = await saev(['activations', 'extract', '--backend', 'native', '--dump-to', path.join(tmp, 'native')]);
      expect(r.status).not.toBe(0);
      const lastLine = r.stderr.trim().split('\n').at(-1)!;
      expect(lastLine).toMatch(
        /^Error: backend: could not load the 'native' backend \(@tensorflow\/tfjs-node-gpu: .*@tensorflow\/tfjs-node: /,
      );
      expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    },
  );

  it('records on WebGPU when Dawn finds an adapter (a Vulkan driver; Mesa llvmpipe will do), else skips saying why', async (ctx) => {
    const dumpTo = path.join(tmp, 'webgpu');
    const r = await saev([
      'activations',
      'extract',
      '--backend',
      'webgpu',
      '--data',
      'fake',
      '--data-n-imgs',
      '2',
      '--dump-to',
      dumpTo,
    ]);
    if (r.status !== 0 && /no WebGPU adapter/.test(r.stderr)) {
      console.warn(`bundle.test.ts: WebGPU extraction skipped: ${r.stderr.trim().split('\n').at(-1)}`);
      ctx.skip();
    }
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('backend: webgpu (@tensorflow/tfjs-backend-webgpu');
    const v = await saev(['activations', 'verify', r.stdout.trim().split('\n').at(-1)!]);
    expect(v.status, v.stderr).toBe(0);
  });

  it('runs the GPU check (test:gpu) from the bundle against references the repository made, elsewhere', async () => {
    // What scripts/gpu/run-from-bundle.sh does on a GPU machine, with a CPU backend standing in for the GPU: the
    // references come from this checkout and the check runs from the unpacked bundle, at another path.
    const refs = path.join(tmp, 'gpu-refs');
    const cases = ['--cases', 'dinov3-s16plus']; // the smallest family case, and the 3-shard extraction
    const made = await run(process.execPath, [
      path.join(ROOT, 'dist/scripts/gpu/check-gpu.js'),
      '--make-refs',
      refs,
      ...cases,
    ]);
    expect(made.status, made.stderr).toBe(0);
    const checker = path.join(bundleDir, 'dist/scripts/gpu/check-gpu.js');
    const r = await run(
      path.join(bundleDir, 'node/bin/node'),
      [checker, '--backend', 'wasm', '--refs', refs, ...cases],
      {
        cwd: home,
        env,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/test:gpu: ok {3}extract acts000002\.bin \(verify ok\) vs reference/);
    expect(r.stderr).toMatch(/test:gpu: all 5 checks passed/);
  });

  it('the WebGPU packages load with the bundled node from inside the bundle', () => {
    const code =
      "const w = require('webgpu'); const b = require('@tensorflow/tfjs-backend-webgpu');" +
      'console.log(typeof w.create, typeof w.globals, typeof b.WebGPUBackend)';
    const r = spawnSync(path.join(bundleDir, 'node', 'bin', 'node'), ['-e', code], {
      cwd: bundleDir,
      env,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('function object function');
  });
});
