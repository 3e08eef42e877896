/**
 * A folder of real JPEGs for benchmarks: the demo photographs repeated to `n` images across their classes (hard links
 * where possible).
 */
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_IMAGES_DIR } from '../../src/version.js';

export function makeJpegFolder(n: number): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'saev-bench-imgs-'));
  const sources = readdirSync(DEMO_IMAGES_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jpg'));
  for (let i = 0; i < n; i++) {
    const source = sources[i % sources.length];
    const dir = path.join(root, path.dirname(source));
    mkdirSync(dir, { recursive: true });
    const target = path.join(dir, `${String(i).padStart(5, '0')}_${path.basename(source)}`);
    try {
      linkSync(path.join(DEMO_IMAGES_DIR, source), target);
    } catch {
      copyFileSync(path.join(DEMO_IMAGES_DIR, source), target); // another filesystem
    }
  }
  return root;
}
