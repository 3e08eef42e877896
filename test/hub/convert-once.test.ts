/**
 * The converted-model cache: one conversion for many concurrent callers, a key that changes with the
 * config conversion reads, and a cached checkpoint whose bytes do not match its expected sha256 refused
 * (nothing left in the cache).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAMILIES } from '../../models/registry.js';
import { initBackend } from '../../src/backend.js';
import { getConvertedModel } from '../../src/hub/convert-once.js';
import type { FetchedCheckpoint } from '../../src/hub/fetch-checkpoint.js';
import { sha256 } from './fake-hub.js';

const PARITY = path.resolve(__dirname, '../fixtures/parity/clip-quickgelu');
const weights = readFileSync(path.join(PARITY, 'open_clip_model.safetensors'));
const configText = readFileSync(path.join(PARITY, 'open_clip_config.json'), 'utf8');
const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

function makeFetched(
  weightsPath: string,
  expected: string | null,
  config: FetchedCheckpoint['config'],
): FetchedCheckpoint {
  return {
    name: { name: 'ViT-B-16/openai', family: 'clip', source: { kind: 'hf', repo: 'timm/x', revision: 'main' } },
    family: 'clip',
    weightsPath,
    sha256: expected,
    config,
    record: {
      name: 'ViT-B-16/openai',
      source: 'hf-hub',
      repository: 'timm/x',
      revision: 'main',
      commit: 'c'.repeat(40),
      file: 'open_clip_model.safetensors',
      sha256: expected,
    },
  };
}

beforeAll(async () => {
  await initBackend();
});

describe('converting once', () => {
  it('many callers at once: one converts, the others wait and load the same directory; another config is another directory', async () => {
    const env = { SAEV_CACHE: tmp('saev-convert-once-') };
    const dir = tmp('saev-weights-');
    const file = path.join(dir, 'open_clip_model.safetensors');
    copyFileSync(path.join(PARITY, 'open_clip_model.safetensors'), file);
    const fetched = makeFetched(file, sha256(weights), { file: 'open_clip_config.json', text: configText });
    const results = await Promise.all(
      [0, 1, 2].map(() => getConvertedModel(fetched, FAMILIES.clip, { log: () => undefined, env })),
    );
    expect(results.filter((r) => r.converted)).toHaveLength(1);
    expect(new Set(results.map((r) => r.dir)).size).toBe(1);
    expect(existsSync(path.join(results[0].dir, 'saev-vit.json'))).toBe(true);
    const exact = JSON.parse(configText);
    exact.model_cfg.quick_gelu = false;
    const other = await getConvertedModel(
      makeFetched(file, sha256(weights), { file: 'open_clip_config.json', text: JSON.stringify(exact) }),
      FAMILIES.clip,
      { log: () => undefined, env },
    );
    expect(other.converted).toBe(true);
    expect(other.dir).not.toBe(results[0].dir);
    expect(JSON.parse(readFileSync(path.join(other.dir, 'saev-vit.json'), 'utf8')).arch.gelu).toBe('none');
    expect(JSON.parse(readFileSync(path.join(results[0].dir, 'saev-vit.json'), 'utf8')).arch.gelu).toBe('quick');
    expect(
      readdirSync(path.join(env.SAEV_CACHE, 'models'))
        .filter((name) => !name.endsWith('.lock'))
        .sort(),
    ).toEqual([path.basename(results[0].dir), path.basename(other.dir)].sort());
  });

  it('a cached file whose sha256 is not the expected one: one line naming the file, no model left behind', async () => {
    const env = { SAEV_CACHE: tmp('saev-convert-once-') };
    const dir = tmp('saev-weights-');
    const file = path.join(dir, 'open_clip_model.safetensors');
    const bad = Buffer.from(weights);
    bad[bad.length - 1] ^= 1; // a tensor value, so the file still reads
    writeFileSync(file, bad);
    const fetched = makeFetched(file, sha256(weights), { file: 'open_clip_config.json', text: configText });
    await expect(getConvertedModel(fetched, FAMILIES.clip, { log: () => undefined, env })).rejects.toThrow(
      new RegExp(
        `^hub: cached open_clip_model\\.safetensors \\(${file.replace(/[.]/g, '\\.')}\\) has sha256 ${sha256(bad)} but its source says ${sha256(weights)}; delete that file and rerun to fetch it again$`,
      ),
    );
    expect(readdirSync(path.join(env.SAEV_CACHE, 'models')).filter((name) => !name.endsWith('.lock'))).toEqual([]);
  });
});
