// preprocessPixels against the upstream transform's float32 output at the parity model sizes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getFamily } from '../../models/registry.js';
import { preprocessPixels } from '../../src/images/preprocess-pixels.js';
import type { VitArch } from '../../src/vit/arch.js';
import { loadCase } from '../convert/parity-helpers.js';

describe('preprocessPixels', () => {
  it('gives the pixels upstream fed the dinov2 parity model (decode, resize, crop, normalise)', async () => {
    const parity = loadCase('dinov2');
    const spec = getFamily('dinov2').getPreprocess({ imageSize: parity.image_size } as VitArch);
    const photo = parity.photos[1];
    const pixels = await preprocessPixels(
      readFileSync(new URL(`../../src/demo/images/${photo}`, import.meta.url)),
      photo,
      spec,
    );
    const perImg = parity.image_size * parity.image_size * 3;
    expect(pixels.length).toBe(perImg);
    const upstream = parity.pixels.subarray(perImg, 2 * perImg);
    let maxAbs = 0;
    for (let i = 0; i < perImg; i++) maxAbs = Math.max(maxAbs, Math.abs(pixels[i] - upstream[i]));
    expect(maxAbs).toBeLessThan(1e-6);
  });

  it('names the file in a decode error', async () => {
    const spec = getFamily('clip').getPreprocess({ imageSize: 32 } as VitArch);
    await expect(preprocessPixels(new Uint8Array([1, 2, 3]), 'broken.jpg', spec)).rejects.toThrow(
      /^image: cannot decode broken\.jpg/,
    );
  });
});
