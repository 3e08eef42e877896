/**
 * One file over HTTP into place, never half-written where it will be used:
 * bytes go to `<dest>.incomplete` (kept when the transfer stops, and resumed
 * from its end with `Range` on the next try or run), the size and the
 * expected digest (the LFS sha256, or the git blob sha1 of small files) are
 * checked, and only then is the file renamed to `<dest>`. A digest mismatch
 * removes the partial file, so the next run starts afresh. Progress goes to
 * stderr as extraction's does. The caller holds a lock, so one process
 * writes a given partial file.
 */
import { createHash, Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { firstLine } from '../error-line.js';
import { Progress } from '../progress.js';

export interface DownloadSpec {
  /** Opens the source from byte `offset`; status 206 when the range is honoured, 200 when it starts over. */
  open(offset: number, signal: AbortSignal): Promise<Response>;
  /** Final path; `<dest>.incomplete` holds the bytes until they check out. */
  dest: string;
  /** For messages and progress, e.g. `open_clip_model.safetensors`. */
  label: string;
  /** Where it comes from, for messages. */
  from: string;
  size: number | null;
  /** Expected sha256 of the content (LFS files). */
  sha256: string | null;
  /** Expected git blob id, sha1 of `blob <size>\0<content>` (small, non-LFS files). */
  gitBlobId?: string | null;
}

export interface DownloadOptions {
  log: (line: string) => void;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Resumes tried within this run after the transfer stops (default 2). */
  retries?: number;
  retryDelayMs?: number;
  /** A transfer with no byte for this long is stopped (default 60 s). */
  idleTimeoutMs?: number;
}

export interface Downloaded {
  sha256: string;
  size: number;
}

const formatBytes = (n: number) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${n.toLocaleString('en-US')} bytes`;

export const getPartialPath = (dest: string) => `${dest}.incomplete`;

/** Hashes of the bytes so far, fed in order across resumes. */
class Digests {
  sha256 = createHash('sha256');
  gitSha1: Hash | null;
  constructor(size: number | null, wantGit: boolean) {
    this.gitSha1 = wantGit && size !== null ? createHash('sha1').update(`blob ${size}\0`) : null;
  }
  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.gitSha1?.update(chunk);
  }
}

async function hashExisting(filePath: string, digests: Digests): Promise<void> {
  for await (const chunk of createReadStream(filePath)) digests.update(chunk as Buffer);
}

/** Appends the response body to `partial`; returns the bytes written (also on failure, via `written.n`). */
async function appendBody(
  response: Response,
  partial: string,
  digests: Digests,
  onBytes: (n: number) => void,
  written: { n: number },
): Promise<void> {
  const handle = await fs.open(partial, 'a');
  try {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await handle.write(value);
      digests.update(value);
      written.n += value.byteLength;
      onBytes(value.byteLength);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function downloadFile(spec: DownloadSpec, options: DownloadOptions): Promise<Downloaded> {
  const partial = getPartialPath(spec.dest);
  const retries = options.retries ?? 2;
  const digests = new Digests(spec.size, Boolean(spec.gitBlobId));
  let offset = (await fs.stat(partial).catch(() => null))?.size ?? 0;
  if (spec.size !== null && offset > spec.size) {
    await fs.rm(partial, { force: true });
    offset = 0;
  }
  if (offset > 0) {
    await hashExisting(partial, digests);
    options.log(
      `hub: resuming ${spec.label} at ${formatBytes(offset)}${spec.size !== null ? ` of ${formatBytes(spec.size)}` : ''} (${partial})`,
    );
  } else {
    options.log(
      `hub: downloading ${spec.label}${spec.size !== null ? ` (${formatBytes(spec.size)})` : ''} from ${spec.from}`,
    );
  }
  const total = Math.max(1, Math.ceil((spec.size ?? 0) / 1e6));
  const progress = new Progress({
    label: `hub: ${spec.label}`,
    unit: 'MB',
    total,
    initial: Math.floor(offset / 1e6),
    stream: options.progressStream,
  });
  let counted = offset;
  const onBytes = (n: number) => {
    const before = Math.floor(counted / 1e6);
    counted += n;
    const after = Math.min(total, Math.floor(counted / 1e6));
    if (after > before) progress.tick(after - before);
  };
  const restart = async () => {
    await fs.rm(partial, { force: true });
    Object.assign(digests, new Digests(spec.size, Boolean(spec.gitBlobId)));
    counted = 0;
    offset = 0;
  };
  for (let attempt = 0; spec.size === null || offset < spec.size; attempt++) {
    const controller = new AbortController();
    const idle = () =>
      setTimeout(() => controller.abort(new Error('no data for a while')), options.idleTimeoutMs ?? 60_000);
    let timer = idle();
    const written = { n: 0 };
    let response: Response;
    try {
      response = await spec.open(offset, controller.signal);
    } catch (error) {
      clearTimeout(timer);
      // An answer from the server (gated, not found, ...) will not change on a retry; no answer might.
      if (!/^hub: cannot reach/.test(firstLine(error)) || attempt >= retries) {
        if (offset === 0 || !/^hub: cannot reach/.test(firstLine(error))) throw error;
        throw new Error(
          `hub: download of ${spec.label} stopped at ${formatBytes(offset)} (${firstLine(error).replace(/^hub: /, '')}); rerun to resume from there (partial file ${partial})`,
          { cause: error },
        );
      }
      options.log(`${firstLine(error)}; trying again`);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
      continue;
    }
    try {
      if (response.status === 416) {
        // The range was refused (the partial file is not a prefix of this content): start over.
        await response.body?.cancel();
        await restart();
        continue;
      }
      if (offset > 0 && response.status === 200) await restart(); // the range was ignored: this is the whole file
      const range = response.headers.get('content-range');
      if (offset > 0 && (!range || !range.startsWith(`bytes ${offset}-`))) {
        await response.body?.cancel();
        throw new Error(`answered range '${range ?? 'none'}' to a request from byte ${offset}`);
      }
      await appendBody(
        response,
        partial,
        digests,
        (n) => {
          clearTimeout(timer);
          timer = idle();
          onBytes(n);
        },
        written,
      );
      offset += written.n;
      if (spec.size === null) break;
      if (offset < spec.size) throw new Error('the connection closed early');
    } catch (error) {
      offset = (await fs.stat(partial).catch(() => null))?.size ?? 0;
      const reason = firstLine(controller.signal.aborted ? controller.signal.reason : error);
      if (attempt >= retries) {
        const of = spec.size !== null ? ` of ${formatBytes(spec.size)}` : '';
        throw new Error(
          `hub: download of ${spec.label} stopped at ${formatBytes(offset)}${of} (${reason}); rerun to resume from there (partial file ${partial})`,
          { cause: error },
        );
      }
      options.log(`hub: ${spec.label} stopped at ${formatBytes(offset)} (${reason}); resuming`);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
    } finally {
      clearTimeout(timer);
    }
  }
  await fs.writeFile(partial, '', { flag: 'a' }); // an empty file has no body to create it
  const size = (await fs.stat(partial).catch(() => null))?.size ?? 0;
  const sha256 = digests.sha256.digest('hex');
  const bad =
    spec.size !== null && size !== spec.size
      ? `has ${formatBytes(size)}, expected ${formatBytes(spec.size)}`
      : spec.sha256 !== null && sha256 !== spec.sha256
        ? `has sha256 ${sha256}, expected ${spec.sha256} (its LFS pointer)`
        : spec.gitBlobId && digests.gitSha1 && digests.gitSha1.digest('hex') !== spec.gitBlobId
          ? `does not hash to its git blob id ${spec.gitBlobId}`
          : null;
  if (bad) {
    await fs.rm(partial, { force: true });
    throw new Error(
      `hub: ${spec.label} as downloaded from ${spec.from} ${bad}; the download was removed, rerun to fetch it again`,
    );
  }
  await fs.rename(partial, spec.dest);
  const checked =
    spec.sha256 !== null
      ? 'sha256 checked against its LFS pointer'
      : spec.gitBlobId
        ? 'git blob id checked'
        : `sha256 ${sha256} (no published digest to check it against)`;
  progress.finish(`${formatBytes(size)} in ${progress.elapsedS.toFixed(1)} s, ${checked}`);
  return { sha256, size };
}
