/**
 * The Hugging Face cache as `huggingface_hub` lays it out, so Python tools
 * and this one share downloads:
 *
 *   <cache>/models--ORG--REPO/refs/<revision>          the commit a branch or tag pointed to (text)
 *   <cache>/models--ORG--REPO/snapshots/<commit>/<file> a relative symlink to ../../blobs/<etag>
 *   <cache>/models--ORG--REPO/blobs/<etag>              the bytes (etag: sha256 for LFS files, git sha1 otherwise)
 *   <cache>/models--ORG--REPO/.no_exist/<commit>/<file> an empty file: the repository has no such file
 *   <cache>/.locks/models--ORG--REPO/                   lock files
 *
 * `<cache>` is `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub` (`$XDG_CACHE_HOME`
 * honoured). Reads follow symlinks; a snapshot file that is a plain file (Windows, copies) counts too.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { getPrivateTmpPath } from '../util/create-once.js';

export function getHfHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface'));
}

export function getHfCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE;
  return dir ? path.resolve(dir) : path.join(getHfHome(env), 'hub');
}

export const isCommitHash = (revision: string) => /^[0-9a-f]{40}$/.test(revision);

/** One repository's folder and the paths inside it. */
export class HfRepoCache {
  readonly repoDir: string;
  readonly locksDir: string;

  constructor(
    readonly cacheDir: string,
    readonly repo: string,
  ) {
    const folder = `models--${repo.split('/').join('--')}`;
    this.repoDir = path.join(cacheDir, folder);
    this.locksDir = path.join(cacheDir, '.locks', folder);
  }

  snapshotPath(commit: string, file: string): string {
    return path.join(this.repoDir, 'snapshots', commit, ...file.split('/'));
  }

  blobPath(etag: string): string {
    return path.join(this.repoDir, 'blobs', etag);
  }

  /**
   * The commit `revision` names here: itself when it is a commit hash, else what `refs/<revision>` says (null:
   * unknown).
   */
  async readRef(revision: string): Promise<string | null> {
    if (isCommitHash(revision)) return revision;
    const text = await fs.readFile(path.join(this.repoDir, 'refs', ...revision.split('/')), 'utf8').catch(() => null);
    return text !== null && isCommitHash(text.trim()) ? text.trim() : null;
  }

  /** Records that `revision` is `commit` (atomically; nothing for a commit hash). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const refPath = path.join(this.repoDir, 'refs', ...revision.split('/'));
    if ((await fs.readFile(refPath, 'utf8').catch(() => null)) === commit) return;
    await fs.mkdir(path.dirname(refPath), { recursive: true });
    await writeFileAtomic(refPath, commit);
  }

  /** Whether the snapshot of `commit` has `file` (a link that resolves, or a plain file). */
  async hasFile(commit: string, file: string): Promise<boolean> {
    return (await fs.stat(this.snapshotPath(commit, file)).catch(() => null))?.isFile() === true;
  }

  /** Files of the snapshot of `commit` that resolve, relative to it (`/`-separated). */
  async listSnapshot(commit: string): Promise<string[]> {
    const root = path.join(this.repoDir, 'snapshots', commit);
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const sub = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(sub);
        else if (await this.hasFile(commit, sub)) out.push(sub);
      }
    };
    await walk('');
    return out.sort();
  }

  async markMissing(commit: string, file: string): Promise<void> {
    const marker = path.join(this.repoDir, '.no_exist', commit, ...file.split('/'));
    await fs.mkdir(path.dirname(marker), { recursive: true });
    await fs.writeFile(marker, '', { flag: 'a' });
  }

  /** The blob a snapshot file links to (its etag), or null when it is not such a link. */
  async getLinkedEtag(commit: string, file: string): Promise<string | null> {
    const target = await fs.readlink(this.snapshotPath(commit, file)).catch(() => null);
    if (target === null) return null;
    const resolved = path.resolve(path.dirname(this.snapshotPath(commit, file)), target);
    return path.dirname(resolved) === path.join(this.repoDir, 'blobs') ? path.basename(resolved) : null;
  }

  /** Points `snapshots/<commit>/<file>` at `blobs/<etag>` with a relative symlink, as huggingface_hub does. */
  async linkSnapshot(commit: string, file: string, etag: string): Promise<void> {
    const pointer = this.snapshotPath(commit, file);
    await fs.mkdir(path.dirname(pointer), { recursive: true });
    const target = path.relative(path.dirname(pointer), this.blobPath(etag));
    const tmp = getPrivateTmpPath(pointer);
    await fs.symlink(target, tmp);
    await fs.rename(tmp, pointer);
  }
}
