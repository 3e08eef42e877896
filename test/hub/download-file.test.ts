/**
 * One file into place, with a fake `open` (no server): resume from the partial file, a source that
 * ignores or refuses the range, a transfer that stops and is resumed within the run, digests checked
 * (LFS sha256, git blob id), nothing at `dest` until the bytes check out.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadFile, DownloadSpec, getPartialPath } from '../../src/hub/download-file.js';

const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitBlobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

/** A body that sends `bytes`, then fails when `failAt` is set. */
function respond(bytes: Buffer, status: number, headers: Record<string, string> = {}, failAt?: number): Response {
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return failAt === undefined ? controller.close() : controller.error(new Error('socket hang up'));
      sent = true;
      controller.enqueue(new Uint8Array(failAt === undefined ? bytes : bytes.subarray(0, failAt)));
    },
  });
  return new Response(stream, { status, headers });
}

function makeSpec(dir: string, open: DownloadSpec['open'], overrides: Partial<DownloadSpec> = {}): DownloadSpec {
  return {
    open,
    dest: path.join(dir, 'blob'),
    label: 'blob',
    from: 'test',
    size: data.length,
    sha256: sha256(data),
    ...overrides,
  };
}

const run = (spec: DownloadSpec, retries = 0) =>
  downloadFile(spec, { log: () => undefined, progressStream: quiet, retries, retryDelayMs: 1 });

describe('downloadFile', () => {
  it('resumes from the partial file with a range request and checks the whole', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-dl-'));
    writeFileSync(getPartialPath(path.join(dir, 'blob')), data.subarray(0, 1234));
    const offsets: number[] = [];
    const spec = makeSpec(dir, async (offset) => {
      offsets.push(offset);
      return respond(data.subarray(offset), 206, {
        'content-range': `bytes ${offset}-${data.length - 1}/${data.length}`,
      });
    });
    expect(await run(spec)).toEqual({ sha256: sha256(data), size: data.length });
    expect(offsets).toEqual([1234]);
    expect(readFileSync(spec.dest).equals(data)).toBe(true);
    expect(existsSync(getPartialPath(spec.dest))).toBe(false);
  });

  it('starts over when the source ignores the range (200) or refuses it (416)', async () => {
    for (const mode of ['ignore', 'refuse'] as const) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-dl-'));
      writeFileSync(getPartialPath(path.join(dir, 'blob')), Buffer.alloc(100, 9)); // not a prefix of the content
      const offsets: number[] = [];
      const spec = makeSpec(dir, async (offset) => {
        offsets.push(offset);
        if (offset > 0 && mode === 'refuse') return new Response(null, { status: 416 });
        return respond(data, 200);
      });
      await run(spec);
      expect(readFileSync(spec.dest).equals(data), mode).toBe(true);
      expect(offsets).toEqual(mode === 'ignore' ? [100] : [100, 0]);
    }
  });

  it('a transfer that stops is resumed within the run when retries are allowed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-dl-'));
    const offsets: number[] = [];
    const spec = makeSpec(dir, async (offset) => {
      offsets.push(offset);
      const headers: Record<string, string> = offset
        ? { 'content-range': `bytes ${offset}-${data.length - 1}/${data.length}` }
        : {};
      return respond(data.subarray(offset), offset ? 206 : 200, headers, offset === 0 ? 3000 : undefined);
    });
    await run(spec, 1);
    expect(offsets).toEqual([0, 3000]);
    expect(readFileSync(spec.dest).equals(data)).toBe(true);
  });

  it('checks the git blob id of small files, and removes what does not match', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-dl-'));
    const good = makeSpec(dir, async () => respond(data, 200), { sha256: null, gitBlobId: gitBlobId(data) });
    await run(good);
    expect(readFileSync(good.dest).equals(data)).toBe(true);
    const bad = makeSpec(dir, async () => respond(data, 200), {
      dest: path.join(dir, 'other'),
      sha256: null,
      gitBlobId: gitBlobId(Buffer.from('x')),
    });
    await expect(run(bad)).rejects.toThrow(
      /^hub: blob as downloaded from test does not hash to its git blob id [0-9a-f]{40}; the download was removed, rerun to fetch it again$/,
    );
    expect(existsSync(bad.dest) || existsSync(getPartialPath(bad.dest))).toBe(false);
  });

  it('an answer that is an error (not a broken transfer) is thrown as it is, without retries', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-dl-'));
    let calls = 0;
    const spec = makeSpec(dir, async () => {
      calls += 1;
      throw new Error('hub: org/repo is gated and no token was found; ...');
    });
    await expect(run(spec, 3)).rejects.toThrow(/^hub: org\/repo is gated/);
    expect(calls).toBe(1);
  });
});
