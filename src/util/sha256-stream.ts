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
import { WorkerReply, WorkerRequests } from '../worker-requests.js';
import { resolveWorkerScript } from '../worker-script.js';
import type { HashRequest } from './sha256-worker.js';

interface HashReply extends WorkerReply {
  hex?: string;
  /** An update's copy buffer, handed back for reuse. */
  buffer?: ArrayBuffer;
}

/** Copy buffers kept for reuse (each as large as the largest chunk it has held). */
const MAX_SPARE_BUFFERS = 2;

/**
 * The shared worker, started on first use; referenced only while a request is outstanding. If it
 * dies, every stream's state died with it, so every request from then on fails.
 */
class HashWorker {
  private worker: Worker | null = null;
  private readonly requests = new WorkerRequests<HashReply>();
  private readonly spare: ArrayBuffer[] = [];

  /** A copy of `bytes` in a buffer the worker may take: a returned one when one is large enough. */
  copy(bytes: Uint8Array): Uint8Array {
    const i = this.spare.findIndex((buffer) => buffer.byteLength >= bytes.byteLength);
    const buffer = i >= 0 ? this.spare.splice(i, 1)[0] : new ArrayBuffer(bytes.byteLength);
    const copy = new Uint8Array(buffer, 0, bytes.byteLength);
    copy.set(bytes);
    return copy;
  }

  async request(message: HashRequest, transfer: ArrayBuffer[] = []): Promise<HashReply> {
    const worker = this.start();
    if (this.requests.size === 0) worker.ref();
    try {
      const reply = await this.requests.send(worker, message, transfer);
      if (reply.buffer && this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(reply.buffer);
      return reply;
    } finally {
      if (this.requests.size === 0) worker.unref();
    }
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    this.worker = new Worker(resolveWorkerScript('util/sha256-worker.js'));
    this.worker.unref();
    this.requests.watch(this.worker, 'sha256');
    return this.worker;
  }
}

const hashWorker = new HashWorker();
let nextStream = 0;

export class Sha256Stream {
  private readonly stream = nextStream++;

  /** Hashes a copy of `bytes` (the caller may reuse them at once); resolves when the worker has hashed it. */
  async update(bytes: Uint8Array): Promise<void> {
    // never transfer the caller's own buffer (a Buffer's slice() would be a view of it)
    const copy = hashWorker.copy(bytes);
    await hashWorker.request({ op: 'update', stream: this.stream, bytes: copy }, [copy.buffer as ArrayBuffer]);
  }

  /** The hex digest of everything updated so far; the stream is then spent. */
  async digest(): Promise<string> {
    return (await hashWorker.request({ op: 'digest', stream: this.stream })).hex!;
  }

  /** Forgets the stream without a digest. */
  async drop(): Promise<void> {
    await hashWorker.request({ op: 'drop', stream: this.stream });
  }
}
