/**
 * `pe-core`: Perception Encoder Core (PE-Core-T16-384 ... G14-448), the
 * CLIP-aligned towers; what PE shares is in perception-encoder.ts. Stores
 * CLS + patches (G: patches only, it has no CLS).
 */
import type { VitArch } from '../src/vit/arch.js';
import type { VitFamily } from '../src/vit/family.js';
import { getPePreprocess, makePeArchSource, PE_BASE, PE_FORMATS, PE_SIZES } from './perception-encoder.js';

const archs: Record<string, VitArch> = {
  'PE-Core-T16-384': { ...PE_BASE, ...PE_SIZES.T, imageSize: 384, patchSize: 16 },
  'PE-Core-S16-384': { ...PE_BASE, ...PE_SIZES.S, imageSize: 384, patchSize: 16 },
  'PE-Core-B16-224': { ...PE_BASE, ...PE_SIZES.B, imageSize: 224, patchSize: 16 },
  'PE-Core-L14-336': { ...PE_BASE, ...PE_SIZES.L, imageSize: 336, patchSize: 14 },
  'PE-Core-G14-448': { ...PE_BASE, ...PE_SIZES.G, imageSize: 448, patchSize: 14, clsToken: false },
};

export const peCore: VitFamily = {
  name: 'pe-core',
  summary: "Meta's Perception Encoder Core (timm vit_pe_core_* or Meta's .pt); stores CLS + patches",
  archs,
  demo: null,
  getPreprocess: getPePreprocess,
  checkpoint: { formats: PE_FORMATS, fixes: [] },
  archSource: makePeArchSource('core'),
};
