/**
 * open_clip's `MODEL/TAG` names (`ViT-B-16/openai`, `ViT-bigG-14/laion2b_s39b_b160k`, ...) as data:
 * which Hugging Face repository holds each tag's weights (open_clip's pretrained table, where the
 * `openai` weights now live in `timm/vit_*_clip_*.openai`), whether the weights were trained with
 * QuickGELU, and which of our families runs the tower. Only plain-ViT image towers are listed;
 * `getUnsupportedOpenClipTower` names the others (ResNet, ConvNeXt, EVA, ...) for a clear refusal.
 * `MODEL-quickgelu` names exist for every model with QuickGELU tags, as in open_clip.
 */

export interface OpenClipWeights {
  /** The Hugging Face repository holding `open_clip_model.safetensors` / `open_clip_pytorch_model.bin`. */
  repo: string;
  /** Trained with QuickGELU (`x * sigmoid(1.702 x)`), whatever the repository's config says. */
  quickGelu: boolean;
}

/** What a conversion needs when the repository has no `open_clip_config.json` of its own. */
export interface OpenClipTower {
  family: 'clip' | 'siglip' | 'pe-core';
  /** Attention heads where the width is not 64 per head (open_clip's `head_width` 80, 88, 104): shapes cannot tell. */
  nHeads?: number;
  /** open_clip's `vision_cfg.timm_model_name` and `image_size` (timm trunks). */
  timm?: { name: string; imageSize: number };
  /** The model config itself says quick_gelu (`ViT-*-quickgelu`, `roberta-ViT-B-32`). */
  quickGelu?: boolean;
}

interface ModelEntry extends OpenClipTower {
  /** tag -> repository; a leading `q:` marks QuickGELU weights. */
  tags: Record<string, string>;
}

const timmClip = (arch: string, tag: string) => `timm/vit_${arch}_clip_${tag}`;
const laion = (name: string) => `laion/CLIP-${name}`;
const commonpool = (prefix: string, size: string, samples: string, kinds: string[]) =>
  Object.fromEntries(
    kinds.map((kind) => [
      `commonpool_${size.toLowerCase()}_${kind ? `${kind}_` : ''}${samples.toLowerCase().replace('-', '_')}`,
      laion(`${prefix}-CommonPool.${size}${kind ? `.${kind}` : ''}-${samples}`),
    ]),
  );

const MODELS: Record<string, ModelEntry> = {
  'ViT-B-32': {
    family: 'clip',
    tags: {
      openai: `q:${timmClip('base_patch32', '224.openai')}`,
      laion400m_e31: `q:${timmClip('base_patch32', '224.laion400m_e31')}`,
      laion400m_e32: `q:${timmClip('base_patch32', '224.laion400m_e32')}`,
      laion2b_e16: timmClip('base_patch32', '224.laion2b_e16'),
      laion2b_s34b_b79k: laion('ViT-B-32-laion2B-s34B-b79K'),
      datacomp_xl_s13b_b90k: laion('ViT-B-32-DataComp.XL-s13B-b90K'),
      datacomp_m_s128m_b4k: laion('ViT-B-32-DataComp.M-s128M-b4K'),
      ...commonpool('ViT-B-32', 'M', 's128M-b4K', ['clip', 'laion', 'image', 'text', 'basic', '']),
      datacomp_s_s13m_b4k: laion('ViT-B-32-DataComp.S-s13M-b4K'),
      ...commonpool('ViT-B-32', 'S', 's13M-b4K', ['clip', 'laion', 'image', 'text', 'basic', '']),
      metaclip_400m: `q:${timmClip('base_patch32', '224.metaclip_400m')}`,
      metaclip_fullcc: `q:${timmClip('base_patch32', '224.metaclip_2pt5b')}`,
    },
  },
  'ViT-B-32-256': { family: 'clip', tags: { datacomp_s34b_b86k: laion('ViT-B-32-256x256-DataComp-s34B-b86K') } },
  'ViT-B-16': {
    family: 'clip',
    tags: {
      openai: `q:${timmClip('base_patch16', '224.openai')}`,
      laion400m_e31: timmClip('base_patch16', '224.laion400m_e31'),
      laion400m_e32: timmClip('base_patch16', '224.laion400m_e32'),
      laion2b_s34b_b88k: laion('ViT-B-16-laion2B-s34B-b88K'),
      datacomp_xl_s13b_b90k: laion('ViT-B-16-DataComp.XL-s13B-b90K'),
      datacomp_l_s1b_b8k: laion('ViT-B-16-DataComp.L-s1B-b8K'),
      ...commonpool('ViT-B-16', 'L', 's1B-b8K', ['clip', 'laion', 'image', 'text', 'basic', '']),
      dfn2b: 'q:apple/DFN2B-CLIP-ViT-B-16',
      metaclip_400m: `q:${timmClip('base_patch16', '224.metaclip_400m')}`,
      metaclip_fullcc: `q:${timmClip('base_patch16', '224.metaclip_2pt5b')}`,
    },
  },
  'ViT-B-16-plus-240': {
    family: 'clip',
    // open_clip maps both tags to the e31 repository.
    tags: {
      laion400m_e31: timmClip('base_patch16_plus', '240.laion400m_e31'),
      laion400m_e32: timmClip('base_patch16_plus', '240.laion400m_e31'),
    },
  },
  'ViT-L-14': {
    family: 'clip',
    tags: {
      openai: `q:${timmClip('large_patch14', '224.openai')}`,
      laion400m_e31: timmClip('large_patch14', '224.laion400m_e31'),
      laion400m_e32: timmClip('large_patch14', '224.laion400m_e32'),
      laion2b_s32b_b82k: laion('ViT-L-14-laion2B-s32B-b82K'),
      datacomp_xl_s13b_b90k: laion('ViT-L-14-DataComp.XL-s13B-b90K'),
      ...commonpool('ViT-L-14', 'XL', 's13B-b90K', ['clip', 'laion', '']),
      metaclip_400m: `q:${timmClip('large_patch14', '224.metaclip_400m')}`,
      metaclip_fullcc: `q:${timmClip('large_patch14', '224.metaclip_2pt5b')}`,
      dfn2b: 'q:apple/DFN2B-CLIP-ViT-L-14',
      dfn2b_s39b: 'apple/DFN2B-CLIP-ViT-L-14-39B',
    },
  },
  'ViT-L-14-336': { family: 'clip', tags: { openai: `q:${timmClip('large_patch14', '336.openai')}` } },
  'ViT-H-14': {
    family: 'clip',
    nHeads: 16,
    tags: {
      laion2b_s32b_b79k: laion('ViT-H-14-laion2B-s32B-b79K'),
      metaclip_fullcc: `q:${timmClip('huge_patch14', '224.metaclip_2pt5b')}`,
      metaclip_altogether: timmClip('huge_patch14', '224.metaclip_altogether'),
      dfn5b: 'q:apple/DFN5B-CLIP-ViT-H-14',
    },
  },
  'ViT-H-14-378': { family: 'clip', nHeads: 16, tags: { dfn5b: 'q:apple/DFN5B-CLIP-ViT-H-14-378' } },
  'ViT-g-14': {
    family: 'clip',
    nHeads: 16,
    tags: {
      laion2b_s12b_b42k: laion('ViT-g-14-laion2B-s12B-b42K'),
      laion2b_s34b_b88k: laion('ViT-g-14-laion2B-s34B-b88K'),
    },
  },
  'ViT-bigG-14': {
    family: 'clip',
    nHeads: 16,
    tags: {
      laion2b_s39b_b160k: laion('ViT-bigG-14-laion2B-39B-b160k'),
      metaclip_fullcc: `q:${timmClip('gigantic_patch14', '224.metaclip_2pt5b')}`,
    },
  },
  'ViT-H-14-worldwide': {
    family: 'clip',
    nHeads: 16,
    tags: { metaclip2_worldwide: `q:${timmClip('huge_patch14', '224.metaclip2_worldwide')}` },
  },
  'ViT-H-14-worldwide-378': {
    family: 'clip',
    nHeads: 16,
    tags: { metaclip2_worldwide: timmClip('huge_patch14', '378.metaclip2_worldwide') },
  },
  'ViT-bigG-14-worldwide': {
    family: 'clip',
    nHeads: 16,
    tags: { metaclip2_worldwide: timmClip('gigantic_patch14', '224.metaclip2_worldwide') },
  },
  'ViT-bigG-14-worldwide-378': {
    family: 'clip',
    nHeads: 16,
    tags: { metaclip2_worldwide: timmClip('gigantic_patch14', '378.metaclip2_worldwide') },
  },
  'roberta-ViT-B-32': {
    family: 'clip',
    quickGelu: true,
    tags: { laion2b_s12b_b32k: laion('ViT-B-32-roberta-base-laion2B-s12B-b32k') },
  },
  'xlm-roberta-base-ViT-B-32': {
    family: 'clip',
    tags: { laion5b_s13b_b90k: laion('ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k') },
  },
  'xlm-roberta-large-ViT-H-14': {
    family: 'clip',
    nHeads: 16,
    tags: { frozen_laion5b_s13b_b90k: laion('ViT-H-14-frozen-xlm-roberta-large-laion5B-s13B-b90k') },
  },
};

/** SigLIP and SigLIP2 (open_clip with a timm trunk): one `webli` tag each, in `timm/<MODEL>`. */
const SIGLIP: Array<[model: string, timmName: string, imageSize: number, repo?: string]> = [
  ['ViT-B-16-SigLIP', 'vit_base_patch16_siglip_224', 224],
  ['ViT-B-16-SigLIP-256', 'vit_base_patch16_siglip_256', 256],
  ['ViT-B-16-SigLIP-i18n-256', 'vit_base_patch16_siglip_256', 256],
  ['ViT-B-16-SigLIP-384', 'vit_base_patch16_siglip_384', 384],
  ['ViT-B-16-SigLIP-512', 'vit_base_patch16_siglip_512', 512],
  ['ViT-L-16-SigLIP-256', 'vit_large_patch16_siglip_256', 256],
  ['ViT-L-16-SigLIP-384', 'vit_large_patch16_siglip_384', 384],
  ['ViT-SO400M-14-SigLIP', 'vit_so400m_patch14_siglip_224', 224],
  ['ViT-SO400M-16-SigLIP-i18n-256', 'vit_so400m_patch16_siglip_256', 256],
  // open_clip runs the 384 weights at 378 px (27 x 27 patches of 14 px).
  ['ViT-SO400M-14-SigLIP-378', 'vit_so400m_patch14_siglip_378', 378, 'timm/ViT-SO400M-14-SigLIP-384'],
  ['ViT-SO400M-14-SigLIP-384', 'vit_so400m_patch14_siglip_384', 384],
  ['ViT-B-32-SigLIP2-256', 'vit_base_patch32_siglip_256', 256],
  ['ViT-B-16-SigLIP2', 'vit_base_patch16_siglip_224', 224],
  ['ViT-B-16-SigLIP2-256', 'vit_base_patch16_siglip_256', 256],
  ['ViT-B-16-SigLIP2-384', 'vit_base_patch16_siglip_384', 384],
  ['ViT-B-16-SigLIP2-512', 'vit_base_patch16_siglip_512', 512],
  ['ViT-L-16-SigLIP2-256', 'vit_large_patch16_siglip_256', 256],
  ['ViT-L-16-SigLIP2-384', 'vit_large_patch16_siglip_384', 384],
  ['ViT-L-16-SigLIP2-512', 'vit_large_patch16_siglip_512', 512],
  ['ViT-SO400M-14-SigLIP2', 'vit_so400m_patch14_siglip_224', 224],
  ['ViT-SO400M-14-SigLIP2-378', 'vit_so400m_patch14_siglip_378', 378],
  ['ViT-SO400M-16-SigLIP2-256', 'vit_so400m_patch16_siglip_256', 256],
  ['ViT-SO400M-16-SigLIP2-384', 'vit_so400m_patch16_siglip_384', 384],
  ['ViT-SO400M-16-SigLIP2-512', 'vit_so400m_patch16_siglip_512', 512],
];
for (const [model, name, imageSize, repo] of SIGLIP)
  MODELS[model] = { family: 'siglip', timm: { name, imageSize }, tags: { webli: repo ?? `timm/${model}` } };

/** Perception Encoder core models as open_clip ships them (`meta` tag, `timm/<MODEL>`), for the pe-core family. */
for (const model of [
  'PE-Core-T-16-384',
  'PE-Core-S-16-384',
  'PE-Core-B-16',
  'PE-Core-L-14-336',
  'PE-Core-bigG-14-448',
]) {
  MODELS[model] = { family: 'pe-core', tags: { meta: `timm/${model}` } };
}

// `MODEL-quickgelu`: the QuickGELU tags of every model, as open_clip adds them.
for (const [model, entry] of Object.entries({ ...MODELS })) {
  const quick = Object.entries(entry.tags).filter(([, repo]) => repo.startsWith('q:'));
  if (quick.length > 0 && !model.endsWith('-quickgelu'))
    MODELS[`${model}-quickgelu`] = { ...entry, quickGelu: true, tags: Object.fromEntries(quick) };
}

/** open_clip's tag normalisation: lower case, `-` as `_`. */
const cleanTag = (tag: string) => tag.toLowerCase().replace(/-/g, '_');

export interface OpenClipSource extends OpenClipWeights {
  tower: OpenClipTower;
}

/** The weights and tower of `MODEL/TAG`, or null when open_clip has no such pair (among plain-ViT towers). */
export function getOpenClipSource(model: string, tag: string): OpenClipSource | null {
  const entry = Object.hasOwn(MODELS, model) ? MODELS[model] : undefined;
  const repo = entry && Object.hasOwn(entry.tags, cleanTag(tag)) ? entry.tags[cleanTag(tag)] : undefined;
  if (!entry || !repo) return null;
  const { tags: _tags, ...tower } = entry;
  return { repo: repo.replace(/^q:/, ''), quickGelu: repo.startsWith('q:') || entry.quickGelu === true, tower };
}

/** Every `MODEL/TAG` with its family (for suggestions and the family check). */
export function listOpenClipNames(): Array<{ name: string; family: string; repo: string }> {
  return Object.entries(MODELS).flatMap(([model, entry]) =>
    Object.entries(entry.tags).map(([tag, repo]) => ({
      name: `${model}/${tag}`,
      family: entry.family,
      repo: repo.replace(/^q:/, ''),
    })),
  );
}

const UNSUPPORTED: Array<[RegExp, string]> = [
  [/^RN\d/, 'a ResNet'],
  [/^convnext_/, 'a ConvNeXt'],
  [/^coca_/, 'a CoCa model'],
  [/^EVA0/, 'an EVA ViT (rotary embeddings, SwiGLU)'],
  [/-CLIPA/, 'a CLIPA ViT'],
  [/^MobileCLIP/, 'a MobileCLIP hybrid'],
  [/^ViTamin-/, 'a ViTamin hybrid'],
  [/^nllb-clip-/, 'an NLLB-CLIP model'],
  [/^CLAP-/, 'an audio tower'],
  [/naflex/, 'a NaFlex (variable-resolution) SigLIP2'],
  [/^ViT-gopt-/, "a SigLIP2 giant-opt ViT (not among the siglip family's sizes)"],
];

/**
 * Tags open_clip preprocesses otherwise than the family does (its table's overrides): refused, never run with other
 * inputs.
 */
const OTHER_PREPROCESSING: Record<string, string> = {
  'ViT-L-14/laion2b_s32b_b82k': 'mean = std = 0.5',
  'ViT-H-14/dfn5b': 'a squash resize',
  'ViT-H-14-quickgelu/dfn5b': 'a squash resize',
  'ViT-H-14-378/dfn5b': 'a squash resize',
  'ViT-H-14-378-quickgelu/dfn5b': 'a squash resize',
  'ViT-H-14-worldwide-378/metaclip2_worldwide': 'a squash resize',
  'ViT-bigG-14-worldwide-378/metaclip2_worldwide': 'a squash resize',
};

/** How open_clip preprocesses `MODEL/TAG` when it is not as the family does, or null. */
export function getOtherPreprocessing(model: string, tag: string): string | null {
  const key = `${model}/${cleanTag(tag)}`;
  return Object.hasOwn(OTHER_PREPROCESSING, key) ? OTHER_PREPROCESSING[key] : null;
}

/** Why an open_clip model name is known but not runnable here, or null. */
export function getUnsupportedOpenClipTower(model: string): string | null {
  return UNSUPPORTED.find(([pattern]) => pattern.test(model))?.[1] ?? null;
}
