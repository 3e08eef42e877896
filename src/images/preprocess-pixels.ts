/**
 * One encoded image to model input, for code that uses a model directly:
 * decode as Pillow's `convert("RGB")` does, the family's Pillow-exact resize
 * and crop, normalise. Returns `pixels_HWC` float32; stack images into a
 * `[B, S, S, 3]` tensor for the model.
 */
import { decodeRgb } from './decode.js';
import { getInputSize, preprocessInto, PreprocessSpec } from './preprocess.js';

export async function preprocessPixels(bytes: Uint8Array, name: string, spec: PreprocessSpec): Promise<Float32Array> {
  const side = getInputSize(spec);
  const pixels_HWC = new Float32Array(side * side * 3);
  preprocessInto(await decodeRgb(bytes, name), spec, pixels_HWC, 0);
  return pixels_HWC;
}
