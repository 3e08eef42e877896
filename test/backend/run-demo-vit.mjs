// Child process of native-gpu.test.ts: activates one native package (argv[2]) in a process of its own, since
// tfjs-node and tfjs-node-gpu both register the 'tensorflow' backend, runs the embedded demo ViT on a fixed input
// and writes every block's stored tokens as raw float32 to argv[3]; one JSON line on stdout says what ran. It
// activates the package itself rather than through initBackend, whose order prefers the GPU package whenever it loads.
// Uses the built dist/.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [pkg, outPath] = process.argv.slice(2);
const { FAMILIES, loadVit, makeRecorder, recordActivations, registerFileRouters, tf } = await import(
  new URL('../../dist/src/index.js', import.meta.url).href
);

createRequire(import.meta.url)(pkg); // registers 'tensorflow' on the tfjs-core that dist/ uses
if (!(await tf.setBackend('tensorflow'))) throw new Error(`native-gpu test: ${pkg} did not activate 'tensorflow'`);
registerFileRouters();
const backend = tf.backend();

const vit = await loadVit(FAMILIES.clip, 'demo');
const { imageSize, depth } = vit.arch;
const nImgs = 2;
// A fixed, smooth, normalised-range input: identical bytes in both processes.
const values = new Float32Array(nImgs * imageSize * imageSize * 3).map(
  (_, i) => 1.5 * Math.sin(i * 0.0137) * Math.cos(i * 0.00071),
);
const pixels_BHWC = tf.tensor4d(values, [nImgs, imageSize, imageSize, 3]);
const recorder = makeRecorder(
  vit.model,
  Array.from({ length: depth }, (_, i) => i),
);
const t = performance.now();
const acts_BLTD = recordActivations(recorder, pixels_BHWC, vit.arch);
const acts = await acts_BLTD.data();
const ms = performance.now() - t;
writeFileSync(outPath, Buffer.from(acts.buffer, acts.byteOffset, acts.byteLength));
// The CUDA libraries mapped into this process, by real path (none for the CPU build).
const mapped = readFileSync('/proc/self/maps', 'utf8')
  .split('\n')
  .map((line) => line.split(/\s+/)[5] ?? '');
const cudaLibs = [...new Set(mapped.filter((file) => /\/nvidia\/\w+\/lib\//.test(file)))];
console.log(
  JSON.stringify({
    pkg,
    tfVersion: backend.binding.TF_Version,
    gpu: backend.binding.isUsingGpuDevice(),
    shape: acts_BLTD.shape,
    ms: Math.round(ms),
    cudaLibs,
  }),
);
