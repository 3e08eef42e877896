// Tests src/util/sha256-stream.ts: digests computed on the shared worker thread equal node:crypto's
// over the same bytes, for interleaved streams and random chunk sizes; update hashes a copy, so the
// caller may overwrite its bytes at once and keeps them whole; a dropped stream leaves the others intact; and a process
// that hashed exits by itself (the idle worker keeps nothing alive).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Sha256Stream } from '../../src/util/sha256-stream.js';
import { makeUniform } from '../../src/random.js';
import { PACKAGE_ROOT } from '../../src/version.js';

const sha256 = (...chunks: Uint8Array[]) => chunks.reduce((h, c) => h.update(c), createHash('sha256')).digest('hex');

describe('Sha256Stream', () => {
  it('equals node:crypto for three interleaved streams of random chunks', async () => {
    const u = makeUniform(3);
    const streams = [0, 1, 2].map(() => ({ stream: new Sha256Stream(), chunks: [] as Uint8Array[] }));
    for (let k = 0; k < 60; k++) {
      const s = streams[Math.floor(u() * 3)];
      const chunk = randomBytes(Math.floor(u() * 70_000));
      s.chunks.push(chunk);
      await s.stream.update(chunk);
    }
    for (const s of streams) expect(await s.stream.digest()).toBe(sha256(...s.chunks));
  });

  it('hashes the bytes as they were at the call, even if the caller overwrites them before it resolves', async () => {
    const bytes = randomBytes(1 << 20);
    const want = sha256(bytes);
    const stream = new Sha256Stream();
    const pending = stream.update(bytes);
    bytes.fill(0);
    await pending;
    expect(await stream.digest()).toBe(want);
  });

  it('an empty stream has the empty digest; dropping one stream leaves another intact', async () => {
    expect(await new Sha256Stream().digest()).toBe(sha256());
    const [kept, dropped] = [new Sha256Stream(), new Sha256Stream()];
    await kept.update(Buffer.from('kept'));
    await dropped.update(Buffer.from('dropped'));
    await dropped.drop();
    await kept.update(Buffer.from(' bytes'));
    expect(await kept.digest()).toBe(sha256(Buffer.from('kept bytes')));
  });

  it('leaves the bytes of the caller attached and whole (it hashes a copy, never a transferred original)', async () => {
    const pooled = Buffer.from('small buffers share a pool');
    const big = randomBytes(1 << 16);
    const before = sha256(pooled, big);
    const stream = new Sha256Stream();
    await stream.update(pooled);
    await stream.update(big.subarray(100, 200));
    expect(sha256(pooled, big)).toBe(before);
    expect(await stream.digest()).toBe(sha256(pooled, big.subarray(100, 200)));
  });

  it('a process that hashed exits without closing anything', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-sha256-'));
    const script = path.join(dir, 'hash.mjs');
    const module = pathToFileURL(path.join(PACKAGE_ROOT, 'dist', 'src', 'util', 'sha256-stream.js')).href;
    writeFileSync(
      script,
      `const { Sha256Stream } = await import(${JSON.stringify(module)}); const s = new Sha256Stream(); await s.update(Buffer.from('abc')); console.log(await s.digest());`,
    );
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.trim()).toBe(sha256(Buffer.from('abc')));
  });
});
