/**
 * Worker thread of `PreprocessPool`: decodes images (`decodeRgb`, whose sharp
 * calls run on libuv's thread pool) and resizes, crops and normalises them
 * (the Pillow-exact resampling) off the main thread, which drives the model.
 * Messages in: `{id, image}` (decoded) or `{id, bytes, name}` (encoded; many
 * may be in flight, decoding while another is resized); out: `{id, pixels}`
 * (the `pixels_HWC` float32 buffer, transferred), `{id, decodeError}` or
 * `{id, error}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeRgb } from './decode.js';
import { getInputSize, preprocessInto, PreprocessSpec } from './preprocess.js';
import type { RgbImage } from './resample.js';

const spec = workerData as PreprocessSpec;
const side = getInputSize(spec);

interface Request {
  id: number;
  image?: RgbImage;
  bytes?: Uint8Array;
  name?: string;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

parentPort!.on('message', async ({ id, image, bytes, name }: Request) => {
  if (bytes) {
    try {
      image = await decodeRgb(bytes, name ?? 'image');
    } catch (error) {
      parentPort!.postMessage({ id, decodeError: messageOf(error) });
      return;
    }
  }
  try {
    const pixels_HWC = new Float32Array(side * side * 3);
    preprocessInto(image!, spec, pixels_HWC, 0);
    parentPort!.postMessage({ id, pixels: pixels_HWC }, [pixels_HWC.buffer]);
  } catch (error) {
    parentPort!.postMessage({ id, error: messageOf(error) });
  }
});
