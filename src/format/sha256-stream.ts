/**
 * The sha256 of a byte stream, computed on a worker thread shared by every
 * stream in the process. A shard's digest costs ~0.7 CPU-seconds per GB
 * (SHA-NI, AMD EPYC); on the main thread that competes with the forward
 * pass, and on a fast GPU it would cap all-layer ViT-B recording at about
 * 200 images/s. Here the main thread only copies each chunk into a buffer
 * the worker hands back after hashing, so the copies reuse warm memory, and
 * the worker hashes while the caller goes on.
 *
 * Each `update` resolves once the worker has hashed that chunk, so a caller
 * that awaits it holds at most one chunk copy in flight.
 */
import { Worker } from 'node:worker_threads';
import { resolveWorkerScript } from '../worker-script.js';
import type { HashRequest } from './sha256-worker.js';

interface Reply {
  id: number;
  hex?: string;
  error?: string;
  /** An update's copy buffer, handed back for reuse. */
  buffer?: ArrayBuffer;
}

/** Copy buffers kept for reuse (each as large as the largest chunk it has held). */
const MAX_SPARE_BUFFERS = 2;

type Waiter = { resolve: (hex: string | undefined) => void; reject: (error: Error) => void };

/**
 * The shared worker, started on first use; referenced only while a request is outstanding. If it
 * dies, every stream's state died with it, so every request from then on fails.
 */
class HashWorker {
  private worker: Worker | null = null;
  private failure: Error | null = null;
  private readonly waiting = new Map<number, Waiter[]>();
  private nOutstanding = 0;
  private readonly spare: ArrayBuffer[] = [];

  /** A copy of `bytes` in a buffer the worker may take: a returned one when one is large enough. */
  copy(bytes: Uint8Array): Uint8Array {
    const i = this.spare.findIndex((buffer) => buffer.byteLength >= bytes.byteLength);
    const buffer = i >= 0 ? this.spare.splice(i, 1)[0] : new ArrayBuffer(bytes.byteLength);
    const copy = new Uint8Array(buffer, 0, bytes.byteLength);
    copy.set(bytes);
    return copy;
  }

  request(message: HashRequest, transfer: ArrayBuffer[] = []): Promise<string | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.start();
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(message.id) ?? [];
      queue.push({ resolve, reject });
      this.waiting.set(message.id, queue);
      if (this.nOutstanding++ === 0) worker.ref();
      worker.postMessage(message, transfer);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(resolveWorkerScript('format/sha256-worker.js'));
    worker.unref();
    worker.on('message', (reply: Reply) => {
      if (reply.buffer && this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(reply.buffer);
      this.settle(reply.id, (w) => (reply.error ? w.reject(new Error(`sha256 worker: ${reply.error}`)) : w.resolve(reply.hex)));
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const id of [...this.waiting.keys()]) while (this.waiting.get(id)?.length) this.settle(id, (w) => w.reject(error));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the sha256 worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(id: number, how: (waiter: Waiter) => void): void {
    const queue = this.waiting.get(id);
    const waiter = queue?.shift();
    if (!waiter) return;
    if (!queue!.length) this.waiting.delete(id);
    if (--this.nOutstanding === 0) this.worker?.unref();
    how(waiter);
  }
}

const hashWorker = new HashWorker();
let nextId = 0;

export class Sha256Stream {
  private readonly id = nextId++;

  /** Hashes a copy of `bytes` (the caller may reuse them at once); resolves when the worker has hashed it. */
  async update(bytes: Uint8Array): Promise<void> {
    const copy = hashWorker.copy(bytes); // never transfer the caller's own buffer (a Buffer's slice() would be a view of it)
    await hashWorker.request({ id: this.id, op: 'update', bytes: copy }, [copy.buffer as ArrayBuffer]);
  }

  /** The hex digest of everything updated so far; the stream is then spent. */
  async digest(): Promise<string> {
    return (await hashWorker.request({ id: this.id, op: 'digest' }))!;
  }

  /** Forgets the stream without a digest. */
  async drop(): Promise<void> {
    await hashWorker.request({ id: this.id, op: 'drop' });
  }
}
