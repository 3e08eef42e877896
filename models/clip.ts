/**
 * CLIP: open_clip's `VisionTransformer` (DESIGN §5). Pre-norm blocks with
 * `ln_pre`, a bias-free patch convolution, CLS + patches stored, LayerNorm
 * eps 1e-5, QuickGELU for OpenAI weights. Preprocessing: shortest side to the
 * model size (bicubic), centre crop, OpenAI mean/std.
 */
import type { VitArch } from '../src/vit/arch.js';
import type { VitFamily } from '../src/vit/family.js';

const base = { gelu: 'quick', layerNormEps: 1e-5, clsToken: true, nRegisters: 0, patchBias: false, preNorm: true } as const;

const archs: Record<string, VitArch> = {
  'ViT-B-32': { ...base, imageSize: 224, patchSize: 32, width: 768, depth: 12, nHeads: 12, mlpWidth: 3072 },
  'ViT-B-16': { ...base, imageSize: 224, patchSize: 16, width: 768, depth: 12, nHeads: 12, mlpWidth: 3072 },
  'ViT-L-14': { ...base, imageSize: 224, patchSize: 14, width: 1024, depth: 24, nHeads: 16, mlpWidth: 4096 },
  // Tiny and randomly initialised: a demo that runs anywhere in seconds, not a model of anything.
  demo: { ...base, imageSize: 224, patchSize: 32, width: 128, depth: 6, nHeads: 4, mlpWidth: 512 },
};

export const clip: VitFamily = {
  name: 'clip',
  summary: "open_clip VisionTransformer (OpenAI CLIP and its descendants); stores CLS + patches",
  archs,
  demo: { ckpt: 'demo', arch: 'demo', seed: 0 },
  getPreprocess: (arch) => ({
    resize: 'shortest',
    resizeSize: arch.imageSize,
    filter: 'bicubic',
    cropSize: arch.imageSize,
    mean: [0.48145466, 0.4578275, 0.40821073],
    std: [0.26862954, 0.26130258, 0.27577711],
  }),
};
