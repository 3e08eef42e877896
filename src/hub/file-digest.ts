/**
 * sha256 of a local checkpoint file, hashed once: the digest is kept under
 * `$SAEV_CACHE/digests/` with the file's size, inode and modification time,
 * and reused while those stay the same (a 10 GB checkpoint takes tens of
 * seconds to hash; the converted-model cache is keyed by the digest).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { getCacheDir } from '../data/cache-dir.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { hashFile } from '../util/hash-file.js';

interface DigestEntry {
  path: string;
  stamp: string;
  sha256: string;
}

async function getStamp(filePath: string): Promise<string> {
  const st = await fs.stat(filePath, { bigint: true });
  return `${st.size}:${st.ino}:${st.mtimeNs}`;
}

function getEntryPath(realPath: string, env: NodeJS.ProcessEnv): string {
  return path.join(
    getCacheDir(env),
    'digests',
    `${createHash('sha256').update(realPath).digest('hex').slice(0, 32)}.json`,
  );
}

/** The file's sha256, from the digest cache when the file has not changed since it was hashed. */
export async function getFileSha256(
  filePath: string,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const realPath = await fs.realpath(filePath);
  const entryPath = getEntryPath(realPath, env);
  const stamp = await getStamp(realPath);
  const cached = JSON.parse((await fs.readFile(entryPath, 'utf8').catch(() => 'null')) || 'null') as DigestEntry | null;
  if (cached && cached.path === realPath && cached.stamp === stamp && /^[0-9a-f]{64}$/.test(cached.sha256))
    return cached.sha256;
  const { size } = await fs.stat(realPath);
  if (size > 1e8) log(`hub: hashing ${filePath} (${(size / 1e9).toFixed(2)} GB), once`);
  const sha256 = await hashFile(realPath);
  // a cache that cannot be written costs only time
  await rememberFileSha256(realPath, sha256, env).catch(() => undefined);
  return sha256;
}

/** Records a digest computed elsewhere (while downloading). */
export async function rememberFileSha256(
  filePath: string,
  sha256: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const realPath = await fs.realpath(filePath);
  const entryPath = getEntryPath(realPath, env);
  await fs.mkdir(path.dirname(entryPath), { recursive: true });
  await writeFileAtomic(
    entryPath,
    JSON.stringify({ path: realPath, stamp: await getStamp(realPath), sha256 } satisfies DigestEntry) + '\n',
  );
}
