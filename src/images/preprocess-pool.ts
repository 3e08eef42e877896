/**
 * Preprocessing (Pillow-exact resize, crop, normalise) of decoded images in
 * worker threads. The model's forward pass blocks the main thread for the
 * length of every op, so work left on it cannot overlap the model: with
 * workers, the next batch is resized while this one runs.
 */
import { Worker } from 'node:worker_threads';
import { resolveWorkerScript } from '../worker-script.js';
import type { PreprocessSpec } from './preprocess.js';
import type { RgbImage } from './resample.js';

export interface ImagePreprocessor {
  /** The model input for one decoded image: `pixels_HWC` float32, side `getInputSize(spec)`. */
  preprocess(image: RgbImage): Promise<Float32Array>;
  /** Stops any threads; pending calls reject. */
  close(): Promise<void>;
}

interface PendingJob {
  resolve: (pixels: Float32Array) => void;
  reject: (error: Error) => void;
}

/** Preprocesses on `nThreads` worker threads, handing images out in turn. */
export class PreprocessPool implements ImagePreprocessor {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, PendingJob>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(spec: PreprocessSpec, nThreads: number) {
    if (!Number.isInteger(nThreads) || nThreads < 1) throw new Error(`preprocess: nThreads must be a positive integer, found ${nThreads}`);
    const script = resolveWorkerScript('images/preprocess-worker.js');
    this.workers = Array.from({ length: nThreads }, () => {
      const worker = new Worker(script, { workerData: spec });
      worker.on('message', (msg: { id: number; pixels?: Float32Array; error?: string }) => this.settle(msg));
      worker.on('error', (error) => this.failAll(new Error(`preprocess: worker thread failed: ${error.message}`)));
      worker.on('exit', (code) => code !== 0 && this.failAll(new Error(`preprocess: worker thread exited with code ${code}`)));
      return worker;
    });
  }

  preprocess(image: RgbImage): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[id % this.workers.length].postMessage({ id, image });
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error('preprocess: the pool was closed'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private settle({ id, pixels, error }: { id: number; pixels?: Float32Array; error?: string }): void {
    const job = this.pending.get(id);
    if (!job) return;
    this.pending.delete(id);
    if (pixels) job.resolve(pixels);
    else job.reject(new Error(error ?? 'preprocess: worker returned nothing'));
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }
}
