/** The ViT families `--vit-family` accepts. */
import type { VitFamily } from '../src/vit/family.js';
import { clip } from './clip.js';
import { dinov2 } from './dinov2.js';
import { moondream2 } from './moondream2.js';
import { siglip } from './siglip.js';

export const FAMILIES: Readonly<Record<string, VitFamily>> = { clip, siglip, dinov2, moondream2 };

export function getFamily(name: string): VitFamily {
  const family = FAMILIES[name];
  if (!family) {
    throw new Error(`models: unknown ViT family '${name}' (known: ${Object.keys(FAMILIES).join(', ')})`);
  }
  return family;
}
