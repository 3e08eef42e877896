/**
 * The few Hugging Face Hub requests a download needs, over Node's fetch:
 *  - `GET <endpoint>/api/models/ORG/REPO/revision/REV?blobs=true`: the commit a revision points to and
 *    the repository's files (size; for LFS files the sha256 of their content);
 *  - `GET <endpoint>/ORG/REPO/resolve/COMMIT/FILE`, following the redirect of LFS files to their
 *    storage (the `Authorization` header is dropped when the redirect leaves the Hub's host), with
 *    `Range: bytes=N-` to resume.
 * The Hub's own error codes (`X-Error-Code`: GatedRepo, RepoNotFound, RevisionNotFound,
 * EntryNotFound) become one-line errors that say what to do. `HF_ENDPOINT`, `HF_TOKEN` (else
 * `HUGGING_FACE_HUB_TOKEN`, else the token file `huggingface-cli login` writes) and `HF_HUB_OFFLINE` are
 * read as huggingface_hub reads them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { firstLine } from '../error-line.js';
import { getHfHome } from './hf-cache.js';

export interface HubEnv {
  endpoint: string;
  token: string | null;
  /** Where the token came from, for messages. */
  tokenSource: string | null;
  /** `HF_HUB_OFFLINE=1`: no request at all. */
  offline: boolean;
}

const isTrue = (value: string | undefined) => ['1', 'on', 'yes', 'true'].includes((value ?? '').trim().toLowerCase());

export function getHubEnv(env: NodeJS.ProcessEnv = process.env): HubEnv {
  const endpoint = (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
  let token = (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || '').trim() || null;
  let tokenSource = token ? (env.HF_TOKEN ? 'HF_TOKEN' : 'HUGGING_FACE_HUB_TOKEN') : null;
  if (!token) {
    const file = env.HF_TOKEN_PATH ?? path.join(getHfHome(env), 'token');
    const text = (() => {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch {
        return '';
      }
    })();
    if (text) [token, tokenSource] = [text, file];
  }
  return { endpoint, token, tokenSource, offline: isTrue(env.HF_HUB_OFFLINE) || isTrue(env.TRANSFORMERS_OFFLINE) };
}

export interface RepoFile {
  /** Path in the repository, `/`-separated. */
  name: string;
  size: number | null;
  /** sha256 of the content, for LFS files. */
  sha256: string | null;
  /** git blob id (sha1), for the others. */
  blobId: string | null;
}

export interface RepoInfo {
  commit: string;
  files: RepoFile[];
}

/** Context for messages. */
interface Where {
  repo: string;
  revision: string;
  file?: string;
}

/** Turns a non-2xx Hub answer into the one-line error a user can act on. */
export function describeHubError(response: Response, hub: HubEnv, where: Where): Error {
  const code = response.headers.get('x-error-code');
  const page = `${hub.endpoint}/${where.repo}`;
  if (code === 'GatedRepo') {
    return new Error(
      hub.token
        ? `hub: ${where.repo} is gated and the token from ${hub.tokenSource} has no access to it yet; accept its terms at ${page} with that account, then rerun`
        : `hub: ${where.repo} is gated and no token was found; accept its terms at ${page}, then set HF_TOKEN (a read token from ${hub.endpoint}/settings/tokens) and rerun`,
    );
  }
  if (code === 'RevisionNotFound')
    return new Error(
      `hub: ${where.repo} has no revision '${where.revision}'; check the @REVISION of the name (a branch, tag or commit)`,
    );
  if (code === 'EntryNotFound')
    return new Error(`hub: ${where.repo}@${where.revision} has no file ${where.file ?? '?'}`);
  if (code === 'RepoNotFound' || response.status === 401 || response.status === 404) {
    const auth = hub.token ? '' : ' (or it is private: set HF_TOKEN)';
    return new Error(`hub: repository ${where.repo} was not found on ${hub.endpoint}${auth}; check the name`);
  }
  return new Error(
    `hub: ${response.url || page} answered HTTP ${response.status}${code ? ` (${code})` : ''}; retry later, or set HF_HUB_OFFLINE=1 to use only cached files`,
  );
}

/** A network failure (no answer at all), in one line. */
export function describeNetworkError(error: unknown, hub: HubEnv, what: string): Error {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? firstLine(error);
  return new Error(
    `hub: cannot reach ${hub.endpoint} for ${what} (${reason}); check the network or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only cached files`,
  );
}

function authHeaders(hub: HubEnv): Record<string, string> {
  return hub.token ? { authorization: `Bearer ${hub.token}` } : {};
}

const encodePath = (file: string) => file.split('/').map(encodeURIComponent).join('/');

/** The commit `revision` points to and the repository's files. */
export async function getRepoInfo(hub: HubEnv, repo: string, revision: string, timeoutMs = 30_000): Promise<RepoInfo> {
  const url = `${hub.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  let response: Response;
  try {
    response = await fetch(url, { headers: authHeaders(hub), signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw describeNetworkError(error, hub, `${repo}@${revision}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw describeHubError(response, hub, { repo, revision });
  }
  const json = (await response.json()) as {
    sha?: unknown;
    siblings?: Array<{
      rfilename?: unknown;
      size?: unknown;
      blobId?: unknown;
      lfs?: { sha256?: unknown; size?: unknown };
    }>;
  };
  if (typeof json.sha !== 'string' || !/^[0-9a-f]{40}$/.test(json.sha) || !Array.isArray(json.siblings)) {
    throw new Error(`hub: ${url} did not answer with a commit and a file list; is HF_ENDPOINT a Hugging Face Hub?`);
  }
  const files = json.siblings
    .filter((s) => typeof s.rfilename === 'string')
    .map((s) => ({
      name: s.rfilename as string,
      size: typeof s.lfs?.size === 'number' ? s.lfs.size : typeof s.size === 'number' ? s.size : null,
      sha256: typeof s.lfs?.sha256 === 'string' ? s.lfs.sha256 : null,
      blobId: typeof s.blobId === 'string' ? s.blobId : null,
    }));
  return { commit: json.sha, files };
}

export interface OpenedFile {
  response: Response;
  /** Headers of the Hub's own answer (before any redirect): `X-Repo-Commit`, `X-Linked-Etag`, `ETag`. */
  hubHeaders: Headers;
}

/**
 * Opens `FILE` of `repo` at `commit` from byte `offset` (0: all of it). The
 * caller reads `response.body`; status 206 means the range was honoured.
 */
export async function openRepoFile(
  hub: HubEnv,
  repo: string,
  commit: string,
  file: string,
  offset: number,
  signal?: AbortSignal,
): Promise<OpenedFile> {
  const first = `${hub.endpoint}/${repo}/resolve/${commit}/${encodePath(file)}`;
  return openUrl(first, hub, offset, { repo, revision: commit, file }, signal);
}

/** Opens a URL from byte `offset`, following up to 5 redirects; the token is sent only to the Hub's own host. */
export async function openUrl(
  url: string,
  hub: HubEnv,
  offset: number,
  where: Where,
  signal?: AbortSignal,
): Promise<OpenedFile> {
  const hubHost = new URL(hub.endpoint).host;
  let current = url;
  let hubHeaders: Headers | null = null;
  for (let hop = 0; hop <= 5; hop++) {
    const headers: Record<string, string> = {
      'accept-encoding': 'identity',
      ...(new URL(current).host === hubHost ? authHeaders(hub) : {}),
    };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: 'manual', signal });
    } catch (error) {
      throw describeNetworkError(error, hub, where.file ?? current);
    }
    hubHeaders ??= response.headers;
    if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
      await response.body?.cancel();
      current = new URL(response.headers.get('location')!, current).toString();
      continue;
    }
    if (!response.ok && response.status !== 416) {
      await response.body?.cancel();
      throw describeHubError(response, hub, where);
    }
    return { response, hubHeaders };
  }
  throw new Error(`hub: more than 5 redirects from ${url}`);
}
