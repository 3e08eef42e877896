/**
 * Where dataset indexes are cached: `$SAEV_CACHE`, else the user's cache
 * directory (`$XDG_CACHE_HOME/saev-tfjs`, `~/.cache/saev-tfjs`,
 * `~/Library/Caches/saev-tfjs`, `%LOCALAPPDATA%/saev-tfjs`), never inside a
 * (possibly read-only) dataset root. One file per dataset, named by kind, the
 * root's base name and a hash of the absolute root and options.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

export function getCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SAEV_CACHE) return path.resolve(env.SAEV_CACHE);
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'saev-tfjs');
  if (process.platform === 'win32')
    return path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'saev-tfjs');
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'saev-tfjs');
}

/** `<cache>/datasets/<kind>-<root base name>-<16 hex>.<ext>` for this dataset. */
export async function getIndexPath(kind: string, root: string, options: string, ext: string): Promise<string> {
  const real = await fs.realpath(root).catch(() => path.resolve(root));
  const hash = createHash('sha256')
    .update(JSON.stringify([kind, real, options]))
    .digest('hex')
    .slice(0, 16);
  const base =
    path
      .basename(real)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 40) || 'root';
  return path.join(getCacheDir(), 'datasets', `${kind}-${base}-${hash}.${ext}`);
}

/** The cached file's contents, or null when there is none (or it cannot be read). */
export async function readCache(indexPath: string): Promise<Buffer | null> {
  return fs.readFile(indexPath).catch(() => null);
}

/** Writes the cache atomically; a cache that cannot be written only costs time, so `warn` hears about it. */
export async function writeCache(
  indexPath: string,
  data: string | Uint8Array,
  warn: (line: string) => void,
): Promise<boolean> {
  try {
    await fs.mkdir(path.dirname(indexPath), { recursive: true });
    await writeFileAtomic(indexPath, data);
    return true;
  } catch (error) {
    warn(
      `data: cannot cache the dataset index at ${indexPath} (${(error as Error).message.split('\n')[0]}); set SAEV_CACHE to a writable directory`,
    );
    return false;
  }
}

/** A change stamp of a file or directory: size and modification time in nanoseconds. */
export async function getStamp(p: string): Promise<string | null> {
  const st = await fs.stat(p, { bigint: true }).catch(() => null);
  return st === null ? null : `${st.size}:${st.mtimeNs}`;
}
