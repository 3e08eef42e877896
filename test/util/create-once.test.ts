// Tests src/util/create-once.ts: exactly one of many concurrent creators wins, the file is never
// seen partial, later creators verify the content, and no temporary files remain.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { createFileOnce, getPrivateTmpPath, parsePrivateTmpName } from '../../src/util/create-once.js';

const tmpDir = () => fs.mkdtemp(path.join(os.tmpdir(), 'saev-create-once-'));

describe('createFileOnce', () => {
  it('creates once; 16 concurrent creators give one "created", the rest "existing", and no temporary file', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'metadata.json');
    const text = 'x'.repeat(100_000) + '\n';
    const outcomes = await Promise.all(Array.from({ length: 16 }, () => createFileOnce(file, text)));
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'existing')).toHaveLength(15);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    expect(await fs.readdir(dir)).toEqual(['metadata.json']);
  });

  it('refuses, naming the file, when the existing file disagrees, and leaves it untouched', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'metadata.json');
    await createFileOnce(file, 'one\n');
    await expect(createFileOnce(file, 'two\n')).rejects.toThrow(
      `shards: ${file} already exists and disagrees with this run`,
    );
    expect(await fs.readFile(file, 'utf8')).toBe('one\n');
    expect(await fs.readdir(dir)).toEqual(['metadata.json']);
  });

  it('lets the caller say what must agree', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'info.json');
    await createFileOnce(file, '{"a":1,"backend":"x"}');
    expect(await createFileOnce(file, '{"a":1,"backend":"y"}', (existing) => JSON.parse(existing).a === 1)).toBe(
      'existing',
    );
  });
});

describe('private temporary names', () => {
  it('carry the host and pid, and round-trip', () => {
    const name = path.basename(getPrivateTmpPath('/x/metadata.json'));
    expect(name.startsWith('.metadata.json.tmp-')).toBe(true);
    expect(parsePrivateTmpName(name)).toEqual({ host: os.hostname(), pid: process.pid });
    expect(parsePrivateTmpName('.a.json.tmp-my-host-name-77-abc123')).toEqual({ host: 'my-host-name', pid: 77 });
    expect(parsePrivateTmpName('metadata.json')).toBeNull();
  });

  it('writeFileAtomic overwrites and leaves no temporary file', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'shards.json');
    await writeFileAtomic(file, 'a');
    await writeFileAtomic(file, 'b');
    expect(await fs.readFile(file, 'utf8')).toBe('b');
    expect(await fs.readdir(dir)).toEqual(['shards.json']);
  });
});
