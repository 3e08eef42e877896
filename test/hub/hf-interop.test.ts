/**
 * huggingface_hub (Python) and this tool share one cache: Python reads, offline, what our downloader
 * put there (hf_hub_download, try_to_load_from_cache, scan_cache_dir without warnings), and we read,
 * offline, what huggingface_hub downloaded from the same fake Hub, including its `.no_exist` record of
 * a missing safetensors file (scripts/hf-hub-interop.py). Needs a Python with huggingface_hub:
 * SAEV_HF_PYTHON, else python3 if it has it (`python3 scripts/hf-hub-interop.py setup <venv>`). Skipped,
 * saying so, when there is none, except in CI (CI=true) or with SAEV_HF_REQUIRED=1, where it fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCheckpointName } from '../../src/hub/checkpoint-name.js';
import { fetchCheckpoint } from '../../src/hub/fetch-checkpoint.js';
import { commitOf, FakeHub, sha256 } from './fake-hub.js';

const SCRIPT = path.resolve(__dirname, '../../scripts/hf-hub-interop.py');
const REQUIRED = process.env.SAEV_HF_REQUIRED === '1' || process.env.CI === 'true';
const CANDIDATE = process.env.SAEV_HF_PYTHON || 'python3';
const HAS_HF = spawnSync(CANDIDATE, ['-c', 'import huggingface_hub'], { encoding: 'utf8' }).status === 0;
if (!HAS_HF && !REQUIRED) {
  process.stderr.write(
    `test/hub/hf-interop.test.ts: skipped: ${CANDIDATE} has no huggingface_hub; set SAEV_HF_PYTHON (python3 scripts/hf-hub-interop.py setup <venv>), as CI does\n`,
  );
}

const PARITY = path.resolve(__dirname, '../fixtures/parity');
const clipWeights = readFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_model.safetensors'));
const clipBin = readFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_pytorch_model.bin'));
const clipConfig = readFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_config.json'));
const dinoWeights = readFileSync(path.join(PARITY, 'dinov2/hf/model.safetensors'));
const dinoConfig = readFileSync(path.join(PARITY, 'dinov2/hf/config.json'));

interface PythonReport {
  files: Record<string, { path: string; sha256?: string; try_to_load_from_cache?: string }>;
  repos: Array<{
    repo_id: string;
    nb_files: number;
    size_on_disk: number;
    revisions: Array<{ commit_hash: string; refs: string[]; files: string[] }>;
  }>;
  warnings: string[];
}

function python(args: string[], env: NodeJS.ProcessEnv): Promise<PythonReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(CANDIDATE, [SCRIPT, ...args], {
      env: { ...process.env, ...env, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_XET: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) =>
      status === 0
        ? resolve(JSON.parse(stdout) as PythonReport)
        : reject(new Error(`python ${args.join(' ')} exited ${status}: ${stderr}`)),
    );
  });
}

let hub: FakeHub;
const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));
const makeEnv = (): NodeJS.ProcessEnv => {
  const home = tmp('saev-interop-hf-');
  return {
    HF_HOME: home,
    HF_HUB_CACHE: path.join(home, 'hub'),
    HF_ENDPOINT: hub.url,
    SAEV_CACHE: tmp('saev-interop-cache-'),
    HF_TOKEN: '',
  };
};
const fetchName = (family: string, ckpt: string, env: NodeJS.ProcessEnv) =>
  fetchCheckpoint(
    resolveCheckpointName({ name: family, demo: null }, ckpt, () => null)!,
    family,
    { env, log: () => undefined, retries: 0 },
  );

describe.runIf(HAS_HF || REQUIRED)('huggingface_hub and saev-tfjs share the Hugging Face cache', () => {
  beforeAll(async () => {
    hub = await FakeHub.start([
      {
        repo: 'org/tiny-clip',
        revisions: {
          main: [
            { name: 'open_clip_config.json', data: clipConfig },
            { name: 'open_clip_model.safetensors', data: clipWeights },
          ],
        },
      },
      {
        repo: 'org/tiny-clip-bin',
        revisions: {
          main: [
            { name: 'open_clip_config.json', data: clipConfig },
            { name: 'open_clip_pytorch_model.bin', data: clipBin },
          ],
        },
      },
      {
        repo: 'org/tiny-dino',
        revisions: {
          main: [
            { name: 'config.json', data: dinoConfig },
            { name: 'model.safetensors', data: dinoWeights },
          ],
        },
      },
    ]);
  });
  afterAll(() => hub?.close());

  it(`has a Python with huggingface_hub (${CANDIDATE})`, () => {
    expect(HAS_HF, 'set SAEV_HF_PYTHON; see scripts/hf-hub-interop.py setup').toBe(true);
  });

  it('huggingface_hub reads offline what our downloader put in the cache', async () => {
    const env = makeEnv();
    const ours = await fetchName('clip', 'hf-hub:org/tiny-clip', env);
    const report = await python(
      ['read', 'org/tiny-clip', 'main', 'open_clip_model.safetensors', 'open_clip_config.json'],
      { ...env, HF_HUB_OFFLINE: '1' },
    );
    expect(report.files['open_clip_model.safetensors']).toEqual({
      path: ours.weightsPath,
      try_to_load_from_cache: ours.weightsPath,
      sha256: sha256(clipWeights),
    });
    expect(report.files['open_clip_config.json'].sha256).toBe(sha256(clipConfig));
    expect(report.warnings).toEqual([]);
    expect(report.repos).toEqual([
      {
        repo_id: 'org/tiny-clip',
        nb_files: 2,
        size_on_disk: clipWeights.length + clipConfig.length,
        revisions: [
          {
            commit_hash: commitOf('org/tiny-clip', 'main'),
            refs: ['main'],
            files: ['open_clip_config.json', 'open_clip_model.safetensors'],
          },
        ],
      },
    ]);
    // The safetensors file a .bin-only repository lacks is recorded as huggingface_hub records it.
    await fetchName('clip', 'hf-hub:org/tiny-clip-bin', env);
    const bin = await python(
      ['read', 'org/tiny-clip-bin', 'main', 'open_clip_model.safetensors', 'open_clip_pytorch_model.bin'],
      { ...env, HF_HUB_OFFLINE: '1' },
    );
    expect(bin.files['open_clip_model.safetensors']).toEqual({ path: 'no_exist' });
    expect(bin.files['open_clip_pytorch_model.bin'].sha256).toBe(sha256(clipBin));
  });

  it("we read offline, without a request, what huggingface_hub downloaded (open_clip's safetensors-then-bin included)", async () => {
    const env = makeEnv();
    const downloaded = await python(['download', 'org/tiny-dino', 'main', 'config.json', 'model.safetensors'], env);
    expect(downloaded.files['model.safetensors'].sha256).toBe(sha256(dinoWeights));
    // open_clip asks for the safetensors file first, then the .bin.
    const openClip = await python(
      [
        'download',
        'org/tiny-clip-bin',
        'main',
        'open_clip_config.json',
        'open_clip_model.safetensors',
        'open_clip_pytorch_model.bin',
      ],
      env,
    );
    expect(openClip.files['open_clip_model.safetensors']).toEqual({ path: 'no_exist' });
    const before = hub.requests.length;
    const offline = { ...env, HF_HUB_OFFLINE: '1' };
    const dino = await fetchName('dinov2', 'hf-hub:org/tiny-dino', offline);
    expect(dino.weightsPath).toBe(downloaded.files['model.safetensors'].path);
    expect(dino.sha256).toBe(sha256(dinoWeights)); // the blob's name, as huggingface_hub stored it
    expect(dino.record).toMatchObject({
      repository: 'org/tiny-dino',
      revision: 'main',
      commit: commitOf('org/tiny-dino', 'main'),
      file: 'model.safetensors',
    });
    const clip = await fetchName('clip', 'hf-hub:org/tiny-clip-bin', offline);
    expect(clip.weightsPath).toBe(openClip.files['open_clip_pytorch_model.bin'].path);
    expect(hub.requests.length).toBe(before);
  });
});
