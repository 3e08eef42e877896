/**
 * torch hub's checkpoint cache, `$TORCH_HOME/hub/checkpoints/<file>` (TORCH_HOME defaults to
 * `$XDG_CACHE_HOME/torch`, else `~/.cache/torch`), where `torch.hub.load_state_dict_from_url` keeps
 * what it downloads under the URL's file name: DINOv2's hub weights (and DINOv3's, when a user has
 * them). A missing DINOv2 file is downloaded from its public URL into the same place, so torch and
 * this tool share it; `SAEV_DINOV2_URL` replaces the base URL (a mirror).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { downloadFile } from './download-file.js';
import type { HubEnv } from './hub-client.js';
import { describeNetworkError } from './hub-client.js';
import { DINOV2_BASE_URL, TorchHubName } from './hub-names.js';
import { withLock } from './wait-lock.js';

export function getTorchHubCheckpointsDir(env: NodeJS.ProcessEnv = process.env): string {
  const torchHome = env.TORCH_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'torch');
  return path.resolve(torchHome, 'hub', 'checkpoints');
}

/** The cached file matching `pattern` (a trailing `*` before the extension matches a hash suffix), or null. */
export async function findTorchHubFile(dir: string, pattern: string): Promise<string | null> {
  if (!pattern.includes('*'))
    return (await fs.stat(path.join(dir, pattern)).catch(() => null))?.isFile() ? path.join(dir, pattern) : null;
  const [prefix, suffix] = pattern.split('*');
  const names = (await fs.readdir(dir).catch(() => [] as string[]))
    .filter((name) => name.startsWith(prefix) && name.endsWith(suffix))
    .sort();
  return names.length ? path.join(dir, names[0]) : null;
}

export interface TorchHubFile {
  path: string;
  url: string | null;
  /** Known when this run downloaded it. */
  sha256: string | null;
  downloaded: boolean;
}

export interface TorchHubOptions {
  hub: HubEnv;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  retries?: number;
  retryDelayMs?: number;
}

/**
 * The torch-hub file of `entry`: cached, or downloaded from its public URL. Null when torch hub has none public
 * (DINOv3).
 */
export async function fetchTorchHubFile(
  hubName: string,
  entry: TorchHubName,
  options: TorchHubOptions,
): Promise<TorchHubFile | null> {
  const dir = getTorchHubCheckpointsDir(options.env);
  const cached = await findTorchHubFile(dir, entry.file);
  if (cached) return { path: cached, url: null, sha256: null, downloaded: false };
  if (!entry.urlPath) return null;
  const url = `${(options.env.SAEV_DINOV2_URL || DINOV2_BASE_URL).replace(/\/+$/, '')}/${entry.urlPath}`;
  const dest = path.join(dir, entry.file);
  if (options.hub.offline) {
    throw new Error(
      `hub: HF_HUB_OFFLINE=1 and '${hubName}' needs ${entry.file}, which is not in the torch hub cache (looked in ${dir}; TORCH_HOME moves it); run once with the network or copy the file there from ${url}`,
    );
  }
  return withLock(`${dest}.saev.lock`, { log: options.log, what: `downloading ${url}` }, async () => {
    if (await findTorchHubFile(dir, entry.file)) return { path: dest, url, sha256: null, downloaded: false };
    await fs.mkdir(dir, { recursive: true });
    const open = async (offset: number, signal: AbortSignal) => {
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { 'accept-encoding': 'identity', ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
          signal,
        });
      } catch (error) {
        throw describeNetworkError(error, { ...options.hub, endpoint: new URL(url).origin }, entry.file);
      }
      if (!response.ok && response.status !== 416) {
        await response.body?.cancel();
        throw new Error(
          `hub: ${url} answered HTTP ${response.status}; check SAEV_DINOV2_URL, or put ${entry.file} in ${dir} yourself`,
        );
      }
      return response;
    };
    // The size, for the check and for progress: a HEAD request, as torch hub's own download reads Content-Length.
    const head = await fetch(url, {
      method: 'HEAD',
      headers: { 'accept-encoding': 'identity' },
      signal: AbortSignal.timeout(30_000),
    }).catch((error) => {
      throw describeNetworkError(error, { ...options.hub, endpoint: new URL(url).origin }, entry.file);
    });
    if (!head.ok)
      throw new Error(
        `hub: ${url} answered HTTP ${head.status}; check SAEV_DINOV2_URL, or put ${entry.file} in ${dir} yourself`,
      );
    const size = Number(head.headers.get('content-length') ?? NaN);
    const { sha256 } = await downloadFile(
      { open, dest, label: entry.file, from: url, size: Number.isFinite(size) ? size : null, sha256: null },
      { log: options.log, retries: options.retries, retryDelayMs: options.retryDelayMs },
    );
    return { path: dest, url, sha256, downloaded: true };
  });
}
