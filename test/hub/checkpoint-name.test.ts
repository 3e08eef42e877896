/** `--vit-ckpt` strings to what they name, offline: every kind of name, the family check, unknown names. */
import { describe, expect, it } from 'vitest';
import { getCloseNames, PathKind, resolveCheckpointName } from '../../src/hub/checkpoint-name.js';
import { getOpenClipSource, listOpenClipNames } from '../../src/hub/open-clip-names.js';

const clip = { name: 'clip', demo: { ckpt: 'demo' } };
const fam = (name: string) => ({ name, demo: null });
const none = (): PathKind => null;
const resolve = (family: { name: string; demo: { ckpt: string } | null }, ckpt: string, pathKind = none) =>
  resolveCheckpointName(family, ckpt, pathKind);

describe('checkpoint names', () => {
  it('leaves demo, random:<arch> and directories to checkpoint-kind, and takes an existing file as a file', () => {
    expect(resolve(clip, 'demo')).toBeNull();
    expect(resolve(clip, 'random:ViT-B-16@3')).toBeNull();
    expect(resolve(clip, './models/b16', () => 'directory')).toBeNull();
    expect(resolve(fam('dinov3'), '/ckpts/dinov3_vitb16_pretrain_lvd1689m-73cec8be.pth', () => 'file')).toEqual({
      name: '/ckpts/dinov3_vitb16_pretrain_lvd1689m-73cec8be.pth',
      family: null,
      source: { kind: 'file', path: '/ckpts/dinov3_vitb16_pretrain_lvd1689m-73cec8be.pth' },
    });
    // An existing path wins over a name, as in open_clip.
    expect(resolve(clip, 'ViT-B-16/openai', () => 'file')?.source.kind).toBe('file');
  });

  it("maps open_clip's MODEL/TAG to the repositories open_clip's table names", () => {
    const cases: Array<[string, string, string, boolean]> = [
      ['ViT-B-16/openai', 'clip', 'timm/vit_base_patch16_clip_224.openai', true],
      ['ViT-L-14/openai', 'clip', 'timm/vit_large_patch14_clip_224.openai', true],
      ['ViT-L-14-336/openai', 'clip', 'timm/vit_large_patch14_clip_336.openai', true],
      ['ViT-B-32/laion2b_s34b_b79k', 'clip', 'laion/CLIP-ViT-B-32-laion2B-s34B-b79K', false],
      ['ViT-H-14/laion2b_s32b_b79k', 'clip', 'laion/CLIP-ViT-H-14-laion2B-s32B-b79K', false],
      ['ViT-bigG-14/laion2b_s39b_b160k', 'clip', 'laion/CLIP-ViT-bigG-14-laion2B-39B-b160k', false],
      ['ViT-B-32/commonpool_m_clip_s128m_b4k', 'clip', 'laion/CLIP-ViT-B-32-CommonPool.M.clip-s128M-b4K', false],
      ['ViT-B-16-quickgelu/metaclip_fullcc', 'clip', 'timm/vit_base_patch16_clip_224.metaclip_2pt5b', true],
      ['ViT-B-16-SigLIP/webli', 'siglip', 'timm/ViT-B-16-SigLIP', false],
      ['ViT-L-16-SigLIP2-256/webli', 'siglip', 'timm/ViT-L-16-SigLIP2-256', false],
      ['ViT-SO400M-14-SigLIP-378/webli', 'siglip', 'timm/ViT-SO400M-14-SigLIP-384', false],
    ];
    for (const [name, family, repo, quickGelu] of cases) {
      const got = resolve(fam(family), name);
      expect(got, name).toMatchObject({
        name,
        family,
        source: { kind: 'hf', repo, revision: 'main', openClip: { repo, quickGelu } },
      });
    }
    // open_clip's tag normalisation; heads that shapes cannot tell.
    expect(getOpenClipSource('ViT-B-16', 'OpenAI')?.repo).toBe('timm/vit_base_patch16_clip_224.openai');
    expect(getOpenClipSource('ViT-bigG-14', 'laion2b_s39b_b160k')?.tower.nHeads).toBe(16);
    expect(listOpenClipNames().length).toBeGreaterThan(80);
  });

  it('hf-hub:ORG/REPO[@REVISION], torch-hub, timm and moondream2 names', () => {
    expect(resolve(fam('siglip'), 'hf-hub:timm/ViT-L-16-SigLIP2-256')).toEqual({
      name: 'hf-hub:timm/ViT-L-16-SigLIP2-256',
      family: 'siglip',
      source: { kind: 'hf', repo: 'timm/ViT-L-16-SigLIP2-256', revision: 'main' },
    });
    expect(resolve(clip, 'hf-hub:imageomics/bioclip')).toMatchObject({
      family: null,
      source: { repo: 'imageomics/bioclip', revision: 'main' },
    });
    expect(resolve(fam('moondream2'), 'hf-hub:vikhyatk/moondream2@2024-08-26')?.source).toEqual({
      kind: 'hf',
      repo: 'vikhyatk/moondream2',
      revision: '2024-08-26',
    });
    expect(resolve(fam('moondream2'), 'vikhyatk/moondream2:2024-08-26')?.source).toEqual({
      kind: 'hf',
      repo: 'vikhyatk/moondream2',
      revision: '2024-08-26',
    });
    expect(resolve(fam('dinov2'), 'dinov2_vitg14')).toMatchObject({
      family: 'dinov2',
      source: { kind: 'torch-hub', entry: { file: 'dinov2_vitg14_pretrain.pth' } },
    });
    expect(resolve(fam('dinov2'), 'dinov2_vitb14_reg')).toMatchObject({
      family: 'dinov2',
      source: {
        kind: 'torch-hub',
        entry: { file: 'dinov2_vitb14_reg4_pretrain.pth', urlPath: 'dinov2_vitb14/dinov2_vitb14_reg4_pretrain.pth' },
      },
    });
    expect(resolve(fam('dinov3'), 'dinov3_vitb16')).toMatchObject({
      family: 'dinov3',
      source: {
        kind: 'torch-hub',
        entry: { file: 'dinov3_vitb16_pretrain_lvd1689m-*.pth', hfRepo: 'facebook/dinov3-vitb16-pretrain-lvd1689m' },
      },
    });
    expect(resolve(fam('pe-core'), 'vit_pe_core_base_patch16_224.fb')?.source).toEqual({
      kind: 'hf',
      repo: 'timm/vit_pe_core_base_patch16_224.fb',
      revision: 'main',
    });
    expect(resolve(fam('pe-spatial'), 'vit_pe_spatial_base_patch16_512')?.source).toEqual({
      kind: 'hf',
      repo: 'timm/vit_pe_spatial_base_patch16_512.fb',
      revision: 'main',
    });
    expect(resolve(fam('dinov2'), 'hf-hub:facebook/dinov2-base@1a2b3c')).toMatchObject({
      family: 'dinov2',
      source: { revision: '1a2b3c' },
    });
    // timm's DINOv2 register models (no_embed_class layout, read by the dinov2 family).
    for (const size of ['small', 'base', 'large', 'giant']) {
      const repo = `timm/vit_${size}_patch14_reg4_dinov2.lvd142m`;
      expect(resolve(fam('dinov2'), `hf-hub:${repo}`)).toEqual({
        name: `hf-hub:${repo}`,
        family: 'dinov2',
        source: { kind: 'hf', repo, revision: 'main' },
      });
    }
  });

  it('a name of another family says which --vit-family it needs', () => {
    expect(() => resolve(clip, 'dinov2_vitb14')).toThrow(
      /^checkpoint: 'dinov2_vitb14' is a dinov2 checkpoint, not clip; pass --vit-family dinov2/,
    );
    expect(() => resolve(clip, 'ViT-B-16-SigLIP/webli')).toThrow(
      /is a siglip checkpoint, not clip; pass --vit-family siglip/,
    );
    expect(() => resolve(fam('siglip'), 'ViT-B-16/openai')).toThrow(/is a clip checkpoint, not siglip/);
    expect(() => resolve(clip, 'hf-hub:facebook/dinov3-vitl16-pretrain-lvd1689m')).toThrow(
      /is a dinov3 checkpoint, not clip; pass --vit-family dinov3/,
    );
    expect(() => resolve(fam('dinov2'), 'vit_pe_spatial_base_patch16_512.fb')).toThrow(
      /is a pe-spatial checkpoint, not dinov2; pass --vit-family pe-spatial/,
    );
    expect(() => resolve(clip, 'hf-hub:timm/vit_base_patch14_reg4_dinov2.lvd142m')).toThrow(
      /is a dinov2 checkpoint, not clip; pass --vit-family dinov2/,
    );
  });

  it('unknown names list the close ones; known towers that are not plain ViTs say so', () => {
    expect(() => resolve(clip, 'ViT-B-16/opnai')).toThrow(
      /^checkpoint: 'ViT-B-16\/opnai' is neither a file or directory nor a known checkpoint name \(close names: ViT-B-16\/openai/,
    );
    expect(() => resolve(clip, 'ViT-B-16')).toThrow(/close names: ViT-B-16\//);
    expect(() => resolve(fam('dinov2'), 'dinov2_vitb14_reg4')).toThrow(/close names: dinov2_vitb14_reg/);
    expect(() => resolve(clip, 'completely-unlike-anything-else')).toThrow(
      /names look like ViT-B-16\/openai, hf-hub:ORG\/REPO\[@REVISION\], dinov2_vitb14_reg/,
    );
    expect(() => resolve(clip, 'RN50/openai')).toThrow(
      /^checkpoint: 'RN50\/openai' is an open_clip name whose image tower is a ResNet; saev-tfjs runs plain ViT towers only$/,
    );
    expect(() => resolve(clip, 'hf-hub:not a repo')).toThrow(/is not a Hugging Face repository name/);
    expect(() => resolve(clip, 'ViT-L-14/laion2b_s32b_b82k')).toThrow(
      /^checkpoint: open_clip preprocesses 'ViT-L-14\/laion2b_s32b_b82k' with mean = std = 0\.5, which the clip family does not/,
    );
    expect(getCloseNames('ViT-L-14/opena', 'clip')[0]).toBe('ViT-L-14/openai');
    // Missing paths are left to checkpoint-kind, which says they do not exist.
    expect(resolve(clip, './no-such-model')).toBeNull();
    expect(resolve(clip, 'ckpts/ViT-B-16.safetensors')).toBeNull();
  });
});
