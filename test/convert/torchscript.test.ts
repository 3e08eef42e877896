// OpenAI's original CLIP checkpoints are TorchScript archives. The converter takes them through the
// safe TorchScript reader: a torch.jit.trace of a tiny CLIP visual tower saved in float16 by torch 2.13
// (test/fixtures/checkpoint/traced-fp16.pt, scripts/make-checkpoint-fixtures.py) must land in the
// tfjs layers with torch's values, transposed in the one place that does it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFamily } from '../../models/registry.js';
import { initBackend } from '../../src/backend.js';
import { readCheckpoint } from '../../src/checkpoint/read-checkpoint.js';
import { convertCheckpoint } from '../../src/convert/convert-checkpoint.js';
import { loadVit } from '../../src/vit/load-vit.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/checkpoint');
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8'))['traced-fp16.pt'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'saev-torchscript-'));
const values = (key: string): number[] => expected.tensors[key].values;

beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('converting a TorchScript (OpenAI-style) CLIP checkpoint', () => {
  it('maps visual.* weights with torch values: conv [O,I,kh,kw] -> [kh,kw,I,O], Linear [out,in] -> [in,out]', async () => {
    const outDir = path.join(tmp, 'clip-ts');
    const result = await convertCheckpoint({
      checkpointPath: path.join(FIXTURE, 'traced-fp16.pt'),
      family: getFamily('clip'),
      outDir,
      readCheckpoint,
      nHeads: 2,
    });
    expect(result.outDir).toBe(outDir);
    const vit = await loadVit(getFamily('clip'), outDir);
    expect([vit.arch.imageSize, vit.arch.patchSize, vit.arch.width, vit.arch.depth]).toEqual([8, 4, 8, 2]);
    expect(vit.arch.gelu).toBe('quick'); // no config beside it: an OpenAI TorchScript archive says QuickGELU

    const conv = values('visual.conv1.weight'); // [O=8, I=3, 4, 4]
    const kernel = (await vit.model.getLayer('patch_embed').getWeights()[0].array()) as number[][][][]; // [kh, kw, I, O]
    for (const [o, i, y, x] of [
      [0, 0, 0, 0],
      [7, 2, 3, 1],
      [3, 1, 2, 3],
    ])
      expect(kernel[y][x][i][o]).toBe(conv[((o * 3 + i) * 4 + y) * 4 + x]);

    const inProj = values('visual.transformer.resblocks.1.attn.in_proj_weight'); // [3D=24, D=8]
    const qkv = (await vit.model.getLayer('block1_attn').getWeights()[0].array()) as number[][]; // [D, 3D]
    for (const [row, col] of [
      [0, 0],
      [23, 7],
      [10, 3],
    ])
      expect(qkv[col][row]).toBe(inProj[row * 8 + col]);
    vit.model.dispose();
  });
});
