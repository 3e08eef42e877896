/**
 * The Hugging Face cache layout: where it is, refs, relative snapshot links, listings, `.no_exist`; and the digest
 * cache.
 */
import { existsSync, mkdtempSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getFileSha256 } from '../../src/hub/file-digest.js';
import { getHfCacheDir, HfRepoCache } from '../../src/hub/hf-cache.js';
import { getHubEnv } from '../../src/hub/hub-client.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'saev-hfc-'));

describe('the Hugging Face cache', () => {
  it('is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (XDG_CACHE_HOME honoured)', () => {
    expect(getHfCacheDir({ HF_HUB_CACHE: '/a/b', HF_HOME: '/c' })).toBe('/a/b');
    expect(getHfCacheDir({ HF_HOME: '/c' })).toBe('/c/hub');
    expect(getHfCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
    expect(getHfCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
  });

  it('refs, relative links into blobs, listings that skip dangling links, .no_exist', async () => {
    const cache = new HfRepoCache(tmp(), 'org/name');
    const commit = 'a'.repeat(40);
    expect(cache.repoDir).toMatch(/models--org--name$/);
    expect(await cache.readRef('main')).toBeNull();
    expect(await cache.readRef(commit)).toBe(commit);
    await cache.writeRef('main', commit);
    expect(await cache.readRef('main')).toBe(commit);
    const { promises: fs } = await import('node:fs');
    await fs.mkdir(path.join(cache.repoDir, 'blobs'), { recursive: true });
    writeFileSync(cache.blobPath('e'.repeat(64)), 'weights');
    await cache.linkSnapshot(commit, 'sub/model.safetensors', 'e'.repeat(64));
    await cache.linkSnapshot(commit, 'config.json', 'f'.repeat(40)); // its blob is absent: dangling
    expect(readlinkSync(cache.snapshotPath(commit, 'sub/model.safetensors'))).toBe(`../../../blobs/${'e'.repeat(64)}`);
    expect(await cache.listSnapshot(commit)).toEqual(['sub/model.safetensors']);
    expect(await cache.getLinkedEtag(commit, 'sub/model.safetensors')).toBe('e'.repeat(64));
    // huggingface_hub's marker of a file a revision does not have: .no_exist/<commit>/<file>
    const noExist = path.join(cache.repoDir, '.no_exist', commit, 'open_clip_model.safetensors');
    expect(existsSync(noExist)).toBe(false);
    await cache.markMissing(commit, 'open_clip_model.safetensors');
    expect(existsSync(noExist)).toBe(true);
  });

  it('reads the Hub settings as huggingface_hub does', () => {
    const home = tmp();
    writeFileSync(path.join(home, 'token'), 'hf_file\n');
    expect(getHubEnv({ HF_HOME: home })).toEqual({
      endpoint: 'https://huggingface.co',
      token: 'hf_file',
      tokenSource: path.join(home, 'token'),
      offline: false,
    });
    expect(
      getHubEnv({ HF_HOME: home, HF_TOKEN: 'hf_env', HF_ENDPOINT: 'https://mirror/', HF_HUB_OFFLINE: 'true' }),
    ).toEqual({ endpoint: 'https://mirror', token: 'hf_env', tokenSource: 'HF_TOKEN', offline: true });
    expect(getHubEnv({ HF_HOME: tmp(), TRANSFORMERS_OFFLINE: '1' }).offline).toBe(true);
  });
});

describe('the digest cache', () => {
  it('hashes a file once, and again when it changes', async () => {
    const env = { SAEV_CACHE: tmp() };
    const file = path.join(tmp(), 'ckpt.pt');
    writeFileSync(file, 'abc');
    const first = await getFileSha256(file, () => undefined, env);
    expect(first).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    writeFileSync(file, 'abd');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await getFileSha256(file, () => undefined, env)).not.toBe(first);
  });
});
