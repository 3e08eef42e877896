import { describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import type { BackendInfo } from '../../src/backend.js';
import { chooseBatchSize, getDefaultBatchSize } from '../../src/extract/batch-size.js';

const cpu: BackendInfo = {
  name: 'tensorflow',
  package: 'p',
  version: '1',
  libVersion: '2.21.0',
  oneDnn: true,
  gpu: false,
  adapter: null,
  webgpuKernels: null,
  skipped: [],
  failed: [],
};
const webgpu = (maxStorageBufferBindingSize: number, software: boolean): BackendInfo => ({
  ...cpu,
  name: 'webgpu',
  gpu: !software,
  adapter: {
    vendor: 'v',
    architecture: 'a',
    device: 'd',
    description: 'x',
    software,
    features: [],
    maxStorageBufferBindingSize,
  },
});

describe('getDefaultBatchSize', () => {
  it('is 32 on CPU backends', () => {
    expect(getDefaultBatchSize(cpu, clip.archs['ViT-B-16'], 1)).toBe(32);
    expect(getDefaultBatchSize(cpu, clip.archs['ViT-L-14'], 24)).toBe(32);
  });

  it('on a GPU, the most images whose widest activation fits one binding, at most 256', () => {
    const twoGiB = 2 ** 31;
    expect(getDefaultBatchSize(webgpu(twoGiB, false), clip.archs['ViT-B-16'], 1)).toBe(256); // 197 x 3072 x 4 B = 2.4 MB an image
    // ViT-B/16's MLP activation is 2,420,736 bytes an image: 128 MiB holds 55 of them.
    expect(getDefaultBatchSize(webgpu(2 ** 27, false), clip.archs['ViT-B-16'], 1)).toBe(55);
    const huge = { ...clip.archs['ViT-L-14'], width: 1664, mlpWidth: 8192, imageSize: 224, patchSize: 14 }; // ViT-bigG/14: 257 x 8192 x 4 B
    expect(getDefaultBatchSize(webgpu(twoGiB, false), huge, 1)).toBe(Math.floor(twoGiB / (257 * 8192 * 4)));
  });

  it('on a GPU, as many images as the recorded blocks, stacked for reading back, fit in one binding', () => {
    const twoGiB = 2 ** 31;
    // ViT-B/16, all 12 blocks: 12 x 197 x 768 x 4 B = 7.3 MB an image, 295 fit: still 256.
    expect(getDefaultBatchSize(webgpu(twoGiB, false), clip.archs['ViT-B-16'], 12)).toBe(256);
    // ViT-L/14, all 24 blocks: 24 x 257 x 1024 x 4 B = 25.3 MB an image (its MLP activation: 4.2 MB).
    expect(getDefaultBatchSize(webgpu(twoGiB, false), clip.archs['ViT-L-14'], 24)).toBe(85);
    expect(getDefaultBatchSize(webgpu(twoGiB, false), clip.archs['ViT-L-14'], 4)).toBe(256);
  });

  it('is small on a software adapter, which runs on the CPU', () => {
    expect(getDefaultBatchSize(webgpu(2 ** 27, true), clip.archs['ViT-B-16'], 1)).toBe(8);
  });

  it('takes a requested batch that fits, and refuses one that cannot fit one binding in one line', () => {
    const vitL = clip.archs['ViT-L-14'];
    expect(chooseBatchSize(undefined, webgpu(2 ** 31, false), vitL, 24)).toBe(85);
    expect(chooseBatchSize(85, webgpu(2 ** 31, false), vitL, 24)).toBe(85);
    expect(chooseBatchSize(4096, cpu, vitL, 24)).toBe(4096); // no binding limit off webgpu
    // One block recorded: the MLP activation, 257 x 4096 floats, is the widest; 510 images fit.
    expect(() => chooseBatchSize(600, webgpu(2 ** 31, false), vitL, 1)).toThrow(
      /makes the widest activation of a forward pass a 2\.35 GiB tensor, .* use at most 510$/,
    );
    expect(() => chooseBatchSize(256, webgpu(2 ** 31, false), vitL, 24)).toThrow(
      /^extract: --vit-batch-size 256 makes the 24 recorded blocks stacked for reading back a 6\.02 GiB tensor, over this GPU's 2\.00 GiB storage binding; use at most 85$/,
    );
  });
});
