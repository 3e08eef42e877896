/**
 * `saev activations extract --vit-ckpt <name>` as a user runs it (the built CLI in a child process,
 * test/build-dist.ts builds it first when stale) against a fake Hub on 127.0.0.1: the name is downloaded into the
 * Hugging Face
 * cache, converted once into $SAEV_CACHE, recorded in metadata.json as given (so the directory hash is
 * saev's) and resolved in saev-tfjs.json; a second run is offline and converts nothing; the activations
 * equal those of the same checkpoint given as a file; mistakes are one line and write nothing.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMetadataHash } from '../../src/shards/metadata.js';
import { commitOf, FakeHub, sha256 } from './fake-hub.js';
import { makeTinyDinov2Safetensors } from './tiny-checkpoint.js';

const BIN = path.resolve(__dirname, '../../bin/run.js');
const PARITY = path.resolve(__dirname, '../fixtures/parity');
const clipWeights = readFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_model.safetensors'));
const clipConfig = readFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_config.json'));
const dinoHub = makeTinyDinov2Safetensors();
const REPO = 'timm/vit_base_patch16_clip_224.openai';

let hub: FakeHub;
beforeAll(async () => {
  hub = await FakeHub.start([
    {
      repo: REPO,
      revisions: {
        main: [
          { name: 'open_clip_config.json', data: clipConfig },
          { name: 'open_clip_model.safetensors', data: clipWeights },
        ],
      },
    },
  ]);
  hub.torchFiles.set('/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth', dinoHub);
});
afterAll(() => hub.close());

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

/** Runs the CLI without blocking this process's event loop (the fake Hub answers from it). */
function saev(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'activations', 'extract', ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function makeEnv(): NodeJS.ProcessEnv {
  const home = tmp('saev-named-home-');
  return {
    HF_HOME: home,
    HF_HUB_CACHE: path.join(home, 'hub'),
    HF_ENDPOINT: hub.url,
    SAEV_CACHE: tmp('saev-named-cache-'),
    TORCH_HOME: tmp('saev-named-torch-'),
    SAEV_DINOV2_URL: `${hub.url}/dinov2`,
    HF_TOKEN: '',
    HF_HUB_OFFLINE: '',
  };
}

const common = ['--data', 'fake', '--data-n-imgs', '3', '--vit-layers', '-2', '-1', '--json'];
const acts = (dir: string) => readFileSync(path.join(dir, 'acts000000.bin'));

describe('extract --vit-ckpt <name>', () => {
  it('ViT-B-16/openai: downloaded, converted once, recorded as given; a second run offline converts nothing; equal to the same file given by path', async () => {
    const env = makeEnv();
    const first = await saev(['--vit-ckpt', 'ViT-B-16/openai', '--dump-to', tmp('saev-named-out-'), ...common], env);
    expect(first.status, first.stderr).toBe(0);
    const doc = JSON.parse(first.stdout);
    expect(doc.model).toMatchObject({ family: 'clip', ckpt: 'ViT-B-16/openai', kind: 'converted' });
    expect(first.stderr).toMatch(
      /hub: downloading timm\/vit_base_patch16_clip_224\.openai open_clip_model\.safetensors \(207,004 bytes\)/,
    );
    expect(first.stderr).toMatch(
      /model: converting ViT-B-16\/openai \(open_clip_model\.safetensors\) once, into .*\/models\/clip-timm--vit_base_patch16_clip_224\.openai-[0-9a-f]{16}/,
    );
    expect(first.stderr).not.toMatch(/random weights/);
    // The download finished before the backend was chosen.
    expect(first.stderr.indexOf('sha256 checked against its LFS pointer')).toBeLessThan(
      first.stderr.indexOf('backend: '),
    );

    const metadata = JSON.parse(readFileSync(path.join(doc.shardDir, 'metadata.json'), 'utf8'));
    expect(metadata.vit_ckpt).toBe('ViT-B-16/openai');
    expect(path.basename(doc.shardDir)).toBe(getMetadataHash(metadata));
    const info = JSON.parse(readFileSync(path.join(doc.shardDir, 'saev-tfjs.json'), 'utf8'));
    expect(info.model.ckpt).toBe('ViT-B-16/openai');
    expect(info.model.resolved).toEqual({
      name: 'ViT-B-16/openai',
      source: 'hf-hub',
      repository: REPO,
      revision: 'main',
      commit: commitOf(REPO, 'main'),
      file: 'open_clip_model.safetensors',
      sha256: sha256(clipWeights),
    });
    expect(info.model.arch.gelu).toBe('quick');
    expect(info.model.source).not.toContain(env.SAEV_CACHE!); // the same on every host of a job array

    const before = hub.requests.length;
    const second = await saev(['--vit-ckpt', 'ViT-B-16/openai', '--dump-to', tmp('saev-named-out-'), ...common], {
      ...env,
      HF_HUB_OFFLINE: '1',
      HF_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(second.status, second.stderr).toBe(0);
    expect(hub.requests.length).toBe(before);
    expect(second.stderr).toMatch(/model: ViT-B-16\/openai converted before, loading /);
    expect(second.stderr).not.toMatch(/converting|downloading/);
    const doc2 = JSON.parse(second.stdout);
    expect(path.basename(doc2.shardDir)).toBe(path.basename(doc.shardDir));
    expect(acts(doc2.shardDir).equals(acts(doc.shardDir))).toBe(true);
    expect(readFileSync(path.join(doc2.shardDir, 'saev-tfjs.json'), 'utf8')).toBe(
      readFileSync(path.join(doc.shardDir, 'saev-tfjs.json'), 'utf8'),
    );

    // The same checkpoint as a file (with its open_clip_config.json beside it): converted on the fly, same activations.
    const dir = tmp('saev-named-file-');
    copyFileSync(
      path.join(PARITY, 'clip-quickgelu/open_clip_model.safetensors'),
      path.join(dir, 'open_clip_model.safetensors'),
    );
    copyFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_config.json'), path.join(dir, 'open_clip_config.json'));
    const file = path.join(dir, 'open_clip_model.safetensors');
    const third = await saev(['--vit-ckpt', file, '--dump-to', tmp('saev-named-out-'), ...common], env);
    expect(third.status, third.stderr).toBe(0);
    const doc3 = JSON.parse(third.stdout);
    expect(JSON.parse(readFileSync(path.join(doc3.shardDir, 'metadata.json'), 'utf8')).vit_ckpt).toBe(file);
    expect(JSON.parse(readFileSync(path.join(doc3.shardDir, 'saev-tfjs.json'), 'utf8')).model.resolved).toEqual({
      name: file,
      source: 'file',
      file: 'open_clip_model.safetensors',
      sha256: sha256(clipWeights),
    });
    expect(acts(doc3.shardDir).equals(acts(doc.shardDir))).toBe(true);
  });

  it('dinov2_vits14: the torch-hub name from its public URL, converted and run', async () => {
    const env = makeEnv();
    const run = await saev(
      ['--vit-family', 'dinov2', '--vit-ckpt', 'dinov2_vits14', '--dump-to', tmp('saev-named-out-'), ...common],
      env,
    );
    expect(run.status, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(JSON.parse(readFileSync(path.join(doc.shardDir, 'metadata.json'), 'utf8')).vit_ckpt).toBe('dinov2_vits14');
    expect(JSON.parse(readFileSync(path.join(doc.shardDir, 'saev-tfjs.json'), 'utf8')).model.resolved).toMatchObject({
      source: 'torch-hub',
      file: 'dinov2_vits14_pretrain.pth',
      sha256: sha256(dinoHub),
    });
    expect(readdirSync(path.join(env.TORCH_HOME!, 'hub', 'checkpoints'))).toEqual(['dinov2_vits14_pretrain.pth']);
  });

  it('--local --n-jobs 2: the launcher fetches the name once, one job converts it while the other waits', async () => {
    const env = makeEnv();
    const before = { api: hub.count(/^\/api\/models\//), lfs: hub.count(/^\/lfs\//) };
    const run = await saev(
      [
        '--vit-ckpt',
        'ViT-B-16/openai',
        '--dump-to',
        tmp('saev-named-out-'),
        '--data',
        'fake',
        '--data-n-imgs',
        '4',
        '--n-patches-per-shard',
        '100',
        '--n-jobs',
        '2',
        '--local',
      ],
      env,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(hub.count(/^\/api\/models\//) - before.api).toBe(1);
    expect(hub.count(/^\/lfs\//) - before.lfs).toBe(1);
    expect(run.stderr.match(/model: converting ViT-B-16\/openai/g)).toHaveLength(1);
    expect(run.stderr.indexOf('hub: downloading timm/vit_base_patch16_clip_224.openai open_clip_model')).toBeLessThan(
      run.stderr.indexOf('job 0:'),
    );
  });

  it('mistakes are one line each and write nothing: an unknown name, another family, offline with nothing cached', async () => {
    const env = makeEnv();
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [
        ['--vit-ckpt', 'ViT-B-16/opnai'],
        env,
        /^Error: checkpoint: 'ViT-B-16\/opnai' is neither a file or directory nor a known checkpoint name \(close names: ViT-B-16\/openai/m,
      ],
      [
        ['--vit-ckpt', 'dinov2_vitb14_reg'],
        env,
        /^Error: checkpoint: 'dinov2_vitb14_reg' is a dinov2 checkpoint, not clip; pass --vit-family dinov2/m,
      ],
      [
        ['--vit-ckpt', 'ViT-B-16/openai'],
        { ...env, HF_HUB_OFFLINE: '1' },
        /^Error: hub: HF_HUB_OFFLINE=1 and the Hugging Face cache lacks timm\/vit_base_patch16_clip_224\.openai@main's open_clip_model\.safetensors or open_clip_pytorch_model\.bin \(looked in /m,
      ],
    ];
    for (const [args, runEnv, pattern] of cases) {
      const out = tmp('saev-named-out-');
      const run = await saev([...args, '--dump-to', path.join(out, 'shards'), '--data', 'fake'], runEnv);
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(pattern);
      expect(
        run.stderr
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('Error:')),
      ).toHaveLength(1);
      expect(run.stderr).not.toMatch(/backend: /);
      expect(readdirSync(out)).toEqual([]);
    }
  });
});
