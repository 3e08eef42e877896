/**
 * What a `--vit-ckpt` string names, told offline and without reading any file
 * (so a mistake is caught before TensorFlow starts): a checkpoint file, an
 * open_clip `MODEL/TAG`, an `hf-hub:ORG/REPO[@REVISION]` repository, a DINOv2 /
 * DINOv3 torch-hub name, a Perception Encoder timm name or moondream2's
 * `vikhyatk/moondream2:REVISION`. An existing path wins over a name, as in
 * open_clip. Returns null for what src/vit/checkpoint-kind.ts handles
 * (`demo`, `random:<arch>`, directories). Unknown names and names of another
 * family are one-line errors, with the close names listed.
 */
import {
  getRepoFamily,
  getTimmName,
  getTorchHubName,
  listHubNames,
  parseMoondreamName,
  TorchHubName,
} from './hub-names.js';
import {
  getOpenClipSource,
  getOtherPreprocessing,
  getUnsupportedOpenClipTower,
  listOpenClipNames,
  OpenClipSource,
} from './open-clip-names.js';

export type CheckpointSource =
  /** A local checkpoint file, converted as it is (with the family's config files beside it). */
  | { kind: 'file'; path: string }
  /** Files of a Hugging Face repository; `openClip` for open_clip's `MODEL/TAG` names. */
  | { kind: 'hf'; repo: string; revision: string; openClip?: OpenClipSource }
  /** A torch-hub file (`$TORCH_HOME/hub/checkpoints`). */
  | { kind: 'torch-hub'; hubName: string; entry: TorchHubName };

export interface CheckpointName {
  /** As the user gave it: what `metadata.json` records. */
  name: string;
  /** The family the name belongs to, when the name tells (a repository of unknown kind tells only by its files). */
  family: string | null;
  source: CheckpointSource;
}

/** What the resolver needs of a family. */
export interface FamilyRef {
  name: string;
  demo: { ckpt: string } | null;
}

export type PathKind = 'file' | 'directory' | null;

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

function checkFamily(name: string, nameFamily: string | null, family: FamilyRef): void {
  if (nameFamily !== null && nameFamily !== family.name) {
    throw new Error(
      `checkpoint: '${name}' is a ${nameFamily} checkpoint, not ${family.name}; pass --vit-family ${nameFamily} (or a ${family.name} --vit-ckpt)`,
    );
  }
}

function openClipFamilyOf(repo: string): string | null {
  return listOpenClipNames().find((entry) => entry.repo === repo)?.family ?? null;
}

/** Parses `hf-hub:ORG/REPO[@REVISION]`. */
function parseHfHub(name: string): { repo: string; revision: string } {
  const rest = name.slice('hf-hub:'.length);
  const at = rest.indexOf('@');
  const repo = at < 0 ? rest : rest.slice(0, at);
  const revision = at < 0 ? 'main' : rest.slice(at + 1);
  if (!REPO_ID.test(repo) || revision === '' || /[\s]/.test(revision)) {
    throw new Error(
      `checkpoint: '${name}' is not a Hugging Face repository name; write hf-hub:ORG/REPO or hf-hub:ORG/REPO@REVISION`,
    );
  }
  return { repo, revision };
}

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function getDistance(a: string, b: string): number {
  const [s, t] = [a.toLowerCase(), b.toLowerCase()];
  let row = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= t.length; j++)
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    row = next;
  }
  return row[t.length];
}

/** Up to `n` known names close to `name`, those of `family` first. */
export function getCloseNames(name: string, family: string, n = 5): string[] {
  const all = [...listOpenClipNames(), ...listHubNames()];
  const lower = name.toLowerCase();
  const scored = all
    .map((entry) => {
      const prefix =
        entry.name.toLowerCase().startsWith(`${lower}/`) || entry.name.toLowerCase().startsWith(`${lower}.`);
      return { ...entry, score: prefix ? 0 : getDistance(name, entry.name) };
    })
    .filter((entry) => entry.score <= Math.max(3, Math.floor(name.length / 4)));
  scored.sort(
    (a, b) =>
      a.score - b.score || Number(b.family === family) - Number(a.family === family) || (a.name < b.name ? -1 : 1),
  );
  return scored.slice(0, n).map((entry) => entry.name);
}

/**
 * The checkpoint `ckpt` names for `family`, or null when it is `demo`,
 * `random:...` or a directory (src/vit/checkpoint-kind.ts). `pathKind` says
 * what exists at a path (injected so tests need no files).
 */
export function resolveCheckpointName(
  family: FamilyRef,
  ckpt: string,
  pathKind: (p: string) => PathKind,
): CheckpointName | null {
  if ((family.demo && ckpt === family.demo.ckpt) || ckpt.startsWith('random:')) return null;
  const kind = pathKind(ckpt);
  if (kind === 'directory') return null;
  if (kind === 'file') return { name: ckpt, family: null, source: { kind: 'file', path: ckpt } };
  // A missing path is checkpoint-kind's to report ("does not exist").
  if (/^(\.{1,2}\/|\/|~)/.test(ckpt) || /\.(safetensors|pt|pth|bin)$/.test(ckpt)) return null;

  if (ckpt.startsWith('hf-hub:')) {
    const { repo, revision } = parseHfHub(ckpt);
    const nameFamily = getRepoFamily(repo) ?? openClipFamilyOf(repo);
    checkFamily(ckpt, nameFamily, family);
    return { name: ckpt, family: nameFamily, source: { kind: 'hf', repo, revision } };
  }
  const slash = ckpt.indexOf('/');
  if (slash > 0 && slash === ckpt.lastIndexOf('/')) {
    const openClip = getOpenClipSource(ckpt.slice(0, slash), ckpt.slice(slash + 1));
    if (openClip) {
      checkFamily(ckpt, openClip.tower.family, family);
      const other = getOtherPreprocessing(ckpt.slice(0, slash), ckpt.slice(slash + 1));
      if (other)
        throw new Error(
          `checkpoint: open_clip preprocesses '${ckpt}' with ${other}, which the ${family.name} family does not; convert it with a matching family, or pick another tag`,
        );
      return {
        name: ckpt,
        family: openClip.tower.family,
        source: { kind: 'hf', repo: openClip.repo, revision: 'main', openClip },
      };
    }
    const tower = getUnsupportedOpenClipTower(ckpt.slice(0, slash));
    if (tower)
      throw new Error(
        `checkpoint: '${ckpt}' is an open_clip name whose image tower is ${tower}; saev-tfjs runs plain ViT towers only`,
      );
  }
  const torchHub = getTorchHubName(ckpt);
  if (torchHub) {
    checkFamily(ckpt, torchHub.family, family);
    if (torchHub.unsupported)
      throw new Error(`checkpoint: '${ckpt}' is known but cannot run here: ${torchHub.unsupported}`);
    return { name: ckpt, family: torchHub.family, source: { kind: 'torch-hub', hubName: ckpt, entry: torchHub } };
  }
  const timm = getTimmName(ckpt);
  if (timm) {
    checkFamily(ckpt, timm.family, family);
    return { name: ckpt, family: timm.family, source: { kind: 'hf', repo: timm.repo, revision: 'main' } };
  }
  const moondream = parseMoondreamName(ckpt);
  if (moondream) {
    checkFamily(ckpt, 'moondream2', family);
    return { name: ckpt, family: 'moondream2', source: { kind: 'hf', ...moondream } };
  }
  const close = getCloseNames(ckpt, family.name);
  const suggest = close.length
    ? `close names: ${close.join(', ')}`
    : `names look like ViT-B-16/openai, hf-hub:ORG/REPO[@REVISION], dinov2_vitb14_reg`;
  throw new Error(
    `checkpoint: '${ckpt}' is neither a file or directory nor a known checkpoint name (${suggest}); see README 'Checkpoints by name'`,
  );
}
