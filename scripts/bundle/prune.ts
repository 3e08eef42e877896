/**
 * Which files of a dependency the offline bundle keeps: what Node can load on the target platform,
 * plus licences. test/bundle/bundle.test.ts runs the pruned tree to prove nothing needed is gone.
 */

const LICENCE = /^(licen[cs]e|notice|copying|authors)(\.|-|$)/i;
/** Never loaded by Node: source maps, declarations, TypeScript sources, docs, build metadata, dotfiles. */
const DROPPED_FILE =
  /(\.map|\.[cm]?tsx?|\.md|\.markdown|\.tsbuildinfo|\.html)$|^(changelog|history)(\.|$)|^\.|^tsconfig.*\.json$/i;
const DROPPED_DIR = new Set(['test', 'tests', '__tests__', 'doc', 'docs', 'example', 'examples', 'benchmark']);

/**
 * tfjs packages: Node loads `main` (`dist/tf-*.node.js`, one self-contained CommonJS file per package)
 * and nothing else of them but the wasm backend's `dist/*.wasm` (src/backend.ts points setWasmPaths at
 * dist/). The rest is ESM sources and browser bundles (`tf.min.js`, `tf.es2017.js`, ...), ~90% of them.
 */
function keepTfjsFile(relPath: string, main: string | undefined): boolean {
  return relPath === (main ?? 'index.js').replace(/^\.\//, '') || /^dist\/[^/]+\.wasm$/.test(relPath);
}

/**
 * The native backend, `@tensorflow/tfjs-node` (`--with-native`): its CommonJS `dist/` without tests, the
 * addon node-pre-gyp finds under `lib/napi-v<N>/`, and the two libraries the addon links from `deps/lib/`
 * (the other names there link to these two; `deps/include` and the build folders serve the build only).
 */
export const NATIVE_LIBRARIES = ['deps/lib/libtensorflow_cc.so.2', 'deps/lib/libtensorflow_framework.so.2'];
function keepTfjsNodeFile(relPath: string): boolean {
  if (relPath.startsWith('dist/')) return /\.js$/.test(relPath) && !/(_test|\/run_tests)\.js$/.test(relPath);
  return /^lib\/napi-v\d+\/tfjs_binding\.node$/.test(relPath) || NATIVE_LIBRARIES.includes(relPath);
}

/** `webgpu` (Dawn): only `dist/<platform>/dawn.node` of its prebuilt binaries, none of its build scripts. */
function keepWebgpuFile(relPath: string, platform: string): boolean {
  if (relPath.startsWith('build/')) return false;
  return !relPath.startsWith('dist/') || relPath.startsWith(`dist/${platform}/`);
}

/**
 * Whether the bundle keeps `relPath` (POSIX, relative to the package's folder, outside its nested
 * node_modules) of package `name`, whose package.json has `main`; `platform` is e.g. `linux-x64`.
 */
export function keepPackageFile(name: string, relPath: string, main: string | undefined, platform: string): boolean {
  const parts = relPath.split('/');
  const base = parts[parts.length - 1];
  if (relPath === 'package.json' || LICENCE.test(base)) return true;
  if (parts.slice(0, -1).some((dir) => DROPPED_DIR.has(dir) || dir.startsWith('.'))) return false;
  if (name === '@tensorflow/tfjs-node') return keepTfjsNodeFile(relPath);
  if (name.startsWith('@tensorflow/')) return keepTfjsFile(relPath, main);
  if (name === 'webgpu' && !keepWebgpuFile(relPath, platform)) return false;
  return !DROPPED_FILE.test(base);
}
