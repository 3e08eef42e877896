// Naming the libraries an installed Vulkan driver needs and the library path lacks (src/webgpu/vulkan-libraries.ts).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeMissingVulkanLibraries, getLibraryDirs } from '../../src/webgpu/vulkan-libraries.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'saev-vulkan-libs-'));

function manifest(name: string, library: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library } }));
  return file;
}

/** A folder holding (empty stand-ins for) these libraries. */
function libDir(name: string, libraries: string[]): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const library of libraries) writeFileSync(path.join(dir, library), '');
  return dir;
}

describe('describeMissingVulkanLibraries', () => {
  const mesa = manifest('intel_icd.x86_64.json', 'libvulkan_intel.so');
  const nvidia = manifest('nvidia_icd.json', 'libGLX_nvidia.so.0');

  it('names the Vulkan loader and its package when a driver is installed without it', () => {
    expect(describeMissingVulkanLibraries([mesa], [libDir('empty', [])])).toBe(
      'a Vulkan driver is installed, but libvulkan.so.1 is not on the library path (Debian/Ubuntu: apt-get install libvulkan1; or put it in LD_LIBRARY_PATH)',
    );
  });

  it("names libglvnd's libraries for NVIDIA's driver, which links them", () => {
    const loaderOnly = libDir('loader', ['libvulkan.so.1']);
    expect(describeMissingVulkanLibraries([mesa, nvidia], [loaderOnly])).toBe(
      'a Vulkan driver is installed, but libGLX.so.0, libGLdispatch.so.0 are not on the library path (Debian/Ubuntu: apt-get install libglx0 libglvnd0; or put them in LD_LIBRARY_PATH)',
    );
    expect(describeMissingVulkanLibraries([mesa], [loaderOnly])).toBeNull(); // Mesa's drivers need no libglvnd
    const glvnd = libDir('glvnd', ['libGLX.so.0', 'libGLdispatch.so.0']);
    expect(describeMissingVulkanLibraries([nvidia], [loaderOnly, glvnd])).toBeNull();
  });

  it('says nothing without a driver: a machine with no Vulkan at all gets no hint to install part of it', () => {
    expect(describeMissingVulkanLibraries([], [libDir('none', [])])).toBeNull();
  });
});

describe('getLibraryDirs', () => {
  it('reads LD_LIBRARY_PATH first, then ld.so.conf and the files it includes, then the default folders', () => {
    const confDir = path.join(tmp, 'ld.so.conf.d');
    mkdirSync(confDir);
    writeFileSync(path.join(confDir, 'b-nvidia.conf'), '# the driver\n/opt/nvidia/lib64\n');
    writeFileSync(path.join(confDir, 'a-local.conf'), '/opt/local/lib\n');
    writeFileSync(path.join(confDir, 'ignored.txt'), '/nowhere\n');
    const conf = path.join(tmp, 'ld.so.conf');
    writeFileSync(conf, `include ${confDir}/*.conf\n/opt/top\n`);
    const dirs = getLibraryDirs({ LD_LIBRARY_PATH: '/first:/second' }, conf);
    expect(dirs.slice(0, 5)).toEqual(['/first', '/second', '/opt/local/lib', '/opt/nvidia/lib64', '/opt/top']);
    expect(dirs).not.toContain('/nowhere');
    expect(dirs).toContain('/usr/lib');
  });
});
