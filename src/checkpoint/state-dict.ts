/**
 * A checkpoint's tensors as read from disk, independent of the file format
 * (safetensors, PyTorch zip, TorchScript): names as the upstream code wrote
 * them, torch shapes and dtypes, values available as float32. The readers in
 * this folder produce it; the weight remapper in src/convert consumes it.
 */

export interface CheckpointTensor {
  /** torch-style dtype name: `float32`, `float16`, `bfloat16`, `float64`, `int64`, ... */
  dtype: string;
  /** torch shape (row-major), e.g. `[out, in]` for a Linear weight. */
  shape: number[];
  /** The values converted to float32, row-major. */
  toFloat32(): Float32Array;
}

/** Tensors by their full key, e.g. `visual.transformer.resblocks.0.attn.in_proj_weight`. */
export type StateDict = Map<string, CheckpointTensor>;

export interface Checkpoint {
  tensors: StateDict;
  /** Which reader understood the file. */
  format: 'safetensors' | 'torch-zip' | 'torchscript';
  /** sha256 of the checkpoint file, recorded in the converted model. */
  sha256: string;
  /** safetensors `__metadata__` (empty for the other formats). */
  metadata?: Map<string, string>;
  /** Keys of non-tensor entries that were skipped (`epoch`, `optimizer`, ...); their count is `ignored.length`. */
  ignored?: string[];
  /** The top-level key a training checkpoint nested its state dict under (`state_dict` or `model`). */
  unwrapped?: string;
  /** A prefix every key carried and that was stripped (`module.` from DataParallel/DDP). */
  strippedPrefix?: string;
}
