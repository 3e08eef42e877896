/** Shared set-up for extraction tests: a temporary ImageFolder of the real demo photographs. */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExtractConfig } from '../../src/extract/config.js';
import { DEMO_IMAGES_DIR } from '../../src/version.js';

/** Copies the 10 demo photos (4 classes) into a fresh directory, plus a non-image file to be skipped. */
export function makePhotoFolder(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'saev-photos-'));
  cpSync(DEMO_IMAGES_DIR, root, { recursive: true });
  writeFileSync(path.join(root, 'animal', 'notes.txt'), 'not an image\n');
  return root;
}

export function makeConfig(overrides: Partial<ExtractConfig>): ExtractConfig {
  return {
    vitFamily: 'clip',
    vitCkpt: 'demo',
    vitLayers: [-2, -1],
    vitBatchSize: 4,
    nWorkers: 2,
    nPatchesPerShard: 300, // demo model: 2 layers x 50 tokens -> 3 images per shard
    clsToken: undefined,
    dVit: undefined,
    nPatchesPerImg: undefined,
    dumpTo: mkdtempSync(path.join(os.tmpdir(), 'saev-shards-')),
    seed: 42,
    data: 'image-folder',
    dataRoot: '',
    dataNImgs: 5,
    backend: 'auto',
    ...overrides,
  };
}

/** Every file under `dir` (relative path -> bytes), hidden ones included, for byte-for-byte comparison of two runs. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else out.set(rel, readFileSync(path.join(dir, rel)));
    }
  };
  walk('');
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}
