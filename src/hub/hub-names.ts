/**
 * The checkpoint names saev takes besides open_clip's (src/hub/open-clip-names.ts), as data:
 *  - DINOv2 torch-hub names (`dinov2_vitb14`, `dinov2_vitb14_reg`): facebookresearch/dinov2's public
 *    `<base>/dinov2_vitb14/dinov2_vitb14_reg4_pretrain.pth`, cached by torch hub under its file name;
 *  - DINOv3 torch-hub names (`dinov3_vitb16`): the original `dinov3_vitb16_pretrain_lvd1689m-<hash>.pth`
 *    when torch hub has it, else the gated `facebook/dinov3-vitb16-pretrain-lvd1689m` repository
 *    (transformers layout, needs a token);
 *  - Perception Encoder timm names (`vit_pe_core_base_patch16_224.fb`), from `timm/<name>`, as
 *    `timm.create_model(name, pretrained=True)` fetches them;
 *  - moondream2 in saev's seed spelling `vikhyatk/moondream2:2024-08-26` (or `@2024-08-26`);
 * and which family a Hugging Face repository belongs to when its name says so.
 */

export interface TorchHubName {
  family: string;
  /** The file torch hub caches (`$TORCH_HOME/hub/checkpoints/<file>`); a trailing `*` matches any hash suffix. */
  file: string;
  /** Public download path under the torch-hub base URL, when there is one. */
  urlPath?: string;
  /** Where the same weights are on the Hugging Face Hub, when torch hub has none public. */
  hfRepo?: string;
  /** Why the name is known but cannot run here. */
  unsupported?: string;
}

export interface TimmName {
  family: string;
  /** `timm/<model>.<tag>`. */
  repo: string;
}

export const DINOV2_BASE_URL = 'https://dl.fbaipublicfiles.com/dinov2';

const TORCH_HUB: Record<string, TorchHubName> = {};
for (const size of ['s', 'b', 'l', 'g']) {
  const base = `dinov2_vit${size}14`;
  TORCH_HUB[base] = { family: 'dinov2', file: `${base}_pretrain.pth`, urlPath: `${base}/${base}_pretrain.pth` };
  TORCH_HUB[`${base}_reg`] = {
    family: 'dinov2',
    file: `${base}_reg4_pretrain.pth`,
    urlPath: `${base}/${base}_reg4_pretrain.pth`,
  };
}
for (const size of ['s16', 's16plus', 'b16', 'l16', 'h16plus', '7b16']) {
  TORCH_HUB[`dinov3_vit${size}`] = {
    family: 'dinov3',
    file: `dinov3_vit${size}_pretrain_lvd1689m-*.pth`,
    hfRepo: `facebook/dinov3-vit${size}-pretrain-lvd1689m`,
  };
}

const TIMM: Record<string, TimmName> = {};
const PE: Array<[family: string, models: string[]]> = [
  [
    'pe-core',
    ['tiny_patch16_384', 'small_patch16_384', 'base_patch16_224', 'large_patch14_336', 'gigantic_patch14_448'],
  ],
  [
    'pe-spatial',
    ['tiny_patch16_512', 'small_patch16_512', 'base_patch16_512', 'large_patch14_448', 'gigantic_patch14_448'],
  ],
];
for (const [family, models] of PE) {
  for (const model of models) {
    const name = `vit_${family.replace('-', '_')}_${model}`;
    // timm's default tag is the only one (`.fb`); the bare model name means it too.
    TIMM[name] = TIMM[`${name}.fb`] = { family, repo: `timm/${name}.fb` };
  }
}

/** The torch-hub entry for `name`, or null. */
export function getTorchHubName(name: string): TorchHubName | null {
  return Object.hasOwn(TORCH_HUB, name) ? TORCH_HUB[name] : null;
}

/** The timm entry for `name`, or null. */
export function getTimmName(name: string): TimmName | null {
  return Object.hasOwn(TIMM, name) ? TIMM[name] : null;
}

/** moondream2 as saev's seed spelt it, `vikhyatk/moondream2:REV` (also `@REV`): the repository and revision. */
export function parseMoondreamName(name: string): { repo: string; revision: string } | null {
  const match = /^(vikhyatk\/moondream2)[:@]([A-Za-z0-9._-]+)$/.exec(name);
  return match ? { repo: match[1], revision: match[2] } : null;
}

/** Every torch-hub and timm name with its family (for suggestions and the family check). */
export function listHubNames(): Array<{ name: string; family: string }> {
  return [
    ...Object.entries(TORCH_HUB).map(([name, entry]) => ({ name, family: entry.family })),
    ...Object.entries(TIMM).map(([name, entry]) => ({ name, family: entry.family })),
    { name: 'vikhyatk/moondream2:2024-08-26', family: 'moondream2' },
  ];
}

const REPO_FAMILIES: Array<[RegExp, string]> = [
  [/^facebook\/dinov2-/, 'dinov2'],
  [/^timm\/vit_\w+_dinov2\./, 'dinov2'],
  [/^facebook\/dinov3-/, 'dinov3'],
  [/^timm\/vit_\w+_dinov3\./, 'dinov3'],
  [/^facebook\/PE-Core-/, 'pe-core'],
  [/^timm\/vit_pe_core_/, 'pe-core'],
  [/^facebook\/PE-Spatial-/, 'pe-spatial'],
  [/^timm\/vit_pe_spatial_/, 'pe-spatial'],
  [/^timm\/vit_\w+_siglip/, 'siglip'],
  [/^timm\/ViT-[\w-]+-SigLIP/, 'siglip'],
  [/^vikhyatk\/moondream2$/, 'moondream2'],
];

/** The family a repository's name tells (`facebook/dinov2-base` is dinov2), or null when only its files can. */
export function getRepoFamily(repo: string): string | null {
  return REPO_FAMILIES.find(([pattern]) => pattern.test(repo))?.[1] ?? null;
}
