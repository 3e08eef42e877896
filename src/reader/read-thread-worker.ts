/**
 * The thread of read-thread.ts: for each job, reads its byte ranges in order into its shared memory,
 * one slot per read in turn, waiting while the next slot still holds a read the other thread has not
 * released. Control words (int32 at `controlAt`): [cancel, state of slot 0, state of slot 1, ...] with
 * states 0 = free, 1 = filled, 2 = failed; a failure's message goes to the job's port first, and
 * slots already filled stay readable.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { MessagePort, parentPort } from 'node:worker_threads';
import type { ReadJobRequest } from './read-thread.js';

const FREE = 0;
const FILLED = 1;
const FAILED = 2;

function run(job: ReadJobRequest & { port: MessagePort }): void {
  const control = new Int32Array(job.buffer, job.controlAt, 1 + job.nSlots);
  const cancelled = () => Atomics.load(control, 0) !== 0;
  const fds = new Map<string, number>();
  try {
    for (let c = 0; c < job.reads.length / 4 && !cancelled(); c++) {
      const s = 1 + (c % job.nSlots);
      while (Atomics.load(control, s) !== FREE && !cancelled()) Atomics.wait(control, s, FILLED);
      if (cancelled()) break;
      const [f, position, length, at] = job.reads.subarray(4 * c, 4 * c + 4);
      const file = job.files[f];
      let fd = fds.get(file);
      if (fd === undefined) fds.set(file, (fd = openSync(file, 'r')));
      const target = new Uint8Array(job.buffer, at, length);
      for (let done = 0; done < length; ) {
        const n = readSync(fd, target, done, length - done, position + done);
        if (n === 0) throw new Error(`reader: ${file} ended at byte ${position + done}, expected ${position + length}; the shard is truncated`);
        done += n;
      }
      Atomics.store(control, s, FILLED);
      Atomics.notify(control, s);
    }
  } catch (error) {
    job.port.postMessage((error as Error).message);
    // Slots already filled stay readable; the failed read's slot and those never to be filled fail.
    for (let s = 1; s <= job.nSlots; s++) {
      Atomics.compareExchange(control, s, FREE, FAILED);
      Atomics.notify(control, s);
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
    job.port.close();
  }
}

parentPort!.on('message', (job: ReadJobRequest & { id: number; port: MessagePort }) => {
  run(job);
  parentPort!.postMessage({ id: job.id });
});
