/** Whole-file writes that are never seen half-done: write a temporary file, fsync it, rename it into place. */
import { promises as fs } from 'node:fs';

export async function writeFileAtomic(filePath: string, data: string | Uint8Array): Promise<void> {
  const tmpPath = `${filePath}.tmp-${process.pid}`;
  const handle = await fs.open(tmpPath, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmpPath, filePath);
}
