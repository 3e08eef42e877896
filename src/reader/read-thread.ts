/**
 * Sequential reads on a thread of their own. A job's byte ranges are read in
 * order, back to back, into the slots of a shared WebAssembly memory (read c
 * into slot c % nSlots), while the calling thread works on the slots already
 * filled and releases each when done. With promise reads, the next read could
 * only start when the caller came back to the event loop, so the copy from the
 * page cache and the caller's work took turns; here they overlap.
 *
 * One thread per process, started on first use, referenced only while a job
 * runs. Protocol: read-thread-worker.ts.
 */
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { WorkerRequests } from '../worker-requests.js';
import { resolveWorkerScript } from '../worker-script.js';

export interface ReadJobRequest {
  buffer: SharedArrayBuffer;
  /** Byte offset of the control words: int32 x (1 + nSlots), zeroed by the caller. */
  controlAt: number;
  nSlots: number;
  files: string[];
  /** Per read, 4 numbers: index into `files`, file position, length, byte offset in `buffer` (compact for millions of reads). */
  reads: Float64Array;
}

const FILLED = 1;
const FAILED = 2;

/** `Atomics.waitAsync` (Node 16+; not in this TypeScript lib yet). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

let thread: { worker: Worker; requests: WorkerRequests<{ id: number }> } | null = null;
let nRunning = 0;

function getThread(): NonNullable<typeof thread> {
  if (thread) return thread;
  const worker = new Worker(resolveWorkerScript('reader/read-thread-worker.js'));
  worker.unref();
  const requests = new WorkerRequests<{ id: number }>();
  requests.watch(worker, 'reader');
  thread = { worker, requests };
  return thread;
}

export class ReadJob {
  private readonly control: Int32Array;
  /** Receives the failed read's message, sent before its slot is marked failed. */
  private readonly port: MessagePort;
  private failure: string | null = null;
  private readonly finished: Promise<void>;

  /** Starts reading `request.reads` on the read thread. */
  constructor(private readonly request: ReadJobRequest) {
    this.control = new Int32Array(request.buffer, request.controlAt, 1 + request.nSlots);
    const { worker, requests } = getThread();
    const { port1, port2 } = new MessageChannel();
    if (nRunning++ === 0) worker.ref();
    this.finished = requests
      .send(worker, { ...request, port: port2 }, [port2])
      .then(
        () => undefined,
        (error: Error) => this.fail(error.message), // the thread died: wake whoever waits
      )
      .finally(() => {
        if (--nRunning === 0) worker.unref();
      });
    this.port = port1;
  }

  /** Resolves when read `c` is in its slot; rejects with the read's error (one line) if it failed. */
  async wait(c: number): Promise<void> {
    const s = 1 + (c % this.request.nSlots);
    for (;;) {
      const state = Atomics.load(this.control, s);
      if (state === FILLED) return;
      if (state === FAILED) {
        this.failure ??= (receiveMessageOnPort(this.port)?.message as string | undefined) ?? 'reader: the read thread failed';
        throw new Error(this.failure);
      }
      const waiting = waitAsync(this.control, s, state);
      if (waiting.async) await waiting.value;
    }
  }

  /** Hands read `c`'s slot back for a later read. */
  release(c: number): void {
    const s = 1 + (c % this.request.nSlots);
    Atomics.store(this.control, s, 0);
    Atomics.notify(this.control, s);
  }

  /** Stops the job (reads not yet started are skipped) and waits for the thread to let go of the memory. */
  async close(): Promise<void> {
    Atomics.store(this.control, 0, 1);
    for (let s = 1; s <= this.request.nSlots; s++) Atomics.notify(this.control, s);
    await this.finished;
    this.port.close();
  }

  private fail(message: string): void {
    this.failure ??= message;
    for (let s = 1; s <= this.request.nSlots; s++) {
      Atomics.compareExchange(this.control, s, 0, FAILED);
      Atomics.notify(this.control, s);
    }
  }
}
