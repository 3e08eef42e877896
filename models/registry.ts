/** The ViT families `--vit-family` accepts. */
import type { VitFamily } from '../src/vit/family.js';
import { clip } from './clip.js';
import { dinov2 } from './dinov2.js';
import { dinov3 } from './dinov3.js';
import { moondream2 } from './moondream2.js';
import { peCore } from './pe-core.js';
import { peSpatial } from './pe-spatial.js';
import { siglip } from './siglip.js';

/** The families by saev's names (typed by key, so `FAMILIES.clip` is a `VitFamily`, never undefined). */
export const FAMILIES = Object.freeze({
  clip,
  siglip,
  dinov2,
  dinov3,
  moondream2,
  'pe-core': peCore,
  'pe-spatial': peSpatial,
}) satisfies Readonly<Record<string, VitFamily>>;

export type FamilyName = keyof typeof FAMILIES;

export function getFamily(name: string): VitFamily {
  // not 'constructor' and the like
  const family = Object.hasOwn(FAMILIES, name) ? FAMILIES[name as FamilyName] : undefined;
  if (!family) {
    throw new Error(`models: unknown ViT family '${name}' (known: ${Object.keys(FAMILIES).join(', ')})`);
  }
  return family;
}
