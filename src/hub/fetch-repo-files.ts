/**
 * A repository's checkpoint files, from the Hugging Face cache when it has
 * them (no request at all), else from the Hub into that cache, as
 * huggingface_hub would have put them. Which files: open_clip's
 * `open_clip_model.safetensors` (else `open_clip_pytorch_model.bin`) with
 * `open_clip_config.json`, else transformers/timm's `model.safetensors` (else
 * `pytorch_model.bin`) with `config.json`, else the repository's only
 * checkpoint file. One process per revision asks the Hub and downloads; the
 * others of a job array wait for it and then read the cache.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { downloadFile } from './download-file.js';
import { HfRepoCache } from './hf-cache.js';
import { getRepoInfo, HubEnv, openRepoFile, RepoFile } from './hub-client.js';
import { withLock } from './wait-lock.js';

export interface FilePlan {
  weights: string;
  config: string | null;
}

export interface LocalRepoFile {
  name: string;
  /** The snapshot path (a link into `blobs/`). */
  path: string;
  /** sha256 of the content when the cache or the Hub says it (LFS files). */
  sha256: string | null;
}

export interface RepoFiles {
  repo: string;
  revision: string;
  commit: string;
  weights: LocalRepoFile;
  config: LocalRepoFile | null;
  /** Whether this run downloaded anything. */
  downloaded: boolean;
}

export interface FetchOptions {
  hub: HubEnv;
  cacheDir: string;
  log: (line: string) => void;
  /** open_clip's `MODEL/TAG` names need only the weights (their config is open_clip's own). */
  openClipName: boolean;
  /** Told the config before the weights are fetched, so a wrong family fails before a large download. */
  checkConfig?: (file: string, text: string) => void | Promise<void>;
  retries?: number;
  retryDelayMs?: number;
}

const OPEN_CLIP_WEIGHTS = ['open_clip_model.safetensors', 'open_clip_pytorch_model.bin'];
const OPEN_CLIP_CONFIG = 'open_clip_config.json';
const WEIGHTS = ['model.safetensors', 'pytorch_model.bin'];
const WEIGHT_FILE = /^[^/]+\.(safetensors|pt|pth|bin)$/;
const NOT_WEIGHTS = /^(training_args|optimizer|scheduler|rng_state)/;

/** What to take from a repository holding `names`; null when none is a checkpoint. */
export function chooseRepoFiles(names: readonly string[], openClipName: boolean): FilePlan | null {
  const has = new Set(names);
  const openClipWeights = OPEN_CLIP_WEIGHTS.find((name) => has.has(name));
  if (openClipWeights && (openClipName || has.has(OPEN_CLIP_CONFIG)))
    return { weights: openClipWeights, config: has.has(OPEN_CLIP_CONFIG) ? OPEN_CLIP_CONFIG : null };
  if (openClipName) return null;
  const config = has.has('config.json') ? 'config.json' : null;
  const weights = WEIGHTS.find((name) => has.has(name));
  if (weights) return { weights, config };
  if (has.has('model.safetensors.index.json')) {
    throw new Error(
      'hub: the repository shards its weights (model.safetensors.index.json); sharded checkpoints are not read, convert a single-file checkpoint instead',
    );
  }
  const candidates = names.filter((name) => WEIGHT_FILE.test(name) && !NOT_WEIGHTS.test(name));
  return candidates.length === 1 ? { weights: candidates[0], config } : null;
}

function describeWanted(openClipName: boolean): string {
  const openClip = `${OPEN_CLIP_WEIGHTS.join(' or ')}`;
  return openClipName ? openClip : `${openClip} with ${OPEN_CLIP_CONFIG}, or ${WEIGHTS.join(' or ')}`;
}

/** The files from the cache alone, or null when it lacks any of them. */
async function readCached(
  cache: HfRepoCache,
  revision: string,
  openClipName: boolean,
): Promise<Omit<RepoFiles, 'downloaded'> | null> {
  const commit = await cache.readRef(revision);
  if (!commit) return null;
  const plan = chooseRepoFiles(await cache.listSnapshot(commit), openClipName);
  if (!plan) return null;
  const local = async (name: string): Promise<LocalRepoFile> => {
    const etag = await cache.getLinkedEtag(commit, name);
    return { name, path: cache.snapshotPath(commit, name), sha256: etag && /^[0-9a-f]{64}$/.test(etag) ? etag : null };
  };
  return {
    repo: cache.repo,
    revision,
    commit,
    weights: await local(plan.weights),
    config: plan.config ? await local(plan.config) : null,
  };
}

async function fetchOne(cache: HfRepoCache, commit: string, file: RepoFile, options: FetchOptions): Promise<boolean> {
  if (await cache.hasFile(commit, file.name)) return false;
  const etag = file.sha256 ?? file.blobId;
  if (!etag)
    throw new Error(
      `hub: ${options.hub.endpoint} listed ${cache.repo}'s ${file.name} without a digest; is HF_ENDPOINT a Hugging Face Hub?`,
    );
  const blob = cache.blobPath(etag);
  const lockPath = path.join(cache.locksDir, `${etag}.saev.lock`);
  const downloaded = await withLock(
    lockPath,
    { log: options.log, what: `downloading ${cache.repo}'s ${file.name}` },
    async () => {
      if (await cache.hasFile(commit, file.name)) return false;
      if (!(await fs.stat(blob).catch(() => null))) {
        await fs.mkdir(path.dirname(blob), { recursive: true });
        await downloadFile(
          {
            open: async (offset, signal) => {
              const { response, hubHeaders } = await openRepoFile(
                options.hub,
                cache.repo,
                commit,
                file.name,
                offset,
                signal,
              );
              const served = (hubHeaders.get('x-linked-etag') ?? hubHeaders.get('etag') ?? '')
                .replace(/^W\//, '')
                .replace(/"/g, '');
              if (served && served !== etag) {
                await response.body?.cancel();
                throw new Error(
                  `hub: ${cache.repo}'s ${file.name} is served with ETag ${served} but listed with ${etag}; the repository changed while downloading, rerun`,
                );
              }
              return response;
            },
            dest: blob,
            label: `${cache.repo} ${file.name}`,
            from: `${options.hub.endpoint}/${cache.repo}`,
            size: file.size,
            sha256: file.sha256,
            gitBlobId: file.sha256 ? null : file.blobId,
          },
          { log: options.log, retries: options.retries, retryDelayMs: options.retryDelayMs },
        );
      }
      await cache.linkSnapshot(commit, file.name, etag);
      return true;
    },
  );
  return downloaded;
}

/** Asks the Hub, then downloads what the cache lacks. */
async function fetchFromHub(cache: HfRepoCache, revision: string, options: FetchOptions): Promise<RepoFiles> {
  const info = await getRepoInfo(options.hub, cache.repo, revision);
  await cache.writeRef(revision, info.commit);
  const names = info.files.map((file) => file.name);
  const plan = chooseRepoFiles(names, options.openClipName);
  if (!plan) {
    throw new Error(
      `hub: ${cache.repo}@${revision} has no checkpoint file this tool reads (looked for ${describeWanted(options.openClipName)}; it has ${names.slice(0, 12).join(', ') || 'no files'})`,
    );
  }
  // Record the preferred files it lacks, as huggingface_hub does, so offline lookups (ours and Python's) skip them.
  const preferred = plan.weights.startsWith('open_clip') ? OPEN_CLIP_WEIGHTS : WEIGHTS;
  for (const name of preferred.slice(0, preferred.indexOf(plan.weights))) await cache.markMissing(info.commit, name);
  const byName = new Map(info.files.map((file) => [file.name, file]));
  let downloaded = false;
  let config: LocalRepoFile | null = null;
  if (plan.config) {
    downloaded = (await fetchOne(cache, info.commit, byName.get(plan.config)!, options)) || downloaded;
    config = { name: plan.config, path: cache.snapshotPath(info.commit, plan.config), sha256: null };
  }
  if (config && options.checkConfig) {
    await options.checkConfig(config.name, await fs.readFile(config.path, 'utf8'));
  }
  const weightsFile = byName.get(plan.weights)!;
  downloaded = (await fetchOne(cache, info.commit, weightsFile, options)) || downloaded;
  return {
    repo: cache.repo,
    revision,
    commit: info.commit,
    weights: { name: plan.weights, path: cache.snapshotPath(info.commit, plan.weights), sha256: weightsFile.sha256 },
    config,
    downloaded,
  };
}

export async function fetchRepoFiles(repo: string, revision: string, options: FetchOptions): Promise<RepoFiles> {
  const cache = new HfRepoCache(options.cacheDir, repo);
  const cached = await readCached(cache, revision, options.openClipName);
  if (cached) return { ...cached, downloaded: false };
  if (options.hub.offline) {
    const commit = await cache.readRef(revision);
    const where = commit
      ? path.join(cache.repoDir, 'snapshots', commit)
      : `${cache.repoDir} (which has no refs/${revision})`;
    throw new Error(
      `hub: HF_HUB_OFFLINE=1 and the Hugging Face cache lacks ${repo}@${revision}'s ${describeWanted(options.openClipName)} (looked in ${where}); run once with the network, or copy the cache from a machine that has it`,
    );
  }
  const lockPath = path.join(cache.locksDir, `saev-revision-${revision.replace(/[^\w.-]/g, '_')}.lock`);
  return withLock(lockPath, { log: options.log, what: `fetching ${repo}@${revision}` }, async () => {
    const again = await readCached(cache, revision, options.openClipName); // another job may have fetched it meanwhile
    return again ? { ...again, downloaded: false } : fetchFromHub(cache, revision, options);
  });
}
