// The converter's command line: argument errors are one line, a conversion prints its summary on stdout
// (or one JSON document with --json) and logs on stderr.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConvertArgs, runConvertCli } from '../../src/convert/cli.js';
import { PARITY_DIR } from './parity-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'saev-convert-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function capture(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
  return Object.assign(stream, { text: () => chunks.join('') });
}

describe('parseConvertArgs', () => {
  it('parses flags into options', () => {
    const parsed = parseConvertArgs(['ckpt.pth', '--family', 'dinov2', '--out', 'out', '--image-size', '224', '--n-heads', '12', '--no-strict']);
    if (parsed === 'help') throw new Error('unexpected help');
    expect(parsed.options).toMatchObject({ checkpointPath: 'ckpt.pth', outDir: 'out', imageSize: 224, nHeads: 12, strict: false });
    expect(parsed.options.family.name).toBe('dinov2');
  });

  it('rejects what is missing or malformed, one line each', () => {
    expect(() => parseConvertArgs(['--family', 'clip', '--out', 'o'])).toThrow(/^convert: expected one checkpoint path, found 0/);
    expect(() => parseConvertArgs(['c.pt', '--out', 'o'])).toThrow('convert: --family is required (one of clip, siglip, dinov2, dinov3, moondream2, pe-core, pe-spatial)');
    expect(() => parseConvertArgs(['c.pt', '--family', 'clip'])).toThrow(/^convert: --out <dir> is required/);
    expect(() => parseConvertArgs(['c.pt', '--family', 'vit', '--out', 'o'])).toThrow("models: unknown ViT family 'vit' (known: clip, siglip, dinov2, dinov3, moondream2, pe-core, pe-spatial)");
    expect(() => parseConvertArgs(['c.pt', '--family', 'constructor', '--out', 'o'])).toThrow("models: unknown ViT family 'constructor'"); // not Object's
    expect(() => parseConvertArgs(['c.pt', '--family', 'clip', '--out', 'o', '--image-size', '22.5'])).toThrow("convert: --image-size must be a positive integer, found '22.5'");
  });
});

describe('runConvertCli', () => {
  it('converts and prints one JSON document on stdout', async () => {
    const [out, err] = [capture(), capture()];
    const outDir = path.join(tmp, 'siglip');
    const code = await runConvertCli([`${PARITY_DIR}siglip/open_clip_model.safetensors`, '--family', 'siglip', '--out', outDir, '--json'], out, err);
    expect(code).toBe(0);
    const result = JSON.parse(out.text());
    expect(result).toMatchObject({ family: 'siglip', format: 'safetensors', arch: { clsToken: false, width: 32, nHeads: 2, gelu: 'none', layerNormEps: 1e-6 } });
    expect(JSON.parse(readFileSync(path.join(outDir, 'saev-vit.json'), 'utf8')).family).toBe('siglip');
    expect(err.text()).toMatch(/^convert: backend /);
  });

  it('exits 1 with the one-line error on stderr and writes nothing', async () => {
    const [out, err] = [capture(), capture()];
    const outDir = path.join(tmp, 'wrong-family');
    const code = await runConvertCli([`${PARITY_DIR}moondream2/model.safetensors`, '--family', 'dinov2', '--out', outDir], out, err);
    expect(code).toBe(1);
    expect(out.text()).toBe('');
    expect(err.text().trim().split('\n').at(-1)).toMatch(/^weights: model\.safetensors is not a dinov2 checkpoint/);
    expect(existsSync(outDir)).toBe(false);
  });
});
