/**
 * `fake`: deterministic synthetic images (smooth colour gradients plus seeded
 * noise, alternating landscape and portrait sizes), for tests and
 * benchmarks that must not depend on files. Image i is the same everywhere.
 */
import { pythonDataclassRepr } from '../python/python-repr.js';
import type { RgbImage } from '../images/resample.js';
import { makeUniform } from '../random.js';
import type { ImageDataset } from './dataset.js';

export function makeFakeImage(i: number): RgbImage {
  const [width, height] = i % 2 === 0 ? [320, 240] : [240, 320];
  const uniform = makeUniform(0x5aeb + i);
  const phase = uniform() * Math.PI * 2;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const noise = (uniform() - 0.5) * 40;
      data[o] = Math.max(0, Math.min(255, Math.round(127 + 100 * Math.sin(phase + x / 30) + noise)));
      data[o + 1] = Math.max(0, Math.min(255, Math.round((255 * y) / height + noise)));
      data[o + 2] = Math.max(0, Math.min(255, Math.round(127 + 100 * Math.cos(phase + (x + y) / 45) + noise)));
    }
  }
  return { width, height, data };
}

export function makeFakeDataset(nImgs: number): ImageDataset {
  if (!Number.isInteger(nImgs) || nImgs < 1)
    throw new Error(`data: fake dataset needs a positive image count, found ${nImgs}`);
  return {
    repr: pythonDataclassRepr('FakeDataset', [['n_imgs', nImgs]]),
    nImgs,
    summary: `${nImgs} synthetic images`,
    getImage: async (i) => makeFakeImage(i),
  };
}
