import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeMemorySource } from '../../src/checkpoint/byte-source.js';
import { readCheckpoint, readCheckpointSource } from '../../src/checkpoint/read-checkpoint.js';

const dir = fileURLToPath(new URL('../fixtures/checkpoint/', import.meta.url));

async function getError(file: string): Promise<string> {
  try {
    await readCheckpoint(dir + file);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('readCheckpoint on hostile and broken files (fixtures, never loaded by Python)', () => {
  const cases: [string, RegExp][] = [
    ['malicious.pt', /^pickle: .*malicious\.pt: archive\/data\.pkl: refusing global os\.system: /],
    [
      'pickled-module.pt',
      /^pickle: .*pickled-module\.pt: archive\/data\.pkl: refusing global __main__\.Small: .*torch\.save\(model\.state_dict\(\), path\)/,
    ],
    ['truncated.pt', /^zip: .*truncated\.pt: no end-of-central-directory record \(truncated, or not a zip archive\)$/],
    [
      'no-data-pkl.zip',
      /^torch: .*no-data-pkl\.zip: zip has no <archive>\/data\.pkl \(not a torch\.save\/torch\.jit\.save checkpoint; entries: readme\.txt\)$/,
    ],
    [
      'legacy.pt',
      /^checkpoint: .*legacy\.pt is a legacy \(torch < 1\.6\) pickle checkpoint, which is not read; re-save it/,
    ],
    [
      'lying-header.safetensors',
      /^safetensors: .*lying-header\.safetensors: tensor 'w' spans 20 bytes \[0, 20\) but F32 \[2,2\] needs 16$/,
    ],
  ];
  for (const [file, error] of cases) {
    it(`${file}: one-line error`, async () => {
      const message = await getError(file);
      expect(message).toMatch(error);
      expect(message).not.toContain('\n');
    });
  }

  it('lists every hostile fixture in expected.json', () => {
    const expected = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as { _hostile: string[] };
    expect(expected._hostile.sort()).toEqual(cases.map(([file]) => file).sort());
  });

  it('detects the format by content, not by name', async () => {
    const renamed = readCheckpointSource(makeMemorySource(readFileSync(`${dir}f32.safetensors`), 'model.pt'));
    expect(renamed.format).toBe('safetensors');
    const zipAsSafetensors = readCheckpointSource(
      makeMemorySource(readFileSync(`${dir}state-dict.pt`), 'model.safetensors'),
    );
    expect(zipAsSafetensors.format).toBe('torch-zip');
  });

  it('refuses unknown content, empty files and missing files', async () => {
    expect(() => readCheckpointSource(makeMemorySource(Uint8Array.from(Buffer.from('GGUF....')), 'x.bin'))).toThrow(
      /^checkpoint: x\.bin is neither a PyTorch zip archive nor safetensors \(first bytes 474755462e2e2e2e\); convert it to \.safetensors$/,
    );
    expect(() => readCheckpointSource(makeMemorySource(new Uint8Array(0), 'e.pt'))).toThrow(
      /first bytes none: empty file/,
    );
    await expect(readCheckpoint(`${dir}does-not-exist.pt`)).rejects.toThrow(
      /^checkpoint: cannot open .*does-not-exist\.pt \(ENOENT/,
    );
    await expect(readCheckpoint(dir)).rejects.toThrow(
      /^checkpoint: .*checkpoint\/ is not a file \(pass the checkpoint file itself\)$/,
    );
  });
});

describe('safety of the checkpoint readers', () => {
  it('no module in src/checkpoint can run code, spawn processes or import by name', () => {
    const srcDir = fileURLToPath(new URL('../../src/checkpoint/', import.meta.url));
    for (const file of readdirSync(srcDir)) {
      const source = readFileSync(srcDir + file, 'utf8');
      for (const banned of [
        /\beval\s*\(/,
        /new Function\b/,
        /child_process/,
        /\bimport\s*\(/,
        /\brequire\s*\(/,
        /node:vm\b/,
        /\bFunction\s*\(/,
      ]) {
        expect(banned.test(source), `${file} matches ${banned}`).toBe(false);
      }
    }
  });
});
