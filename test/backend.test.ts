import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeBackend, initBackend, parseBackendRequest, tf } from '../src/backend.js';

describe('parseBackendRequest', () => {
  it('accepts the known names case-insensitively and defaults to auto', () => {
    expect(parseBackendRequest(undefined)).toBe('auto');
    expect(parseBackendRequest('')).toBe('auto');
    expect(parseBackendRequest('WASM')).toBe('wasm');
  });

  it('names the choices for an unknown backend', () => {
    expect(() => parseBackendRequest('gpu')).toThrow(
      /unknown backend 'gpu' \(expected one of auto, native, tensorflow, webgpu, wasm, cpu\)/,
    );
  });
});

// Before any backend loads: the native backend turns oneDNN on unless the user said otherwise.
const userOneDnnSetting = process.env.TF_ENABLE_ONEDNN_OPTS;

describe('initBackend', () => {
  it('activates the requested backend (SAEV_BACKEND) and reports its package and version', async () => {
    const info = await initBackend();
    expect(tf.getBackend()).toBe(info.name);
    const requested = parseBackendRequest(process.env.SAEV_BACKEND);
    if (requested === 'native' || requested === 'tensorflow') {
      expect(info.name).toBe('tensorflow');
      expect(info.libVersion).toMatch(/^\d+\.\d+/);
    } else if (requested !== 'auto') {
      expect(info.name).toBe(requested);
    }
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(describeBackend(info)).toContain(info.package);
    if (info.name === 'webgpu') {
      // The adapter is recorded (vendor, device, driver) and says whether it is a GPU at all.
      expect(info.adapter?.description).toBeTruthy();
      expect(info.gpu).toBe(info.adapter?.software === false);
      expect(describeBackend(info)).toContain(info.adapter!.description);
    } else {
      expect(info.adapter).toBeNull();
    }
    if (info.name === 'tensorflow') {
      expect(info.oneDnn).toBe(userOneDnnSetting !== '0');
      expect(describeBackend(info)).toContain(info.oneDnn ? 'oneDNN on' : 'oneDNN off');
    } else {
      expect(info.oneDnn).toBeNull();
    }
    // Once chosen, the backend stays: a conflicting request is an error, not a silent switch.
    const other = info.name === 'cpu' ? 'wasm' : 'cpu';
    await expect(initBackend(other)).rejects.toThrow(/already active/);
  });
});

/** Where tfjs-node's addon would be, if it was built (npm ci's postinstall builds it). */
function nativeAddonPath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const packageJson = require.resolve('@tensorflow/tfjs-node/package.json');
    return (createRequire(packageJson)('@mapbox/node-pre-gyp') as { find(p: string): string }).find(packageJson);
  } catch {
    return null;
  }
}

describe('initBackend under auto', () => {
  const addon = nativeAddonPath();
  it.runIf(addon && existsSync(addon))(
    'picks the native build where it exists (or a GPU); a build that fails to load fails here',
    () => {
      const script =
        "const { initBackend } = await import('./dist/src/backend.js'); const i = await initBackend('auto'); console.log(JSON.stringify(i));";
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: path.resolve(__dirname, '..'),
        encoding: 'utf8',
        env: { ...process.env, SAEV_BACKEND: '' },
      });
      expect(r.status, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout.trim().split('\n').pop()!) as { name: string; gpu: boolean; failed: string[] };
      if (!info.gpu)
        expect(info.name, `auto fell back past a built native addon: ${info.failed.join('; ')}`).toBe('tensorflow');
    },
  );
});
