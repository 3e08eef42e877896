/**
 * Model-only forward throughput in one process on one backend: builds a
 * family architecture with seeded random weights, records the requested
 * blocks through the multi-output recorder, and times `reps` forward passes
 * of a fixed batch after `warmup` untimed ones. Prints one JSON line:
 * `{"backend", "family", "arch", "batch", "layers", "imgsPerS": [...per rep]}`.
 *
 *   node dist/scripts/bench/forward.js --backend native --family clip --arch ViT-B-16 --batch 8 --reps 3
 */
import { parseArgs } from 'node:util';
import { getFamily } from '../../models/registry.js';
import { initBackend, parseBackendRequest, tf } from '../../src/backend.js';
import { makeRecorder } from '../../src/vit/build-vit.js';
import { resolveLayers } from '../../src/vit/layers.js';
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
  },
});

const backend = await initBackend(parseBackendRequest(values.backend));
const vit = await loadVit(getFamily(values.family!), `random:${values.arch}`);
const depth = vit.arch.depth;
const requested = values.layers === 'all' ? Array.from({ length: depth }, (_, i) => i) : values.layers!.split(',').map(Number);
const { blocks } = resolveLayers(requested, depth);
const recorder = makeRecorder(vit.model, blocks);
const batch = Number(values.batch);
const side = vit.arch.imageSize;
const pixels_BHWC = tf.randomUniform([batch, side, side, 3], -2, 2, 'float32', 1) as tf.Tensor4D;

async function once(): Promise<number> {
  const start = performance.now();
  const acts_BLTD = recordActivations(recorder, pixels_BHWC, vit.arch);
  await acts_BLTD.data(); // include the copy out, as extraction does
  acts_BLTD.dispose();
  return (performance.now() - start) / 1000;
}

for (let i = 0; i < Number(values.warmup); i++) await once();
const imgsPerS: number[] = [];
for (let i = 0; i < Number(values.reps); i++) imgsPerS.push(batch / (await once()));
pixels_BHWC.dispose();
vit.model.dispose();
console.log(JSON.stringify({ backend: backend.name, family: values.family, arch: values.arch, batch, layers: blocks.length, imgsPerS }));
