/**
 * Worker thread of `PreprocessPool`: resizes, crops and normalises decoded
 * images (the Pillow-exact resampling) off the main thread, which
 * drives the model. Message in: `{id, image}`; out: `{id, pixels}` (the
 * `pixels_HWC` float32 buffer, transferred) or `{id, error}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getInputSize, preprocessInto, PreprocessSpec } from './preprocess.js';
import type { RgbImage } from './resample.js';

const spec = workerData as PreprocessSpec;
const side = getInputSize(spec);

parentPort!.on('message', ({ id, image }: { id: number; image: RgbImage }) => {
  try {
    const pixels_HWC = new Float32Array(side * side * 3);
    preprocessInto(image, spec, pixels_HWC, 0);
    parentPort!.postMessage({ id, pixels: pixels_HWC }, [pixels_HWC.buffer]);
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
