/**
 * `saev convert` as a user runs it (built CLI, child process): a summary or one JSON document on stdout,
 * the backend on stderr, the flags reaching the converter, and one-line errors that leave nothing at --out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/run.js');
const PARITY_DIR = path.resolve(__dirname, '../fixtures/parity');
const saev = (args: string[]) =>
  spawnSync(process.execPath, [BIN, 'convert', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', OCLIF_COLUMNS: '1000' },
  });
const lastLine = (text: string) => text.trim().split('\n').at(-1);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'saev-convert-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('saev convert', () => {
  it('converts and prints one JSON document on stdout, the backend on stderr', () => {
    const outDir = path.join(tmp, 'siglip');
    const r = saev([
      path.join(PARITY_DIR, 'siglip/open_clip_model.safetensors'),
      '--family',
      'siglip',
      '--out',
      outDir,
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      family: 'siglip',
      format: 'safetensors',
      arch: { clsToken: false, width: 32, nHeads: 2, gelu: 'none', layerNormEps: 1e-6 },
    });
    expect(JSON.parse(readFileSync(path.join(outDir, 'saev-vit.json'), 'utf8')).family).toBe('siglip');
    expect(r.stderr).toMatch(/^convert: backend /m);
  });

  it('prints a summary for people without --json', () => {
    const outDir = path.join(tmp, 'dinov2');
    const r = saev([
      path.join(PARITY_DIR, 'dinov2/dinov2_hub.safetensors'),
      '--family',
      'dinov2',
      '--out',
      outDir,
      '--n-heads',
      '2',
      '--image-size',
      '56',
      '--no-strict',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^converted safetensors \\(.*\\) -> ${outDir}\n  arch: .*, gelu exact, .*\n  skipped \\d+ unused tower keys\n  sha256 [0-9a-f]{64}\n$`,
      ),
    );
  });

  it('passes --gelu and --layer-norm-eps to the converter, which refuses them against the config', () => {
    const hf = path.join(PARITY_DIR, 'clip-hf/model.safetensors');
    const outDir = path.join(tmp, 'clip-hf');
    const gelu = saev([hf, '--family', 'clip', '--out', outDir, '--gelu', 'exact']);
    expect(gelu.status).toBe(1);
    expect(lastLine(gelu.stderr)).toBe('Error: convert: --gelu exact contradicts config.json (GELU quick)');
    const eps = saev([hf, '--family', 'clip', '--out', outDir, '--layer-norm-eps', '1e-6']);
    expect(lastLine(eps.stderr)).toBe(
      'Error: convert: --layer-norm-eps 0.000001 contradicts config.json (eps 0.00001)',
    );
    expect(existsSync(outDir)).toBe(false);
  });

  it('settles the architecture before TensorFlow starts: a refusal there prints only its line', () => {
    const hub = path.join(PARITY_DIR, 'dinov2-swiglu/dinov2-swiglu_hub.pth');
    const r = saev([hub, '--family', 'dinov2', '--out', path.join(tmp, 'unsettled')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error: convert: cannot tell the head count of dinov2-swiglu_hub.pth (no config file beside it, and dinov2 ' +
        'knows the heads of widths 384, 768, 1024, 1536, not 32); pass --n-heads',
    );
  });

  it('exits 1 with the one-line error on stderr and writes nothing', () => {
    const outDir = path.join(tmp, 'wrong-family');
    const r = saev([path.join(PARITY_DIR, 'moondream2/model.safetensors'), '--family', 'dinov2', '--out', outDir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(lastLine(r.stderr)).toMatch(/^Error: weights: model\.safetensors is not a dinov2 checkpoint/);
    expect(existsSync(outDir)).toBe(false);
  });

  it('refuses malformed flags before reading anything', () => {
    const args = ['c.pt', '--family', 'clip', '--out', path.join(tmp, 'never')];
    expect(saev([...args, '--layer-norm-eps', 'small']).stderr.trim()).toBe(
      "Error: convert: --layer-norm-eps must be a number between 0 and 1, e.g. 1e-6, found 'small'",
    );
    expect(saev([...args, '--gelu', 'none']).stderr).toContain('Expected --gelu=none to be one of: exact, tanh, quick');
    expect(saev([...args, '--image-size', '22.5']).stderr).toContain('Expected an integer but received: 22.5');
    expect(saev(['c.pt', '--family', 'vit', '--out', 'o']).stderr).toContain(
      'Expected --family=vit to be one of: clip, siglip, dinov2, dinov3, moondream2, pe-core, pe-spatial',
    );
    expect(saev(['c.pt', '--out', 'o']).stderr).toContain('Missing required flag family');
    expect(saev(['c.pt', '--family', 'clip']).stderr).toContain('Missing required flag out');
  });
});
