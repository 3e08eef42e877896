/**
 * Whole-file writes that are never seen half-done: write a private temporary
 * file (named so that a later run can tell which dead process left it, see
 * create-once.ts), fsync it, rename it into place.
 */
import { promises as fs } from 'node:fs';
import { getPrivateTmpPath, writeDurable } from './create-once.js';

export async function writeFileAtomic(filePath: string, data: string | Uint8Array): Promise<void> {
  const tmpPath = getPrivateTmpPath(filePath);
  try {
    await writeDurable(tmpPath, data);
    await fs.rename(tmpPath, filePath);
  } catch (error) {
    await fs.rm(tmpPath, { force: true });
    throw error;
  }
}
