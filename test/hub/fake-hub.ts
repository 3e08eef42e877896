/**
 * A Hugging Face Hub on 127.0.0.1 with the real HTTP shape, for tests:
 *  - `GET /api/models/ORG/REPO/revision/REV[?blobs=true]`: `sha` and `siblings` (`rfilename`, `size`,
 *    `blobId`, and `lfs: {sha256, size}` for LFS files);
 *  - `HEAD|GET /ORG/REPO/resolve/REV/FILE`: `X-Repo-Commit` and `ETag` always; LFS files answer 302 to
 *    a second server (the "CDN", another host:port) with `X-Linked-Etag` and `X-Linked-Size`; small files
 *    answer 200 with their bytes;
 *  - the CDN and the torch-hub files honour `Range: bytes=N-` (206, `Content-Range`);
 *  - errors as the Hub sends them: 401 `X-Error-Code: GatedRepo` without an accepted token, 404
 *    `RepoNotFound`, `RevisionNotFound`, `EntryNotFound`.
 * Every request is logged; `cutAfter` breaks a transfer after some bytes, `corrupt` serves other bytes.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFile {
  name: string;
  data: Buffer;
  /** Stored in LFS (default: checkpoint-looking names). */
  lfs?: boolean;
}

export interface FakeRepo {
  repo: string;
  /** Revision name (branch or tag) -> its files; each revision gets its own commit hash. */
  revisions: Record<string, FakeFile[]>;
  /** Tokens that may download (a gated repository); undefined: public. */
  gatedTokens?: string[];
}

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | null;
  auth: string | null;
  server: 'hub' | 'cdn';
}

const sha1 = (data: Buffer | string) => createHash('sha1').update(data).digest('hex');
export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
export const gitBlobId = (data: Buffer) => sha1(Buffer.concat([Buffer.from(`blob ${data.length}\0`), data]));
export const commitOf = (repo: string, revision: string) => sha1(`${repo}@${revision}`);
const isLfs = (file: FakeFile) => file.lfs ?? /\.(safetensors|bin|pt|pth)$/.test(file.name);

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  /** sha256 (or torch path) -> bytes after which the connection is destroyed. */
  readonly cutAfter = new Map<string, number>();
  /** sha256 -> serve these bytes instead. */
  readonly corrupt = new Map<string, Buffer>();
  /** Torch-hub files by URL path (`/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth`). */
  readonly torchFiles = new Map<string, Buffer>();
  url = '';
  cdnUrl = '';
  private blobs = new Map<string, Buffer>();
  private hub!: http.Server;
  private cdn!: http.Server;

  constructor(readonly repos: FakeRepo[]) {
    for (const repo of repos)
      for (const files of Object.values(repo.revisions))
        for (const file of files) if (isLfs(file)) this.blobs.set(sha256(file.data), file.data);
  }

  static async start(repos: FakeRepo[]): Promise<FakeHub> {
    const hub = new FakeHub(repos);
    hub.hub = http.createServer((req, res) => hub.serveHub(req, res));
    hub.cdn = http.createServer((req, res) => hub.serveCdn(req, res));
    for (const [server, key] of [
      [hub.hub, 'url'],
      [hub.cdn, 'cdnUrl'],
    ] as const) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      hub[key] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    return hub;
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  /** Requests whose path matches. */
  count(pattern: RegExp): number {
    return this.requests.filter((r) => pattern.test(r.path)).length;
  }

  private log(req: http.IncomingMessage, server: 'hub' | 'cdn'): void {
    this.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      range: (req.headers.range as string) ?? null,
      auth: (req.headers.authorization as string) ?? null,
      server,
    });
  }

  private findRevision(repo: FakeRepo, rev: string): { commit: string; files: FakeFile[] } | null {
    for (const [name, files] of Object.entries(repo.revisions)) {
      const commit = commitOf(repo.repo, name);
      if (rev === name || rev === commit) return { commit, files };
    }
    return null;
  }

  private error(res: http.ServerResponse, status: number, code: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { 'x-error-code': code, 'content-type': 'application/json', ...extra });
    res.end(JSON.stringify({ error: code }));
  }

  private serveHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.log(req, 'hub');
    const url = new URL(req.url ?? '/', this.url);
    const torch = this.torchFiles.get(url.pathname);
    if (torch) return this.serveBytes(req, res, torch, url.pathname);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoId = api?.[1] ?? resolve?.[1];
    const repo = this.repos.find((r) => r.repo === repoId);
    if (!repo) return this.error(res, 401, 'RepoNotFound');
    const found = this.findRevision(repo, decodeURIComponent((api ?? resolve)![2]));
    if (!found) return this.error(res, 404, 'RevisionNotFound');
    if (api) {
      const siblings = found.files.map((f) => ({
        rfilename: f.name,
        ...(url.searchParams.get('blobs') ? { size: f.data.length, blobId: gitBlobId(f.data) } : {}),
        ...(isLfs(f) && url.searchParams.get('blobs')
          ? { lfs: { sha256: sha256(f.data), size: f.data.length, pointerSize: 134 } }
          : {}),
      }));
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          id: repo.repo,
          modelId: repo.repo,
          sha: found.commit,
          gated: repo.gatedTokens ? 'manual' : false,
          siblings,
        }),
      );
    }
    if (repo.gatedTokens) {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!repo.gatedTokens.includes(token)) return this.error(res, token ? 403 : 401, 'GatedRepo');
    }
    const name = decodeURIComponent(resolve![3]);
    const file = found.files.find((f) => f.name === name);
    const commitHeader = { 'x-repo-commit': found.commit };
    if (!file) return this.error(res, 404, 'EntryNotFound', commitHeader);
    if (isLfs(file)) {
      const digest = sha256(file.data);
      res.writeHead(302, {
        ...commitHeader,
        location: `${this.cdnUrl}/lfs/${digest}`,
        etag: `"${gitBlobId(Buffer.from(digest))}"`,
        'x-linked-etag': `"${digest}"`,
        'x-linked-size': String(file.data.length),
        'content-length': '0',
      });
      return void res.end();
    }
    res.writeHead(200, {
      ...commitHeader,
      etag: `"${gitBlobId(file.data)}"`,
      'content-length': String(file.data.length),
      'content-type': 'application/octet-stream',
    });
    res.end(req.method === 'HEAD' ? undefined : file.data);
  }

  private serveCdn(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.log(req, 'cdn');
    const digest = /^\/lfs\/([0-9a-f]{64})$/.exec(new URL(req.url ?? '/', this.cdnUrl).pathname)?.[1];
    const data = digest ? this.blobs.get(digest) : undefined;
    if (!digest || !data) return this.error(res, 404, 'NotFound');
    this.serveBytes(req, res, this.corrupt.get(digest) ?? data, digest);
  }

  private serveBytes(req: http.IncomingMessage, res: http.ServerResponse, data: Buffer, key: string): void {
    const range = /^bytes=(\d+)-$/.exec((req.headers.range as string) ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start > data.length) {
      res.writeHead(416, { 'content-range': `bytes */${data.length}` });
      return void res.end();
    }
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'accept-ranges': 'bytes',
      'content-length': String(body.length),
      'content-type': 'application/octet-stream',
      ...(range ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const cut = this.cutAfter.get(key);
    if (cut !== undefined && cut < body.length) {
      res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body);
  }
}
