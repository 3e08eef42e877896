// The bundle's package set: Node's resolution over the lock's paths, platform filtering, the
// left-out native subtree and declaration-only packages, on hand-built locks; then the real lock.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProductionClosure, type LockEntry, type Lockfile } from '../../scripts/bundle/closure.js';

const LINUX_X64 = { os: 'linux', cpu: 'x64', libc: 'glibc' };
const lockOf = (packages: Record<string, LockEntry>): Lockfile => ({ lockfileVersion: 3, packages });
const keysOf = (lock: Lockfile) => getProductionClosure(lock, LINUX_X64).map((p) => `${p.key}@${p.version}`);

describe('getProductionClosure', () => {
  it('follows dependencies as Node resolves them: nested copies first, then up to the root', () => {
    const lock = lockOf({
      '': { dependencies: { a: '^1', b: '^1' }, devDependencies: { vitest: '^3' } } as LockEntry,
      'node_modules/a': { version: '1.0.0', dependencies: { c: '^2' } },
      'node_modules/a/node_modules/c': { version: '2.0.0', dependencies: { d: '*' } },
      'node_modules/b': { version: '1.1.0', dependencies: { c: '^1' } },
      'node_modules/c': { version: '1.0.0' },
      'node_modules/d': { version: '4.0.0' },
      'node_modules/vitest': { version: '3.2.7' },
    });
    expect(keysOf(lock)).toEqual([
      'node_modules/a@1.0.0',
      'node_modules/a/node_modules/c@2.0.0',
      'node_modules/b@1.1.0',
      'node_modules/c@1.0.0',
      'node_modules/d@4.0.0',
    ]);
  });

  it('keeps only the platform packages that fit linux-x64 glibc, and optional ones only when locked', () => {
    const lock = lockOf({
      '': { dependencies: { sharp: '^0.34' } },
      'node_modules/sharp': {
        version: '0.34.5',
        dependencies: { 'not-windows': '1' },
        optionalDependencies: {
          '@img/sharp-linux-x64': '1',
          '@img/sharp-linuxmusl-x64': '1',
          '@img/sharp-darwin-arm64': '1',
          '@img/sharp-wasm32': '1',
        },
      },
      'node_modules/@img/sharp-linux-x64': {
        version: '0.34.5',
        optional: true,
        os: ['linux'],
        cpu: ['x64'],
        libc: ['glibc'],
      },
      'node_modules/@img/sharp-linuxmusl-x64': {
        version: '0.34.5',
        optional: true,
        os: ['linux'],
        cpu: ['x64'],
        libc: ['musl'],
      },
      'node_modules/@img/sharp-darwin-arm64': { version: '0.34.5', optional: true, os: ['darwin'], cpu: ['arm64'] },
      'node_modules/not-windows': { version: '1.0.0', os: ['!win32'] },
    });
    expect(keysOf(lock)).toEqual([
      'node_modules/@img/sharp-linux-x64@0.34.5',
      'node_modules/not-windows@1.0.0',
      'node_modules/sharp@0.34.5',
    ]);
  });

  it('leaves out the native TensorFlow packages with what only they need, and declaration-only packages', () => {
    const lock = lockOf({
      '': {
        dependencies: { '@tensorflow/tfjs-core': '4', '@tensorflow/tfjs-node': '4' },
        optionalDependencies: { '@tensorflow/tfjs-node': '4', missing: '1' },
      },
      'node_modules/@tensorflow/tfjs-core': {
        version: '4.22.0',
        dependencies: { '@types/long': '4', long: '4', '@webgpu/types': '0.1' },
      },
      'node_modules/@tensorflow/tfjs-node': {
        version: '4.22.0',
        dependencies: { '@mapbox/node-pre-gyp': '1', long: '4' },
      },
      'node_modules/@mapbox/node-pre-gyp': { version: '1.0.9' },
      'node_modules/@types/long': { version: '4.0.2' },
      'node_modules/@webgpu/types': { version: '0.1.38' },
      'node_modules/long': { version: '4.0.0' },
    });
    expect(keysOf(lock)).toEqual(['node_modules/@tensorflow/tfjs-core@4.22.0', 'node_modules/long@4.0.0']);
    // --with-native: the CPU package and what it needs come in; its CUDA twin stays out.
    const withNative = getProductionClosure(lock, LINUX_X64, ['@tensorflow/tfjs-node']).map((p) => p.key);
    expect(withNative).toEqual([
      'node_modules/@mapbox/node-pre-gyp',
      'node_modules/@tensorflow/tfjs-core',
      'node_modules/@tensorflow/tfjs-node',
      'node_modules/long',
    ]);
  });

  it('includes required peers; a required package missing from the lock is one line', () => {
    const lock = lockOf({
      '': { dependencies: { backend: '1' } },
      'node_modules/backend': {
        version: '1.0.0',
        peerDependencies: { core: '1', extra: '1' },
        peerDependenciesMeta: { extra: { optional: true } },
      },
      'node_modules/core': { version: '1.0.0', dependencies: { gone: '1' } },
    });
    expect(() => keysOf(lock)).toThrow(
      /^bundle: package-lock.json has no gone \(needed by node_modules\/core\); run npm install$/,
    );
    delete (lock.packages!['node_modules/core'] as LockEntry).dependencies;
    expect(keysOf(lock)).toEqual(['node_modules/backend@1.0.0', 'node_modules/core@1.0.0']);
    expect(() => getProductionClosure({ lockfileVersion: 1 }, LINUX_X64)).toThrow(
      /^bundle: package-lock.json \(lockfileVersion 1\) has no 'packages' map/,
    );
  });

  it("on this repository's lock: the runtime packages are in, native TensorFlow and dev tools are out", () => {
    const lock = JSON.parse(readFileSync(path.resolve(__dirname, '../../package-lock.json'), 'utf8')) as Lockfile;
    const names = new Set(getProductionClosure(lock, LINUX_X64).map((p) => p.name));
    const wanted = [
      '@oclif/core',
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
      'webgpu',
      'hyparquet',
      'hyparquet-compressors',
      'sharp',
      '@img/sharp-linux-x64',
      '@img/sharp-libvips-linux-x64',
    ];
    const unwanted = [
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-node-gpu',
      '@mapbox/node-pre-gyp',
      'vitest',
      'typescript',
      'oclif',
      '@img/sharp-linuxmusl-x64',
      '@types/node',
    ];
    for (const name of wanted) expect(names.has(name), name).toBe(true);
    for (const name of unwanted) expect(names.has(name), name).toBe(false);
  });
});
