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
 * The widest per-image tensor and its bytes: of a forward pass (MLP hidden or qkv, over every token), or the
 * `nRecorded` blocks' stored tokens (CLS and patches) stacked for reading back.
 */
function getWidestTensor(arch: VitArch, nRecorded: number): { bytes: number; what: string } {
  const nStored = getPatchCount(arch) + (arch.clsToken ? 1 : 0);
  const nTokens = nStored + arch.nRegisters;
  const activation = 4 * nTokens * Math.max(getFc1Width(arch), 3 * arch.width);
  const recorded = 4 * nRecorded * nStored * arch.width;
  return recorded > activation
    ? { bytes: recorded, what: `the ${nRecorded} recorded blocks stacked for reading back` }
    : { bytes: activation, what: 'the widest activation of a forward pass' };
}

/** The most images whose widest tensor fits one storage binding on a WebGPU adapter; null on other backends. */
export function getMaxBatchSize(backend: BackendInfo, arch: VitArch, nRecorded: number): number | null {
  if (!backend.adapter) return null;
  return Math.floor(backend.adapter.maxStorageBufferBindingSize / getWidestTensor(arch, nRecorded).bytes);
}

/** Images per forward pass on `backend` for `arch` when `nRecorded` blocks are recorded. */
export function getDefaultBatchSize(backend: BackendInfo, arch: VitArch, nRecorded: number): number {
  const fits = getMaxBatchSize(backend, arch, nRecorded);
  if (fits === null) return CPU_BATCH;
  const limit = backend.adapter!.software ? 8 : GPU_MAX_BATCH;
  return Math.max(1, Math.min(limit, fits));
}

/**
 * The batch to run: `requested` (`--vit-batch-size`) or the default. A requested batch whose widest tensor cannot
 * fit one binding is refused in one line before any image is read (the GPU would fail on the first batch).
 */
export function chooseBatchSize(
  requested: number | undefined,
  backend: BackendInfo,
  arch: VitArch,
  nRecorded: number,
): number {
  if (requested === undefined) return getDefaultBatchSize(backend, arch, nRecorded);
  const fits = getMaxBatchSize(backend, arch, nRecorded);
  if (fits !== null && requested > fits) {
    const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
    const widest = getWidestTensor(arch, nRecorded);
    throw new Error(
      `extract: --vit-batch-size ${requested} makes ${widest.what} a ${gib(requested * widest.bytes)} tensor, over this GPU's ${gib(backend.adapter!.maxStorageBufferBindingSize)} storage binding; use at most ${Math.max(1, fits)}`,
    );
  }
  return requested;
}
