// Every family end to end: a small model with the family's numerics, token layout and preprocessing (its
// real architecture, narrowed) is extracted from real photographs, and every stored row must equal what the
// library computes for that image alone: recordActivations(recorder, preprocess(image i)) at layer l. Swapped
// layers, another family's preprocessing or a shifted image order fail here.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAMILIES } from '../../models/registry.js';
import { initBackend, tf } from '../../src/backend.js';
import { validateExtractConfig } from '../../src/extract/config.js';
import { runExtraction } from '../../src/extract/run-extraction.js';
import { makeDataset } from '../../src/data/make-dataset.js';
import { getInputSize, preprocessInto } from '../../src/images/preprocess.js';
import { validateArch } from '../../src/vit/arch.js';
import { buildVit, makeRecorder } from '../../src/vit/build-vit.js';
import { saveVit } from '../../src/vit/load-vit.js';
import { setRandomWeights } from '../../src/vit/random-weights.js';
import { recordActivations } from '../../src/vit/tokens.js';
import { makeConfig, makePhotoFolder } from './helpers.js';

const quiet = {
  log: () => undefined,
  progressStream: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
};

beforeAll(async () => {
  await initBackend();
});

describe.each(Object.values(FAMILIES))('$name', (family) => {
  it('stores, at row i and layer l, the block output the model gives for image i alone', async () => {
    const [archName, real] = Object.entries(family.archs).find(([name]) => name !== 'demo')!;
    const arch = validateArch(
      { ...real, width: 32, nHeads: 2, mlpWidth: 48, depth: 3 },
      `${family.name}/${archName} narrowed`,
    );
    const model = buildVit(arch, `${family.name}_narrow`);
    setRandomWeights(model, 11);
    const ckpt = mkdtempSync(path.join(os.tmpdir(), `saev-${family.name}-`));
    await saveVit({ model, arch, family }, ckpt);
    const root = makePhotoFolder();
    const config = validateExtractConfig(
      makeConfig({
        vitFamily: family.name,
        vitCkpt: ckpt,
        vitLayers: [0, -1],
        dataRoot: root,
        vitBatchSize: 4,
        nPatchesPerShard: 2_000_000,
      }),
    );
    const result = await runExtraction(config, family, quiet);

    const spec = family.getPreprocess(arch);
    const side = getInputSize(spec);
    const nTokens = (arch.clsToken ? 1 : 0) + (arch.imageSize / arch.patchSize) ** 2;
    const perImage = 2 * nTokens * arch.width;
    const shard = new Float32Array(readFileSync(path.join(result.shardDir, 'acts000000.bin')).buffer);
    const dataset = await makeDataset(config, { log: () => undefined, warn: () => undefined });
    const recorder = makeRecorder(model, [0, arch.depth - 1]);
    expect(result.nImgs).toBe(dataset.nImgs);
    for (let i = 0; i < dataset.nImgs; i++) {
      const pixels = new Float32Array(side * side * 3);
      preprocessInto(await dataset.getImage(i), spec, pixels, 0);
      const alone = tf.tidy(() => recordActivations(recorder, tf.tensor4d(pixels, [1, side, side, 3]), arch));
      expect(alone.shape).toEqual([1, 2, nTokens, arch.width]);
      const want = (await alone.data()) as Float32Array;
      alone.dispose();
      const got = shard.subarray(i * perImage, (i + 1) * perImage);
      let err2 = 0;
      let ref2 = 0;
      for (let k = 0; k < perImage; k++) {
        err2 += (got[k] - want[k]) ** 2;
        ref2 += want[k] ** 2;
      }
      // The same backend in a batch of 4 and alone: float32 rounding at most (a wrong row is off by ~100%).
      expect(Math.sqrt(err2 / ref2), `${family.name} image ${i}`).toBeLessThan(1e-5);
    }
    model.dispose();
  });
});
