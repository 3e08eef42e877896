/**
 * Names to files against a fake Hub on 127.0.0.1 (test/hub/fake-hub.ts), into a cache laid out as
 * huggingface_hub lays it out: download, cache-first reuse without a request, offline, gated
 * repositories, resume after a broken transfer, digest mismatches, one download for many concurrent
 * jobs, torch-hub files, and a family told by a repository's config before its weights are fetched.
 */
import { existsSync, mkdtempSync, promises as fs, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCheckpointName } from '../../src/hub/checkpoint-name.js';
import { fetchCheckpoint } from '../../src/hub/fetch-checkpoint.js';
import { commitOf, FakeHub, sha256 } from './fake-hub.js';

const PARITY = path.resolve(__dirname, '../fixtures/parity');
const clipWeights = readFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_model.safetensors'));
const clipBin = readFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_pytorch_model.bin'));
const clipConfig = readFileSync(path.join(PARITY, 'clip-quickgelu/open_clip_config.json'));
const dinoWeights = readFileSync(path.join(PARITY, 'dinov2/hf/model.safetensors'));
const dinoConfig = readFileSync(path.join(PARITY, 'dinov2/hf/config.json'));
const dinoHub = readFileSync(path.join(PARITY, 'dinov2/dinov2_hub.safetensors'));

const OPENAI_REPO = 'timm/vit_base_patch16_clip_224.openai';
let hub: FakeHub;

beforeAll(async () => {
  hub = await FakeHub.start([
    {
      repo: OPENAI_REPO,
      revisions: {
        main: [
          { name: 'open_clip_config.json', data: clipConfig },
          { name: 'open_clip_model.safetensors', data: clipWeights },
          { name: 'README.md', data: Buffer.from('# x\n') },
        ],
      },
    },
    {
      repo: 'laion/CLIP-ViT-B-32-laion2B-s34B-b79K',
      revisions: {
        main: [
          { name: 'open_clip_config.json', data: clipConfig },
          { name: 'open_clip_pytorch_model.bin', data: clipBin },
        ],
      },
    },
    {
      repo: 'someone/tiny-dino',
      revisions: {
        main: [
          { name: 'config.json', data: dinoConfig },
          { name: 'model.safetensors', data: dinoWeights },
        ],
        v1: [{ name: 'model.safetensors', data: dinoWeights }],
      },
    },
    {
      repo: 'facebook/dinov2-small',
      revisions: {
        main: [
          { name: 'config.json', data: dinoConfig },
          { name: 'model.safetensors', data: dinoWeights },
        ],
      },
      gatedTokens: ['hf_good'],
    },
  ]);
  hub.torchFiles.set('/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth', dinoHub);
});
afterAll(() => hub.close());

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

function makeEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = tmp('saev-hf-home-');
  return {
    HF_HOME: home,
    HF_HUB_CACHE: path.join(home, 'hub'),
    HF_ENDPOINT: hub.url,
    SAEV_CACHE: tmp('saev-cache-'),
    TORCH_HOME: tmp('saev-torch-'),
    SAEV_DINOV2_URL: `${hub.url}/dinov2`,
    ...overrides,
  };
}

const family = (name: string) => ({ name, demo: null });
const resolve = (fam: string, ckpt: string) => resolveCheckpointName(family(fam), ckpt, () => null)!;
const fetchName = (fam: string, ckpt: string, env: NodeJS.ProcessEnv, log: string[] = []) =>
  fetchCheckpoint(resolve(fam, ckpt), fam, { env, log: (line) => log.push(line), retries: 0, retryDelayMs: 10 });

describe('fetching a named checkpoint from a Hugging Face Hub', () => {
  it('ViT-B-16/openai: downloads into the huggingface_hub layout, records what it resolved to, sets QuickGELU', async () => {
    const env = makeEnv();
    const got = await fetchName('clip', 'ViT-B-16/openai', env);
    const commit = commitOf(OPENAI_REPO, 'main');
    const repoDir = path.join(env.HF_HUB_CACHE!, 'models--timm--vit_base_patch16_clip_224.openai');
    expect(readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    const pointer = path.join(repoDir, 'snapshots', commit, 'open_clip_model.safetensors');
    expect(readlinkSync(pointer)).toBe(`../../blobs/${sha256(clipWeights)}`);
    expect(readFileSync(pointer).equals(clipWeights)).toBe(true);
    expect(got.weightsPath).toBe(pointer);
    expect(got.record).toEqual({
      name: 'ViT-B-16/openai',
      source: 'hf-hub',
      repository: OPENAI_REPO,
      revision: 'main',
      commit,
      file: 'open_clip_model.safetensors',
      sha256: sha256(clipWeights),
    });
    expect(got.config).not.toBeNull();
    expect(JSON.parse((got.config as { text: string }).text).model_cfg.quick_gelu).toBe(true);
    expect(existsSync(path.join(repoDir, 'blobs', `${sha256(clipWeights)}.incomplete`))).toBe(false);
  });

  it('a second run finds everything in the cache and asks the Hub nothing', async () => {
    const env = makeEnv();
    await fetchName('clip', 'ViT-B-16/openai', env);
    const before = hub.requests.length;
    const again = await fetchName('clip', 'ViT-B-16/openai', env);
    expect(hub.requests.length).toBe(before);
    expect(again.record.commit).toBe(commitOf(OPENAI_REPO, 'main'));
    const offline = await fetchName('clip', 'ViT-B-16/openai', {
      ...env,
      HF_HUB_OFFLINE: '1',
      HF_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(offline.weightsPath).toBe(again.weightsPath);
  });

  it('HF_HUB_OFFLINE=1 with nothing cached says which file and where it looked, and writes nothing', async () => {
    const env = makeEnv({ HF_HUB_OFFLINE: '1' });
    const before = hub.requests.length;
    await expect(fetchName('clip', 'ViT-B-16/openai', env)).rejects.toThrow(
      /^hub: HF_HUB_OFFLINE=1 and the Hugging Face cache lacks timm\/vit_base_patch16_clip_224\.openai@main's open_clip_model\.safetensors or open_clip_pytorch_model\.bin \(looked in .*models--timm--vit_base_patch16_clip_224\.openai \(which has no refs\/main\)\)/,
    );
    expect(hub.requests.length).toBe(before);
    expect(existsSync(env.HF_HUB_CACHE!)).toBe(false);
  });

  it('takes open_clip_pytorch_model.bin when there is no safetensors, and records that in .no_exist', async () => {
    const env = makeEnv();
    const got = await fetchName('clip', 'ViT-B-32/laion2b_s34b_b79k', env);
    expect(got.record.file).toBe('open_clip_pytorch_model.bin');
    const commit = commitOf('laion/CLIP-ViT-B-32-laion2B-s34B-b79K', 'main');
    expect(
      existsSync(
        path.join(
          env.HF_HUB_CACHE!,
          'models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K',
          '.no_exist',
          commit,
          'open_clip_model.safetensors',
        ),
      ),
    ).toBe(true);
    expect(JSON.parse((got.config as { text: string }).text).model_cfg.quick_gelu).toBe(false);
  });

  it('hf-hub:ORG/REPO@REVISION of a transformers repository: model.safetensors and config.json; the config tells the family', async () => {
    const env = makeEnv();
    const got = await fetchName('dinov2', 'hf-hub:someone/tiny-dino', env);
    expect(got.family).toBe('dinov2');
    expect(got.record).toMatchObject({ repository: 'someone/tiny-dino', revision: 'main', file: 'model.safetensors' });
    expect((got.config as { file: string }).file).toBe('config.json');
    const v1 = await fetchName('dinov2', 'hf-hub:someone/tiny-dino@v1', env);
    expect(v1.record.commit).toBe(commitOf('someone/tiny-dino', 'v1'));
    expect(readFileSync(path.join(env.HF_HUB_CACHE!, 'models--someone--tiny-dino', 'refs', 'v1'), 'utf8')).toBe(
      v1.record.commit,
    );
    // Same bytes, one blob.
    expect(await fs.readdir(path.join(env.HF_HUB_CACHE!, 'models--someone--tiny-dino', 'blobs'))).toHaveLength(2);
  });

  it('a repository whose config shows another family fails before its weights are downloaded', async () => {
    const env = makeEnv();
    const before = hub.count(/^\/lfs\//);
    await expect(fetchName('clip', 'hf-hub:someone/tiny-dino', env)).rejects.toThrow(
      /^checkpoint: 'hf-hub:someone\/tiny-dino' is a dinov2 checkpoint \(config\.json in someone\/tiny-dino\), not clip; pass --vit-family dinov2/,
    );
    expect(hub.count(/^\/lfs\//)).toBe(before);
  });

  it('unknown repositories and revisions are one line each', async () => {
    await expect(fetchName('clip', 'hf-hub:nobody/nothing', makeEnv())).rejects.toThrow(
      /^hub: repository nobody\/nothing was not found on http:\/\/127\.0\.0\.1:\d+ \(or it is private: set HF_TOKEN\); check the name$/,
    );
    await expect(fetchName('dinov2', 'hf-hub:someone/tiny-dino@v9', makeEnv())).rejects.toThrow(
      /^hub: someone\/tiny-dino has no revision 'v9'/,
    );
  });

  it('a gated repository: no token is one line that says how to get access; a token sent to the Hub only, never to the storage host', async () => {
    await expect(fetchName('dinov2', 'hf-hub:facebook/dinov2-small', makeEnv())).rejects.toThrow(
      /^hub: facebook\/dinov2-small is gated and no token was found; accept its terms at http:\/\/127\.0\.0\.1:\d+\/facebook\/dinov2-small, then set HF_TOKEN/,
    );
    await expect(fetchName('dinov2', 'hf-hub:facebook/dinov2-small', makeEnv({ HF_TOKEN: 'hf_bad' }))).rejects.toThrow(
      /is gated and the token from HF_TOKEN has no access to it yet/,
    );
    const env = makeEnv({ HF_TOKEN: 'hf_good' });
    const start = hub.requests.length;
    const got = await fetchName('dinov2', 'hf-hub:facebook/dinov2-small', env);
    expect(readFileSync(got.weightsPath).equals(dinoWeights)).toBe(true);
    const seen = hub.requests.slice(start);
    expect(seen.filter((r) => r.server === 'hub').every((r) => r.auth === 'Bearer hf_good')).toBe(true);
    expect(seen.filter((r) => r.server === 'cdn').length).toBeGreaterThan(0);
    expect(seen.filter((r) => r.server === 'cdn').every((r) => r.auth === null)).toBe(true);
  });

  it('a token from the file huggingface-cli login writes ($HF_HOME/token)', async () => {
    const env = makeEnv();
    writeFileSync(path.join(env.HF_HOME!, 'token'), 'hf_good\n');
    await expect(fetchName('dinov2', 'hf-hub:facebook/dinov2-small', env)).resolves.toMatchObject({ family: 'dinov2' });
  });

  it('a transfer that stops half way fails in one line, keeps the partial file, and the next run resumes it with Range', async () => {
    const env = makeEnv();
    const digest = sha256(clipWeights);
    hub.cutAfter.set(digest, 50_000);
    try {
      await expect(fetchName('clip', 'ViT-B-16/openai', env)).rejects.toThrow(
        /^hub: download of timm\/vit_base_patch16_clip_224\.openai open_clip_model\.safetensors stopped at 50,000 bytes of 207,004 bytes \(.*\); rerun to resume from there \(partial file .*\.incomplete\)$/,
      );
    } finally {
      hub.cutAfter.delete(digest);
    }
    const blobDir = path.join(env.HF_HUB_CACHE!, 'models--timm--vit_base_patch16_clip_224.openai', 'blobs');
    expect((await fs.stat(path.join(blobDir, `${digest}.incomplete`))).size).toBe(50_000);
    expect(existsSync(path.join(blobDir, digest))).toBe(false);
    const start = hub.requests.length;
    const log: string[] = [];
    const got = await fetchName('clip', 'ViT-B-16/openai', env, log);
    expect(
      hub.requests
        .slice(start)
        .filter((r) => r.server === 'cdn')
        .map((r) => r.range),
    ).toEqual(['bytes=50000-']);
    expect(log.join('\n')).toMatch(
      /hub: resuming timm\/vit_base_patch16_clip_224\.openai open_clip_model\.safetensors at 50,000 bytes of 207,004 bytes/,
    );
    expect(readFileSync(got.weightsPath).equals(clipWeights)).toBe(true);
  });

  it('bytes whose sha256 is not the LFS pointer are removed, never linked into the snapshot', async () => {
    const env = makeEnv();
    const digest = sha256(clipWeights);
    const bad = Buffer.from(clipWeights);
    bad[1000] ^= 1;
    hub.corrupt.set(digest, bad);
    try {
      await expect(fetchName('clip', 'ViT-B-16/openai', env)).rejects.toThrow(
        /^hub: timm\/vit_base_patch16_clip_224\.openai open_clip_model\.safetensors as downloaded from .* has sha256 [0-9a-f]{64}, expected [0-9a-f]{64} \(its LFS pointer\); the download was removed, rerun to fetch it again$/,
      );
    } finally {
      hub.corrupt.delete(digest);
    }
    const repoDir = path.join(env.HF_HUB_CACHE!, 'models--timm--vit_base_patch16_clip_224.openai');
    expect(await fs.readdir(path.join(repoDir, 'blobs'))).not.toContain(digest);
    expect(await fs.readdir(path.join(repoDir, 'blobs'))).not.toContain(`${digest}.incomplete`);
    expect(
      existsSync(path.join(repoDir, 'snapshots', commitOf(OPENAI_REPO, 'main'), 'open_clip_model.safetensors')),
    ).toBe(false);
  });

  it('six jobs starting at once download the file once', async () => {
    const env = makeEnv();
    const before = {
      api: hub.count(/^\/api\/models\/timm\/vit_base_patch16_clip_224\.openai\//),
      lfs: hub.count(new RegExp(`^/lfs/${sha256(clipWeights)}`)),
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => fetchName('clip', 'ViT-B-16/openai', env)));
    expect(new Set(results.map((r) => r.weightsPath)).size).toBe(1);
    expect(hub.count(/^\/api\/models\/timm\/vit_base_patch16_clip_224\.openai\//) - before.api).toBe(1);
    expect(hub.count(new RegExp(`^/lfs/${sha256(clipWeights)}`)) - before.lfs).toBe(1);
  });
});

describe('torch-hub names', () => {
  it('dinov2_vits14: from its public URL into $TORCH_HOME/hub/checkpoints, then from there', async () => {
    const env = makeEnv();
    const got = await fetchName('dinov2', 'dinov2_vits14', env);
    const dest = path.join(env.TORCH_HOME!, 'hub', 'checkpoints', 'dinov2_vits14_pretrain.pth');
    expect(got.weightsPath).toBe(dest);
    expect(readFileSync(dest).equals(dinoHub)).toBe(true);
    expect(got.record).toEqual({
      name: 'dinov2_vits14',
      source: 'torch-hub',
      url: `${hub.url}/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth`,
      file: 'dinov2_vits14_pretrain.pth',
      sha256: sha256(dinoHub),
    });
    const before = hub.requests.length;
    const again = await fetchName('dinov2', 'dinov2_vits14', { ...env, HF_HUB_OFFLINE: '1' });
    expect(again.weightsPath).toBe(dest);
    expect(hub.requests.length).toBe(before);
  });

  it('offline and not in the torch hub cache: says which file and where', async () => {
    await expect(fetchName('dinov2', 'dinov2_vitb14_reg', makeEnv({ HF_HUB_OFFLINE: '1' }))).rejects.toThrow(
      /^hub: HF_HUB_OFFLINE=1 and 'dinov2_vitb14_reg' needs dinov2_vitb14_reg4_pretrain\.pth, which is not in the torch hub cache \(looked in .*\/hub\/checkpoints; TORCH_HOME moves it\)/,
    );
  });
});
