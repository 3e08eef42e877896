/**
 * Extraction over a segmentation dataset writes `labels.bin` beside the shards:
 * uint8 [n_imgs, n_patches], row i = dataset index i, equal to the majority
 * labels computed in Python (PIL NEAREST + torchvision crop + numpy bincount)
 * for CLIP ViT-B/16's geometry (scripts/make-data-fixtures.py).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clip } from '../../models/clip.js';
import { initBackend } from '../../src/backend.js';
import { validateExtractConfig } from '../../src/extract/config.js';
import { runExtraction } from '../../src/extract/run-extraction.js';
import { LABELS_FILE } from '../../src/shards/shard-metadata.js';
import { makeConfig } from './helpers.js';

const FIXTURES = path.resolve(__dirname, '../fixtures/data');
const EXPECTED = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));
const quiet = {
  log: () => undefined,
  progressStream: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
};

beforeAll(async () => {
  await initBackend();
});

describe('labels.bin', () => {
  it('is written for ADE20K with the patch geometry of the model, matching Python', async () => {
    const config = validateExtractConfig(
      makeConfig({
        data: 'ade20k',
        dataRoot: path.join(FIXTURES, 'ade20k'),
        dataSplit: 'validation',
        vitCkpt: 'random:ViT-B-16',
        vitLayers: [0],
        nPatchesPerShard: 197 * 3,
      }),
    );
    const result = await runExtraction(config, clip, quiet);
    const labels = readFileSync(path.join(result.shardDir, LABELS_FILE));
    const expected = (EXPECTED.ade20k.validation as Array<{ patch_labels: Record<string, number[]> }>).flatMap(
      (item) => item.patch_labels['clip-224-16'],
    );
    expect(labels.length).toBe(3 * 196);
    expect([...labels]).toEqual(expected);
  });
});
