/**
 * Preprocessing on worker threads: decoding (sharp, started from the worker,
 * run on libuv's thread pool) and the Pillow-exact resize, crop and
 * normalise. The model's forward pass blocks the main thread for the length
 * of every op, so work left on it cannot overlap the model; and at GPU rates
 * the main thread must not carry per-image work. Given an image's bytes, a
 * worker decodes it itself: neither the decoded pixels nor the decode's
 * completion pass through the main thread, which only hands out bytes and
 * collects model input. Each worker takes several images at once, so its
 * decodes run while it resizes; requests go to the worker with the fewest
 * in flight. What is in flight is bounded by the caller (extract/load-batch.ts).
 */
import 'sharp'; // libvips loaded by the main thread before any worker uses it, so it stays loaded until they all end
import { Worker } from 'node:worker_threads';
import type { EncodedImage } from './decode.js';
import { WorkerReply, WorkerRequests } from '../worker-requests.js';
import { resolveWorkerScript } from '../worker-script.js';
import type { PreprocessSpec } from './preprocess.js';
import type { RgbImage } from './resample.js';

/** An image that could not be decoded (as `decodeRgb` words it), as opposed to a failure to preprocess it. */
export class DecodeError extends Error {}

export interface ImagePreprocessor {
  /** The model input for one decoded image: `pixels_HWC` float32, side `getInputSize(spec)`. */
  preprocess(image: RgbImage): Promise<Float32Array>;
  /** The same from the image's bytes, decoded like `decodeRgb`; an undecodable image rejects with a `DecodeError`. */
  preprocessEncoded?(image: EncodedImage): Promise<Float32Array>;
  /** Stops any threads; pending calls reject. */
  close(): Promise<void>;
}

interface PixelsReply extends WorkerReply {
  pixels?: Float32Array;
  decodeError?: string;
}

/** Preprocesses on `nThreads` worker threads. */
export class PreprocessPool implements ImagePreprocessor {
  private readonly workers: Worker[];
  private readonly nInFlight: number[];
  private readonly requests = new WorkerRequests<PixelsReply>();
  private nextWorker = 0;

  constructor(spec: PreprocessSpec, nThreads: number) {
    if (!Number.isInteger(nThreads) || nThreads < 1)
      throw new Error(`preprocess: nThreads must be a positive integer, found ${nThreads}`);
    const script = resolveWorkerScript('images/preprocess-worker.js');
    this.workers = Array.from({ length: nThreads }, () => {
      const worker = new Worker(script, { workerData: spec });
      this.requests.watch(worker, 'preprocess');
      return worker;
    });
    this.nInFlight = new Array(nThreads).fill(0);
  }

  async preprocess(image: RgbImage): Promise<Float32Array> {
    return getPixels(await this.send({ image }));
  }

  async preprocessEncoded({ bytes, name }: EncodedImage): Promise<Float32Array> {
    // A copy of just these bytes, moved to the worker: posting a view clones its whole buffer (a parquet page, say),
    // and the dataset may keep the original.
    const own = bytes.slice();
    const reply = await this.send({ bytes: own, name }, [own.buffer]);
    if (reply.decodeError !== undefined) throw new DecodeError(reply.decodeError);
    return getPixels(reply);
  }

  async close(): Promise<void> {
    this.requests.failAll(new Error('preprocess: the pool was closed'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  /** To the worker with the fewest requests in flight (the first such after the last one used). */
  private async send(message: object, transfer: ArrayBuffer[] = []): Promise<PixelsReply> {
    let k = this.nextWorker;
    for (let j = 1; j < this.workers.length; j++) {
      const candidate = (this.nextWorker + j) % this.workers.length;
      if (this.nInFlight[candidate] < this.nInFlight[k]) k = candidate;
    }
    this.nextWorker = (k + 1) % this.workers.length;
    this.nInFlight[k]++;
    try {
      return await this.requests.send(this.workers[k], message, transfer);
    } finally {
      this.nInFlight[k]--;
    }
  }
}

function getPixels(reply: PixelsReply): Float32Array {
  if (!reply.pixels) throw new Error('preprocess: worker returned nothing');
  return reply.pixels;
}
