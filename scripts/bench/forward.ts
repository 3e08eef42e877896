/**
 * Model-only forward throughput in one process on one backend: builds a
 * family architecture with seeded random weights, records the requested
 * blocks through the multi-output recorder, and times `reps` forward passes
 * of a fixed batch after `warmup` untimed ones. Prints one JSON line per
 * batch size (`--batch 32,128` measures both with one model):
 * `{"backend", "family", "arch", "batch", "layers", "imgsPerS": [...per rep]}`.
 * On webgpu, `--kernels generic` runs tfjs's own kernels instead of the project's, `--tile` forces one
 * matmul tile shape, and `--profile` adds the GPU time per kernel name of one more pass (timestamp queries).
 *
 *   node dist/scripts/bench/forward.js --backend native --family clip --arch ViT-B-16 --batch 8 --reps 3
 */
import { parseArgs } from 'node:util';
import { getFamily } from '../../models/registry.js';
import { initBackend, parseBackendRequest, takeBackendError, tf } from '../../src/backend.js';
import { makeRecorder } from '../../src/vit/build-vit.js';
import { resolveLayers } from '../../src/vit/recorded-blocks.js';
import { loadVit } from '../../src/vit/load-vit.js';
import { recordActivations } from '../../src/vit/tokens.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    family: { type: 'string', default: 'clip' },
    arch: { type: 'string', default: 'ViT-B-16' },
    batch: { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    layers: { type: 'string', default: 'all' },
    kernels: { type: 'string', default: 'fused' },
    tile: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});

if (values.kernels === 'generic') process.env.SAEV_WEBGPU_KERNELS = 'generic'; // as a user would ask for them
const backend = await initBackend(parseBackendRequest(values.backend));
if (values.tile) (await import('../../src/webgpu/kernels.js')).setMatMulTileOverride(values.tile);
const vit = await loadVit(getFamily(values.family!), `random:${values.arch}`);
const depth = vit.arch.depth;
const requested =
  values.layers === 'all' ? Array.from({ length: depth }, (_, i) => i) : values.layers!.split(',').map(Number);
const { blocks } = resolveLayers(requested, depth);
const recorder = makeRecorder(vit.model, blocks);
const side = vit.arch.imageSize;
const options = { kernels: values.kernels, tile: values.tile ?? null };

/** Seconds of one pass over `pixels_BHWC`, the copy of the recorded blocks to the host included, as extraction does. */
async function once(pixels_BHWC: tf.Tensor4D): Promise<number> {
  const start = performance.now();
  const acts_BLTD = recordActivations(recorder, pixels_BHWC, vit.arch);
  await acts_BLTD.data();
  acts_BLTD.dispose();
  return (performance.now() - start) / 1000;
}

/** GPU milliseconds per kernel name over one pass, largest first. */
async function profileOnce(pixels_BHWC: tf.Tensor4D): Promise<Record<string, number>> {
  const profile = await tf.profile(() => recordActivations(recorder, pixels_BHWC, vit.arch));
  tf.dispose(profile.result as tf.Tensor);
  const perKernel: Record<string, number> = {};
  for (const kernel of profile.kernels)
    perKernel[kernel.name] = (perKernel[kernel.name] ?? 0) + (kernel.kernelTimeMs as number);
  return Object.fromEntries(
    Object.entries(perKernel)
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => [name, Number(ms.toFixed(3))]),
  );
}

for (const batch of values.batch!.split(',').map(Number)) {
  const pixels_BHWC = tf.randomUniform([batch, side, side, 3], -2, 2, 'float32', 1) as tf.Tensor4D;
  for (let i = 0; i < Number(values.warmup); i++) await once(pixels_BHWC);
  const imgsPerS: number[] = [];
  for (let i = 0; i < Number(values.reps); i++) imgsPerS.push(batch / (await once(pixels_BHWC)));
  const kernelMs = values.profile ? await profileOnce(pixels_BHWC) : undefined;
  pixels_BHWC.dispose();
  const gpuError = takeBackendError();
  if (gpuError) throw new Error(`forward: the GPU failed at batch ${batch} (${gpuError})`);
  console.log(
    JSON.stringify({
      backend: backend.name,
      family: values.family,
      arch: values.arch,
      batch,
      layers: blocks.length,
      ...options,
      imgsPerS,
      kernelMs,
    }),
  );
}
vit.model.dispose();
