// Tests src/reader/read-thread.ts (and its worker): reads land in their slots in order, more reads than
// slots; a read past the end of a file fails with one line while earlier reads stay readable; close()
// stops a job midway and the thread takes the next job.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReadJob } from '../../src/reader/read-thread.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-read-thread-'));
const files = [0, 1].map((i) => {
  const file = path.join(dir, `f${i}.bin`);
  writeFileSync(file, Uint8Array.from({ length: 5000 }, (_, j) => (j * 7 + i * 3) & 0xff));
  return file;
});
const byteAt = (f: number, j: number) => (j * 7 + f * 3) & 0xff;

/** A shared buffer with 3 slots of 1 KiB at 4096, 8192, 12288 and control words at 0. */
function makeJob(reads: Array<[number, number, number]>): { job: ReadJob; bytes: Uint8Array; slotAt: (c: number) => number } {
  const buffer = new SharedArrayBuffer(16384);
  const slotAt = (c: number) => 4096 * (1 + (c % 3));
  const flat = new Float64Array(reads.flatMap(([f, position, length], c) => [f, position, length, slotAt(c)]));
  return { job: new ReadJob({ buffer, controlAt: 0, nSlots: 3, files, reads: flat }), bytes: new Uint8Array(buffer), slotAt };
}

describe('ReadJob', () => {
  it('reads each range into its slot in order, reusing slots once released', async () => {
    const reads = Array.from({ length: 10 }, (_, c) => [c % 2, 300 * c + 1, 1000] as [number, number, number]);
    const { job, bytes, slotAt } = makeJob(reads);
    for (const [c, [f, position, length]] of reads.entries()) {
      await job.wait(c);
      const got = bytes.subarray(slotAt(c), slotAt(c) + length);
      expect([...got], `read ${c}`).toEqual(Array.from({ length }, (_, j) => byteAt(f, position + j)));
      job.release(c);
    }
    await job.close();
  });

  it('fails a read past the end of a file with one line, after the reads before it', async () => {
    const { job, bytes, slotAt } = makeJob([[0, 0, 1000], [1, 4500, 1000], [0, 10, 10]]);
    await job.wait(0);
    expect(bytes[slotAt(0) + 5]).toBe(byteAt(0, 5));
    job.release(0);
    await expect(job.wait(1)).rejects.toThrow(`reader: ${files[1]} ended at byte 5000, expected 5500; the shard is truncated`);
    await expect(job.wait(2)).rejects.toThrow('the shard is truncated');
    await job.close();
  });

  it('close() stops a job midway, and the thread then serves the next job', async () => {
    const first = makeJob(Array.from({ length: 50 }, () => [0, 0, 1000] as [number, number, number]));
    await first.job.wait(0);
    await first.job.close(); // slots 1-2 may be filled; the other 47 reads never start
    const second = makeJob([[1, 100, 20]]);
    await second.job.wait(0);
    expect(second.bytes[second.slotAt(0)]).toBe(byteAt(1, 100));
    await second.job.close();
  });
});
