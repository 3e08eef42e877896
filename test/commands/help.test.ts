// `saev --help` as a new user first runs it: every command is listed, not only the topic.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/run.js');

describe('saev --help', () => {
  it('lists every command with its summary', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const commands = r.stdout.slice(r.stdout.indexOf('COMMANDS'));
    for (const id of ['activations extract', 'activations setup', 'activations stats', 'activations verify', 'convert'])
      expect(commands).toContain(id);
    expect(commands).toMatch(/activations extract\s+Record ViT block outputs/);
    expect(r.stdout.match(/^COMMANDS$/gm)).toHaveLength(1); // one list, not oclif's root commands and then all of them
  });
});
