/** The ViT families `--vit-family` accepts. */
import type { VitFamily } from '../src/vit/family.js';
import { clip } from './clip.js';

export const FAMILIES: Readonly<Record<string, VitFamily>> = { clip };

export function getFamily(name: string): VitFamily {
  const family = FAMILIES[name];
  if (!family) {
    throw new Error(`models: unknown ViT family '${name}' (known: ${Object.keys(FAMILIES).join(', ')})`);
  }
  return family;
}
