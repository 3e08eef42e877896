// Telling whether a hardware GPU may answer before loading Dawn, and the one line a missing adapter gives.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  explainNoAdapter,
  getNoHardwareGpuReason,
  NO_ADAPTER,
  NO_VULKAN_DRIVER,
  NoGpuAdapterError,
} from '../../src/webgpu/open-device.js';

const BIN = path.resolve(__dirname, '../../bin/run.js');

function manifest(dir: string, name: string, library: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }),
  );
  return file;
}

describe('getNoHardwareGpuReason', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-icd-'));
  const lavapipe = manifest(dir, 'lvp_icd.json', 'libvulkan_lvp.so');
  const renamedLavapipe = manifest(dir, 'cpu.json', '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so');
  const nvidia = manifest(dir, 'nvidia_icd.json', 'libGLX_nvidia.so.0');

  it('names a missing driver and a software-only one, and lets a hardware driver through', () => {
    expect(getNoHardwareGpuReason({ VK_DRIVER_FILES: path.join(dir, 'missing.json') }, 'linux')).toBe(NO_VULKAN_DRIVER);
    expect(getNoHardwareGpuReason({ VK_DRIVER_FILES: `${lavapipe}:${renamedLavapipe}` }, 'linux')).toMatch(
      /only a software Vulkan driver.*--backend webgpu/,
    );
    expect(getNoHardwareGpuReason({ VK_ICD_FILENAMES: `${lavapipe}:${nvidia}` }, 'linux')).toBeNull();
    expect(getNoHardwareGpuReason({ XDG_DATA_DIRS: path.join(dir, 'nowhere') }, 'linux')).toBe(NO_VULKAN_DRIVER);
  });

  it('probes other platforms (Metal, D3D12) instead of guessing', () => {
    expect(getNoHardwareGpuReason({}, 'darwin')).toBeNull();
    expect(getNoHardwareGpuReason({}, 'win32')).toBeNull();
  });
});

describe('explainNoAdapter', () => {
  it('is the quiet NO_ADAPTER where no Vulkan driver is installed, or off Linux', () => {
    const none = explainNoAdapter({ VK_DRIVER_FILES: '/nowhere/icd.json' }, 'linux');
    expect([none instanceof NoGpuAdapterError, none.message]).toEqual([true, NO_ADAPTER]);
    expect(explainNoAdapter({}, 'darwin')).toBeInstanceOf(NoGpuAdapterError);
  });

  it('names what a driver here lacks as an error auto logs, not a quiet one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-nvidia-'));
    const nvidia = manifest(dir, 'nvidia_icd.json', 'libGLX_nvidia.so.0');
    const error = explainNoAdapter({ VK_DRIVER_FILES: nvidia }, 'linux', [dir]); // a library path holding nothing
    expect(error).not.toBeInstanceOf(NoGpuAdapterError);
    expect(error.message).toBe(
      'no WebGPU adapter: a Vulkan driver is installed, but libvulkan.so.1, libGLX.so.0, libGLdispatch.so.0 are not on the library path (Debian/Ubuntu: apt-get install libvulkan1 libglx0 libglvnd0; or put them in LD_LIBRARY_PATH)',
    );
  });
});

describe('--backend webgpu without a Vulkan driver', () => {
  it('fails in one line that says so and names --backend, before loading Dawn', () => {
    const dumpTo = mkdtempSync(path.join(os.tmpdir(), 'saev-no-gpu-'));
    const r = spawnSync(process.execPath, [BIN, 'activations', 'extract', '--backend', 'webgpu', '--dump-to', dumpTo], {
      encoding: 'utf8',
      env: { ...process.env, SAEV_BACKEND: '', VK_DRIVER_FILES: path.join(dumpTo, 'missing.json') },
    });
    expect(r.status).toBe(1);
    const errors = r.stderr.split('\n').filter((line) => /error|warning|\bat /i.test(line));
    expect(errors).toEqual([
      `Error: backend: could not load the 'webgpu' backend (webgpu: ${NO_VULKAN_DRIVER}); --backend auto picks whichever works`,
    ]);
  });
});

describe('auto with only a software adapter (Mesa llvmpipe)', () => {
  const software = getNoHardwareGpuReason() !== NO_VULKAN_DRIVER && process.platform === 'linux';
  it.runIf(software)('does not pick it, and does not count it as a failure worth a log line', () => {
    const script =
      "const { initBackend } = await import('./dist/src/backend.js'); const i = await initBackend('auto'); console.log(JSON.stringify({ name: i.name, skipped: i.skipped, failed: i.failed }));";
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
      encoding: 'utf8',
      env: { ...process.env, SAEV_BACKEND: '' },
    });
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      name: string;
      skipped: string[];
      failed: string[];
    };
    expect(info.name).not.toBe('webgpu');
    expect(info.skipped.find((s) => s.startsWith('webgpu:'))).toMatch(
      /^webgpu: (only a software adapter|no WebGPU adapter|only a software Vulkan driver)/,
    );
    expect(info.failed.filter((s) => s.startsWith('webgpu:'))).toEqual([]);
  });
});
