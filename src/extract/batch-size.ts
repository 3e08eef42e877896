/**
 * How many images go through the model at once when `--vit-batch-size` is
 * not given. CPU backends gain little past a few dozen images; a GPU needs
 * large batches to fill, and on WebGPU one tensor must fit in one storage
 * buffer binding (2 GiB on an H200 through Dawn, 128 MiB on llvmpipe), so
 * the batch is the most images whose widest tensor fits, at most 256: the
 * widest activation of a forward pass, or the recorded blocks stacked for
 * reading back (`acts_BLTD`), which outgrows it when many blocks are recorded.
 */
import type { BackendInfo } from '../backend.js';
import type { VitArch } from '../vit/arch.js';
import { getFc1Width, getPatchCount } from '../vit/arch.js';

const CPU_BATCH = 32;
const GPU_MAX_BATCH = 256;

/**
 * Bytes of the widest per-image tensor: of a forward pass (MLP hidden or qkv, over every token), or the
 * `nRecorded` blocks' stored tokens (CLS and patches) stacked for reading back.
 */
function getWidestTensorBytes(arch: VitArch, nRecorded: number): number {
  const nStored = getPatchCount(arch) + (arch.clsToken ? 1 : 0);
  const nTokens = nStored + arch.nRegisters;
  return 4 * Math.max(nTokens * Math.max(getFc1Width(arch), 3 * arch.width), nRecorded * nStored * arch.width);
}

/** Images per forward pass on `backend` for `arch` when `nRecorded` blocks are recorded. */
export function getDefaultBatchSize(backend: BackendInfo, arch: VitArch, nRecorded: number): number {
  if (!backend.adapter) return CPU_BATCH;
  const fits = Math.floor(backend.adapter.maxStorageBufferBindingSize / getWidestTensorBytes(arch, nRecorded));
  const limit = backend.adapter.software ? 8 : GPU_MAX_BATCH;
  return Math.max(1, Math.min(limit, fits));
}
