// Shards written on webgpu, through the CLI: they pass `verify` and equal a CPU backend's to float32 noise, with the
// project's kernels and with tfjs's own (SAEV_WEBGPU_KERNELS=generic, a way to rule ours out on a new GPU).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRelRms } from '../../scripts/gpu/sampling.js';
import { getNoHardwareGpuReason, NO_VULKAN_DRIVER } from '../../src/webgpu/open-device.js';
import { WEBGPU_REQUIRED } from './webgpu-backend.js';

const BIN = path.resolve(__dirname, '../../bin/run.js');
const hasDriver = getNoHardwareGpuReason() !== NO_VULKAN_DRIVER;
if (!hasDriver && !WEBGPU_REQUIRED)
  console.warn("shards.test.ts: skipped, no Vulkan driver here; CI runs it on Mesa's llvmpipe");

const dumpDirs: string[] = [];
afterAll(() => dumpDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The demo extraction (the 10 demo photos, one shard) on `backend`: its output and its shard's bytes. */
function extract(backend: 'webgpu' | 'auto', kernels = '', extra: string[] = []) {
  const dumpTo = mkdtempSync(path.join(os.tmpdir(), `saev-${backend}-${kernels}-`));
  dumpDirs.push(dumpTo);
  const args = [BIN, 'activations', 'extract', '--backend', backend, '--dump-to', dumpTo, ...extra];
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, SAEV_BACKEND: '', SAEV_WEBGPU_KERNELS: kernels },
  });
  const shardDir = r.stdout.trim().split('\n').at(-1) ?? '';
  const acts = r.status === 0 ? readFileSync(path.join(shardDir, 'acts000000.bin')) : null;
  return { ...r, dumpTo, shardDir, acts };
}

/** Relative RMS of `a - b` over `b`, both float32 bytes. */
function relRms(a: Buffer, b: Buffer): number {
  const [x, y] = [a, b].map((buf) => new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
  expect(x.length).toBe(y.length);
  return getRelRms(x, y);
}

describe.runIf(hasDriver || WEBGPU_REQUIRED)('shards written on webgpu', () => {
  let cpu: ReturnType<typeof extract>;
  let ours: ReturnType<typeof extract>;
  beforeAll(() => {
    cpu = extract('auto'); // auto passes over a software adapter: native, else wasm
    ours = extract('webgpu');
  });

  it("pass verify and equal a CPU backend's within 1e-4 relative RMS", () => {
    expect(cpu.status, cpu.stderr).toBe(0);
    expect(cpu.stderr).not.toMatch(/^backend: webgpu/m);
    expect(ours.status, ours.stderr).toBe(0);
    expect(ours.stderr).toMatch(/^backend: webgpu /m);
    const v = spawnSync(process.execPath, [BIN, 'activations', 'verify', ours.shardDir], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    const error = relRms(ours.acts!, cpu.acts!);
    const cpuName = /^backend: (\S+)/m.exec(cpu.stderr)?.[1];
    console.log(`shards.test.ts: webgpu demo shard against ${cpuName}: relative RMS ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(1e-4);
  });

  it("SAEV_WEBGPU_KERNELS=generic runs tfjs's kernels, says so, and records the same to float32 noise", () => {
    const generic = extract('webgpu', 'generic');
    expect(generic.status, generic.stderr).toBe(0);
    expect(ours.stderr).not.toContain('generic kernels');
    expect(generic.stderr).toContain("tfjs's generic kernels (SAEV_WEBGPU_KERNELS=generic)");
    const recorded = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'saev-tfjs.json'), 'utf8')).backend;
    expect([recorded(ours.shardDir).webgpuKernels, recorded(generic.shardDir).webgpuKernels]).toEqual([
      'project',
      'generic',
    ]);
    expect(relRms(generic.acts!, cpu.acts!)).toBeLessThanOrEqual(1e-4);
    expect(generic.acts!.equals(ours.acts!)).toBe(false); // other kernels ran: the last bits differ
  });

  it('SAEV_WEBGPU_KERNELS refuses another value in one line', () => {
    const r = extract('webgpu', 'fast');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      "Error: backend: could not load the 'webgpu' backend (webgpu: SAEV_WEBGPU_KERNELS must be 'project' or 'generic', found 'fast'); --backend auto picks whichever works",
    );
  });

  it('refuses a --vit-batch-size whose recorded blocks cannot fit one storage binding, before writing anything', () => {
    // The demo's widest tensor is its MLP activation, 50 tokens x 512 floats (llvmpipe binds 128 MiB: 1310 images).
    const r = extract('webgpu', '', ['--vit-batch-size', '100000']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^Error: extract: --vit-batch-size 100000 makes the widest activation of a forward pass a 9\.54 GiB tensor, over this GPU's [\d.]+ GiB storage binding; use at most \d+$/,
    );
    expect(readdirSync(r.dumpTo)).toEqual([]);
  });
});
