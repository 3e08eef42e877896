/**
 * Files that many jobs may try to create at once (`metadata.json`, the
 * sidecars): the content goes to a private temporary file, is fsynced, and is
 * hard-linked to its final name, which fails if the name exists. So the file
 * appears whole or not at all, exactly one job creates it, and every other
 * job finds it and checks that it says the same thing. Where hard links are
 * not supported, an existence check plus rename is used instead.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crashPoint } from './crash-point.js';

const TMP_MARK = '.tmp-';

/** A temporary name unique to this process on this host, beside `filePath`. */
export function getPrivateTmpPath(filePath: string): string {
  const rand = Math.random().toString(36).slice(2, 8);
  return path.join(
    path.dirname(filePath),
    `.${path.basename(filePath)}${TMP_MARK}${os.hostname()}-${process.pid}-${rand}`,
  );
}

/** The host and pid that own a temporary file made by `getPrivateTmpPath`, or null for other names. */
export function parsePrivateTmpName(name: string): { host: string; pid: number } | null {
  const match = /^\..+?\.tmp-(.+)-(\d+)-[0-9a-z]+$/.exec(name);
  return match ? { host: match[1], pid: Number(match[2]) } : null;
}

/** Writes a new file (failing if it exists) and fsyncs it before returning. */
export async function writeDurable(filePath: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(filePath, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export type CreateOutcome = 'created' | 'existing';

/**
 * Creates `filePath` with `data` unless it exists. If it exists, `same(existing)`
 * decides whether it agrees (by default: identical text); if not, throws an
 * error naming the file.
 */
export async function createFileOnce(
  filePath: string,
  data: string,
  same: (existing: string) => boolean = (existing) => existing === data,
): Promise<CreateOutcome> {
  const tmpPath = getPrivateTmpPath(filePath);
  let outcome: CreateOutcome = 'created';
  await writeDurable(tmpPath, data);
  crashPoint('create-once');
  try {
    await fs.link(tmpPath, filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') outcome = 'existing';
    else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      const exists = await fs.stat(filePath).then(
        () => true,
        () => false,
      );
      if (exists) outcome = 'existing';
      else {
        await fs.rename(tmpPath, filePath);
        return 'created';
      }
    } else {
      await fs.rm(tmpPath, { force: true });
      throw error;
    }
  } finally {
    await fs.rm(tmpPath, { force: true });
  }
  if (outcome === 'existing') {
    const existing = await fs.readFile(filePath, 'utf8');
    if (!same(existing)) {
      throw new Error(
        `shards: ${filePath} already exists and disagrees with this run (another job used different settings or software); remove the directory or rerun with the original settings`,
      );
    }
  }
  return outcome;
}
