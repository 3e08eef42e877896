/** Shared set-up for extraction tests: a temporary ImageFolder of the real demo photographs. */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
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
