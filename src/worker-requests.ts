/**
 * Requests to worker threads, each answered by one reply that carries the
 * request's `id`, in any order: `{ id, error }` rejects with `error` as the
 * message, any other reply resolves. A worker that fails or exits rejects
 * every pending request, and every request after it.
 */
import type { Worker } from 'node:worker_threads';

export interface WorkerReply {
  id: number;
  error?: string;
}

export class WorkerRequests<Reply extends WorkerReply> {
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;

  /** Requests sent and not yet answered. */
  get size(): number {
    return this.pending.size;
  }

  /** Settles this worker's replies; `name` begins the message when the thread fails or exits. */
  watch(worker: Worker, name: string): void {
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.failAll(new Error(`${name}: worker thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.failAll(new Error(`${name}: worker thread exited with code ${code}`)));
  }

  /** Posts `{ ...message, id }` to `worker` (moving `transfer`); resolves with its reply. */
  send(worker: Worker, message: object, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Rejects every pending request with `error`, and every later one with the first such error. */
  failAll(error: Error): void {
    this.failure ??= error;
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
  }

  private settle(reply: Reply): void {
    const request = this.pending.get(reply.id);
    if (!request) return;
    this.pending.delete(reply.id);
    if (reply.error !== undefined) request.reject(new Error(reply.error));
    else request.resolve(reply);
  }
}
