/**
 * `pe-spatial`: Perception Encoder Spatial (PE-Spatial-T16-512 ... G14-448),
 * the dense-feature towers distilled from SAM 2.1, no pooling head; what PE
 * shares is in perception-encoder.ts. Stores CLS + patches (G: patches
 * only, it has no CLS, and LayerScale).
 */
import type { VitArch } from '../src/vit/arch.js';
import type { VitFamily } from '../src/vit/family.js';
import { getPePreprocess, makePeArchSource, PE_BASE, PE_FORMATS, PE_SIZES } from './perception-encoder.js';

const archs: Record<string, VitArch> = {
  'PE-Spatial-T16-512': { ...PE_BASE, ...PE_SIZES.T, imageSize: 512, patchSize: 16 },
  'PE-Spatial-S16-512': { ...PE_BASE, ...PE_SIZES.S, imageSize: 512, patchSize: 16 },
  'PE-Spatial-B16-512': { ...PE_BASE, ...PE_SIZES.B, imageSize: 512, patchSize: 16 },
  'PE-Spatial-L14-448': { ...PE_BASE, ...PE_SIZES.L, imageSize: 448, patchSize: 14 },
  'PE-Spatial-G14-448': { ...PE_BASE, ...PE_SIZES.G, imageSize: 448, patchSize: 14, clsToken: false, layerScale: true },
};

export const peSpatial: VitFamily = {
  name: 'pe-spatial',
  summary: "Meta's Perception Encoder Spatial (timm vit_pe_spatial_* or Meta's .pt); stores CLS + patches",
  archs,
  demo: null,
  getPreprocess: getPePreprocess,
  checkpoint: { formats: PE_FORMATS, fixes: [] },
  archSource: makePeArchSource('spatial'),
};
