/**
 * From a resolved checkpoint name to a checkpoint file on disk, before the
 * backend loads: a local file as it is; torch-hub names from the torch hub
 * cache or their public URL; repositories from the Hugging Face cache or the
 * Hub. Also settles what conversion needs beside the weights (the config to
 * use, head counts shapes cannot tell), checks the family a repository's
 * config shows against `--vit-family` before the weights are fetched, and
 * builds what `saev-tfjs.json` records about the resolution.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CheckpointName } from './checkpoint-name.js';
import { fetchRepoFiles, RepoFiles } from './fetch-repo-files.js';
import { getHfCacheDir } from './hf-cache.js';
import { getHubEnv } from './hub-client.js';
import type { OpenClipSource } from './open-clip-names.js';
import { fetchTorchHubFile } from './torch-hub.js';

/** What `saev-tfjs.json` records of a named checkpoint: the name and what it resolved to. */
export interface CheckpointRecord {
  name: string;
  source: 'file' | 'torch-hub' | 'hf-hub';
  repository?: string;
  revision?: string;
  commit?: string;
  url?: string;
  /** The checkpoint file (its name in the repository or cache). */
  file: string;
  /** sha256 of the checkpoint file (checked when it was converted). */
  sha256: string | null;
}

export interface FetchedCheckpoint {
  name: CheckpointName;
  /** The family the checkpoint belongs to (the name's, or its config's), null when nothing tells. */
  family: string | null;
  weightsPath: string;
  /** sha256 of the weights when known without reading them (LFS pointer, this run's download). */
  sha256: string | null;
  /** The config conversion reads: written beside the weights, the files already beside them, or none. */
  config: { file: string; text: string } | 'beside' | null;
  /** Conversion flags the name implies (heads that shapes cannot tell). */
  nHeads?: number;
  record: CheckpointRecord;
}

export interface FetchCheckpointOptions {
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  retries?: number;
  retryDelayMs?: number;
}

/** The family a config file describes, or null when it does not tell. */
export function getConfigFamily(file: string, text: string): string | null {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (file === 'open_clip_config.json') {
    const vision = (json.model_cfg as { vision_cfg?: { timm_model_name?: unknown } } | undefined)?.vision_cfg;
    if (!vision) return null;
    const timm = typeof vision.timm_model_name === 'string' ? vision.timm_model_name : null;
    if (timm === null) return 'clip';
    return /siglip/.test(timm)
      ? 'siglip'
      : /pe_core/.test(timm)
        ? 'pe-core'
        : /pe_spatial/.test(timm)
          ? 'pe-spatial'
          : null;
  }
  const modelType = typeof json.model_type === 'string' ? json.model_type : '';
  const byType: Record<string, string> = {
    dinov2: 'dinov2',
    dinov2_with_registers: 'dinov2',
    dinov3_vit: 'dinov3',
    clip: 'clip',
    clip_vision_model: 'clip',
    siglip: 'siglip',
    siglip_vision_model: 'siglip',
    moondream1: 'moondream2',
  };
  if (Object.hasOwn(byType, modelType)) return byType[modelType];
  const timm = typeof json.architecture === 'string' ? json.architecture : '';
  const byTimm: Array<[RegExp, string]> = [
    [/dinov2/, 'dinov2'],
    [/dinov3/, 'dinov3'],
    [/pe_core/, 'pe-core'],
    [/pe_spatial/, 'pe-spatial'],
    [/siglip/, 'siglip'],
    [/_clip_/, 'clip'],
  ];
  return byTimm.find(([pattern]) => pattern.test(timm))?.[1] ?? null;
}

/**
 * open_clip's config for a `MODEL/TAG`: the repository's own `open_clip_config.json` when it has one,
 * else the little open_clip's built-in model config adds to the tensor shapes; `quick_gelu` is always the
 * tag's (open_clip's table says which weights were trained with QuickGELU).
 */
export function makeOpenClipConfig(openClip: OpenClipSource, repoConfig: string | null): string {
  const json = repoConfig ? (JSON.parse(repoConfig) as { model_cfg?: Record<string, unknown> }) : {};
  const modelCfg: Record<string, unknown> = { ...(json.model_cfg ?? {}) };
  if (!modelCfg.vision_cfg)
    modelCfg.vision_cfg = openClip.tower.timm
      ? { timm_model_name: openClip.tower.timm.name, image_size: openClip.tower.timm.imageSize }
      : {};
  modelCfg.quick_gelu = openClip.quickGelu;
  return JSON.stringify({ ...json, model_cfg: modelCfg }, null, 2) + '\n';
}

function checkFamily(name: string, family: string | null, expected: string, where: string): void {
  if (family !== null && family !== expected) {
    throw new Error(
      `checkpoint: '${name}' is a ${family} checkpoint (${where}), not ${expected}; pass --vit-family ${family}`,
    );
  }
}

async function fromRepo(
  name: CheckpointName,
  files: RepoFiles,
  openClip: OpenClipSource | undefined,
  expected: string,
): Promise<FetchedCheckpoint> {
  const configText = files.config ? await fs.readFile(files.config.path, 'utf8') : null;
  const family =
    name.family ?? (files.config && configText !== null ? getConfigFamily(files.config.name, configText) : null);
  checkFamily(name.name, family, expected, `${files.config?.name ?? 'its name'} in ${files.repo}`);
  const config = openClip
    ? {
        file: 'open_clip_config.json',
        text: makeOpenClipConfig(openClip, files.config?.name === 'open_clip_config.json' ? configText : null),
      }
    : files.config && configText !== null
      ? { file: files.config.name, text: configText }
      : null;
  return {
    name,
    family,
    weightsPath: files.weights.path,
    sha256: files.weights.sha256,
    config,
    nHeads: openClip?.tower.nHeads,
    record: {
      name: name.name,
      source: 'hf-hub',
      repository: files.repo,
      revision: files.revision,
      commit: files.commit,
      file: files.weights.name,
      sha256: files.weights.sha256,
    },
  };
}

export async function fetchCheckpoint(
  name: CheckpointName,
  expectedFamily: string,
  options: FetchCheckpointOptions,
): Promise<FetchedCheckpoint> {
  const env = options.env ?? process.env;
  const hub = getHubEnv(env);
  const { source } = name;
  const retry = { retries: options.retries, retryDelayMs: options.retryDelayMs };
  if (source.kind === 'file') {
    return {
      name,
      family: null,
      weightsPath: source.path,
      sha256: null,
      config: 'beside',
      record: { name: name.name, source: 'file', file: path.basename(source.path), sha256: null },
    };
  }
  if (source.kind === 'torch-hub') {
    const file = await fetchTorchHubFile(source.hubName, source.entry, { hub, env, log: options.log, ...retry });
    if (file) {
      const record: CheckpointRecord = {
        name: name.name,
        source: 'torch-hub',
        ...(file.url ? { url: file.url } : {}),
        file: path.basename(file.path),
        sha256: file.sha256,
      };
      return { name, family: name.family, weightsPath: file.path, sha256: file.sha256, config: null, record };
    }
    // No public torch-hub file (DINOv3): the same weights from the Hugging Face Hub.
    const files = await fetchRepoFiles(source.entry.hfRepo!, 'main', {
      hub,
      cacheDir: getHfCacheDir(env),
      log: options.log,
      openClipName: false,
      ...retry,
    });
    return fromRepo(name, files, undefined, expectedFamily);
  }
  const checkConfig = (file: string, text: string) =>
    checkFamily(name.name, name.family ?? getConfigFamily(file, text), expectedFamily, `${file} in ${source.repo}`);
  const files = await fetchRepoFiles(source.repo, source.revision, {
    hub,
    cacheDir: getHfCacheDir(env),
    log: options.log,
    openClipName: Boolean(source.openClip),
    checkConfig,
    ...retry,
  });
  return fromRepo(name, files, source.openClip, expectedFamily);
}
