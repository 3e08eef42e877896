// Our decode + family preprocessing against the upstream transforms on real photos
// (scripts/make-parity-fixtures.py: open_clip's image_transform for clip and siglip, saev's torchvision v2
// pipelines for dinov2 and moondream2, DINOv3's make_transform resizing the PIL image for dinov3, timm's
// data config and create_transform for pe-core and pe-spatial, all on PIL images converted to RGB first, as
// saev's loaders do).
// Real model sizes: the 8-bit image after resize and crop must be identical (recovered exactly from upstream's
// normalised tensor). Tiny model sizes: the normalised float32 pixels the parity models ran on, within 1e-6.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import { dinov2 } from '../../models/dinov2.js';
import { dinov3 } from '../../models/dinov3.js';
import { moondream2 } from '../../models/moondream2.js';
import { peCore } from '../../models/pe-core.js';
import { getFamily } from '../../models/registry.js';
import { siglip } from '../../models/siglip.js';
import { decodeRgb } from '../../src/images/decode.js';
import { getInputSize, normalizeInto, PreprocessSpec, resizeAndCrop } from '../../src/images/preprocess.js';
import type { VitArch } from '../../src/vit/arch.js';
import { loadCase, PARITY_DIR } from '../convert/parity-helpers.js';

const PHOTOS_DIR = new URL('../../src/demo/images/', import.meta.url).pathname;

interface PixelEntry {
  pipeline: string;
  photo: string;
  file: string;
  height: number;
  width: number;
}
const manifest = JSON.parse(readFileSync(`${PARITY_DIR}preprocess/manifest.json`, 'utf8')) as PixelEntry[];

const PIPELINES: Record<string, PreprocessSpec> = {
  'clip-224': clip.getPreprocess(clip.archs['ViT-B-16']),
  'siglip-256': siglip.getPreprocess(siglip.archs['ViT-B-16-SigLIP-256']),
  'dinov2-224': dinov2.getPreprocess(dinov2.archs.dinov2_vitb14_reg),
  'moondream2-378': moondream2.getPreprocess(moondream2.archs['2024-08-26']),
  'dinov3-256': dinov3.getPreprocess(dinov3.archs.dinov3_vitb16),
  'pe-core-224': peCore.getPreprocess(peCore.archs['PE-Core-B16-224']),
};

describe('family preprocessing equals upstream on real photos (8-bit, real sizes)', () => {
  it.each(manifest.map((m) => [m.pipeline, m.photo, m] as const))('%s %s', async (pipeline, photo, entry) => {
    const spec = PIPELINES[pipeline];
    const image = resizeAndCrop(await decodeRgb(readFileSync(`${PHOTOS_DIR}${photo}`), photo), spec);
    expect([image.width, image.height]).toEqual([entry.width, entry.height]);
    const expected = readFileSync(`${PARITY_DIR}preprocess/${entry.file}`);
    let differing = 0;
    for (let i = 0; i < expected.length; i++) if (image.data[i] !== expected[i]) differing++;
    expect(differing).toBe(0);
  });
});

describe('family preprocessing equals upstream at the parity models sizes (normalised float32)', () => {
  it.each(['clip-quickgelu', 'siglip', 'dinov2', 'moondream2', 'dinov3', 'pe-core', 'pe-spatial'])(
    '%s',
    async (name) => {
      const parity = loadCase(name);
      const family = getFamily(parity.family);
      // Only imageSize matters to preprocessing.
      const spec = family.getPreprocess({ imageSize: parity.image_size } as VitArch);
      const side = getInputSize(spec);
      expect(side).toBe(parity.image_size);
      const perImg = side * side * 3;
      const ours = new Float32Array(parity.photos.length * perImg);
      for (const [k, photo] of parity.photos.entries()) {
        const image = resizeAndCrop(await decodeRgb(readFileSync(`${PHOTOS_DIR}${photo}`), photo), spec);
        normalizeInto(image, spec, ours, k * perImg);
      }
      let maxAbs = 0;
      for (let i = 0; i < ours.length; i++) maxAbs = Math.max(maxAbs, Math.abs(ours[i] - parity.pixels[i]));
      expect(maxAbs).toBeLessThan(1e-6);
    },
  );
});
