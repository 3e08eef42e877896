// Which files of a dependency the bundle keeps (test/bundle/bundle.test.ts runs the pruned tree).
import { describe, expect, it } from 'vitest';
import { keepPackageFile } from '../../scripts/bundle/prune.js';

const keep = (name: string, relPath: string, main?: string) => keepPackageFile(name, relPath, main, 'linux-x64');

describe('keepPackageFile', () => {
  it('keeps code, package.json and licences; drops maps, declarations, sources, docs and dotfiles', () => {
    const kept = [
      'package.json',
      'index.js',
      'lib/a.cjs',
      'lib/b.mjs',
      'lib/data.json',
      'LICENSE',
      'LICENSE-MIT.txt',
      'licence.md',
      'NOTICE',
      'lib/vendor/LICENSE',
    ];
    const dropped = [
      'index.js.map',
      'index.d.ts',
      'types.d.mts',
      'src/a.ts',
      'README.md',
      'CHANGELOG',
      'History.md',
      'docs/api.js',
      'test/a.js',
      'tsconfig.json',
      '.npmignore',
      '.github/x.yml',
      'a.tsbuildinfo',
    ];
    for (const f of kept) expect(keep('hyparquet', f), f).toBe(true);
    for (const f of dropped) expect(keep('hyparquet', f), f).toBe(false);
  });

  it('tfjs: only the Node entry point named by main, and the wasm binaries', () => {
    const main = 'dist/tf-backend-wasm.node.js';
    expect(keep('@tensorflow/tfjs-backend-wasm', 'dist/tf-backend-wasm.node.js', main)).toBe(true);
    expect(keep('@tensorflow/tfjs-backend-wasm', 'dist/tfjs-backend-wasm-simd.wasm', main)).toBe(true);
    expect(keep('@tensorflow/tfjs-backend-wasm', 'package.json', main)).toBe(true);
    const browserOrEsm = [
      'dist/tf-backend-wasm.js',
      'dist/tf-backend-wasm.min.js',
      'dist/tf-backend-wasm.es2017.js',
      'dist/index.js',
      'dist/kernels/Add.js',
      'wasm-out/tfjs-backend-wasm.wasm',
      'wasm-out/tfjs-backend-wasm.js',
    ];
    for (const f of browserOrEsm) expect(keep('@tensorflow/tfjs-backend-wasm', f, main), f).toBe(false);
    expect(keep('@tensorflow/tfjs', 'dist/tf.node.js', 'dist/tf.node.js')).toBe(true);
    expect(keep('@tensorflow/tfjs', 'dist/tf.min.js', 'dist/tf.node.js')).toBe(false);
  });

  it('tfjs-node (--with-native): its CommonJS dist without tests, the addon and the two libraries it links', () => {
    const main = 'dist/index.js';
    const kept = [
      'package.json',
      'LICENSE',
      'dist/index.js',
      'dist/kernels/_FusedMatMul.js',
      'dist/proto/api_pb.js',
      'lib/napi-v8/tfjs_binding.node',
      'deps/lib/libtensorflow_cc.so.2',
      'deps/lib/libtensorflow_framework.so.2',
    ];
    const dropped = [
      'dist/index.d.ts',
      'dist/index_test.js',
      'dist/run_tests.js',
      'dist/io/file_system_test.js',
      'deps/lib/libtensorflow.so',
      'deps/lib/libtensorflow.so.2.9.1',
      'deps/lib/libtensorflow_framework.so',
      'deps/include',
      'build-tmp-napi-v8/Release/tfjs_binding.node',
      'binding/tfjs_backend.cc',
      'scripts/install.js',
      'python/pip_install.sh',
    ];
    for (const f of kept) expect(keep('@tensorflow/tfjs-node', f, main), f).toBe(true);
    for (const f of dropped) expect(keep('@tensorflow/tfjs-node', f, main), f).toBe(false);
  });

  it('webgpu: the linux-x64 Dawn binary, not the other platforms or the build scripts', () => {
    expect(keep('webgpu', 'index.js')).toBe(true);
    expect(keep('webgpu', 'dist/linux-x64/dawn.node')).toBe(true);
    const others = [
      'dist/linux-arm64/dawn.node',
      'dist/darwin-universal/dawn.node',
      'dist/win32-x64/dawn.node',
      'build/postinstall.js',
      'types.d.ts',
    ];
    for (const f of others) expect(keep('webgpu', f), f).toBe(false);
  });
});
