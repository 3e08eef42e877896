/**
 * Preprocessing (Pillow-exact resize, crop, normalise) of decoded images in
 * worker threads. The model's forward pass blocks the main thread for the
 * length of every op, so work left on it cannot overlap the model: with
 * workers, the next batch is resized while this one runs.
 */
import { Worker } from 'node:worker_threads';
import { WorkerReply, WorkerRequests } from '../worker-requests.js';
import { resolveWorkerScript } from '../worker-script.js';
import type { PreprocessSpec } from './preprocess.js';
import type { RgbImage } from './resample.js';

export interface ImagePreprocessor {
  /** The model input for one decoded image: `pixels_HWC` float32, side `getInputSize(spec)`. */
  preprocess(image: RgbImage): Promise<Float32Array>;
  /** Stops any threads; pending calls reject. */
  close(): Promise<void>;
}

interface PixelsReply extends WorkerReply {
  pixels?: Float32Array;
}

/** Preprocesses on `nThreads` worker threads, handing images out in turn. */
export class PreprocessPool implements ImagePreprocessor {
  private readonly workers: Worker[];
  private readonly requests = new WorkerRequests<PixelsReply>();
  private nextWorker = 0;

  constructor(spec: PreprocessSpec, nThreads: number) {
    if (!Number.isInteger(nThreads) || nThreads < 1) throw new Error(`preprocess: nThreads must be a positive integer, found ${nThreads}`);
    const script = resolveWorkerScript('images/preprocess-worker.js');
    this.workers = Array.from({ length: nThreads }, () => {
      const worker = new Worker(script, { workerData: spec });
      this.requests.watch(worker, 'preprocess');
      return worker;
    });
  }

  async preprocess(image: RgbImage): Promise<Float32Array> {
    const worker = this.workers[this.nextWorker++ % this.workers.length];
    const { pixels } = await this.requests.send(worker, { image });
    if (!pixels) throw new Error('preprocess: worker returned nothing');
    return pixels;
  }

  async close(): Promise<void> {
    this.requests.failAll(new Error('preprocess: the pool was closed'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
