/**
 * The webgpu backend for tests that need it: on a GPU, or on Mesa's software
 * Vulkan (llvmpipe), which CI installs. Elsewhere the tests skip and say why,
 * unless SAEV_WEBGPU_REQUIRED=1 (CI), where a missing adapter fails them.
 */
import { firstLine } from '../../src/error-line.js';
import { BackendInfo, initBackend } from '../../src/backend.js';

export const WEBGPU_REQUIRED = process.env.SAEV_WEBGPU_REQUIRED === '1';

/** The active webgpu backend, or why there is none. */
export async function openWebGpuForTests(suite: string): Promise<{ info: BackendInfo | null; reason: string }> {
  try {
    const info = await initBackend('webgpu');
    return { info, reason: '' };
  } catch (error) {
    const reason = firstLine(error);
    if (!WEBGPU_REQUIRED)
      process.stderr.write(`${suite}: skipped, no webgpu backend here (${reason}); CI runs it on Mesa's llvmpipe\n`);
    return { info: null, reason };
  }
}
