/**
 * saev's current dataset configs (`saev.data.datasets` at protocol 2.1) for
 * our `--data` kinds, and the three things protocol 2.1's `metadata.json`
 * records of one: `data`, the base64 of Python 3.12's `pickle.dumps(cfg)`;
 * `dataset`, `str(cfg.root)`; and, for logs and sidecars, `repr(cfg)`.
 *
 *   image-folder -> ImgFolder(root=PosixPath(<data-root>))
 *   imagenet     -> Imagenet(name=<data-name>, split=<data-split>)      (root: PosixPath(name))
 *   ade20k       -> ImgSegFolder(root=PosixPath(<data-root>), split=<data-split>, labels_csv='labels.csv', bg_label=0)
 *   fake         -> FakeImg(n_examples=<data-n-imgs>)                   (root: PosixPath('fake'))
 *
 * Roots are recorded as given (normalised as pathlib does), like saev, which
 * records what its command line was given. Which strings are one object
 * matters to pickle (src/python/python-pickle.ts): path parts and field
 * names are interned, and `ImgSegFolder.split` is a `Literal` choice (an
 * interned constant); the other strings are the user's, fresh objects.
 */
import { formatPosixPath, getPathParts, parsePosixPath, PosixPath } from '../python/posix-path.js';
import { pickleDumps, PickleValue, pyInt, pyStr } from '../python/python-pickle.js';
import { pythonStrRepr } from '../python/python-repr.js';
import { DatasetConfig, validateDatasetConfig } from './make-dataset.js';
import { BG_LABEL } from './patch-labels.js';

type SaevField = { path: PosixPath } | { text: string; interned: boolean } | { int: number };

export interface SaevDataConfig {
  /** The class in `saev.data.datasets`. */
  className: 'ImgFolder' | 'Imagenet' | 'ImgSegFolder' | 'FakeImg';
  /** Dataclass fields in declaration order. */
  fields: Array<[string, SaevField]>;
  /** `cfg.root`. */
  root: PosixPath;
}

/**
 * saev's `ImgSegFolder` default labels file, which our ADE20K reader does not use (it reads sceneCategories.txt).
 * Its `bg_label` is ours, `BG_LABEL`: the label prefer-fg passes over.
 */
const SEG_LABELS_CSV = 'labels.csv';

/**
 * The config saev would record for these flags (their defaults filled in: imagenet's name and split, ade20k's split).
 */
export function makeSaevDataConfig(raw: Readonly<DatasetConfig>): SaevDataConfig {
  const config = validateDatasetConfig(raw);
  const split = config.dataSplit ?? '';
  switch (config.data) {
    case 'image-folder': {
      const root = parsePosixPath(config.dataRoot);
      return { className: 'ImgFolder', fields: [['root', { path: root }]], root };
    }
    case 'imagenet': {
      const name = config.dataName ?? '';
      const fields: SaevDataConfig['fields'] = [
        ['name', { text: name, interned: false }],
        ['split', { text: split, interned: false }],
      ];
      return { className: 'Imagenet', fields, root: parsePosixPath(name) };
    }
    case 'ade20k': {
      const root = parsePosixPath(config.dataRoot);
      const fields: SaevDataConfig['fields'] = [
        ['root', { path: root }],
        ['split', { text: split, interned: true }],
        ['labels_csv', { text: SEG_LABELS_CSV, interned: false }],
        ['bg_label', { int: BG_LABEL }],
      ];
      return { className: 'ImgSegFolder', fields, root };
    }
    case 'fake':
      return {
        className: 'FakeImg',
        fields: [['n_examples', { int: config.dataNImgs }]],
        root: parsePosixPath('fake'),
      };
  }
}

function toPickle(field: SaevField): PickleValue {
  if ('path' in field) {
    const args = getPathParts(field.path).map((part) => pyStr(part, true));
    return {
      kind: 'reduce',
      callable: { kind: 'class', module: 'pathlib', name: 'PosixPath' },
      args: { kind: 'tuple', items: args },
    };
  }
  if ('text' in field) return pyStr(field.text, field.interned);
  return pyInt(field.int);
}

/** `pickle.dumps(cfg)` under Python 3.12. */
export function pickleSaevDataConfig(cfg: SaevDataConfig): Uint8Array {
  const entries = cfg.fields.map(([name, field]): [PickleValue, PickleValue] => [pyStr(name, true), toPickle(field)]);
  const state = { kind: 'dict' as const, entries };
  return pickleDumps({
    kind: 'newobj',
    cls: { kind: 'class', module: 'saev.data.datasets', name: cfg.className },
    state,
  });
}

/** `metadata.json`'s `data`: `base64.b64encode(pickle.dumps(cfg)).decode("utf8")`. */
export function encodeSaevDataConfig(cfg: SaevDataConfig): string {
  return Buffer.from(pickleSaevDataConfig(cfg)).toString('base64');
}

/** `metadata.json`'s `dataset`: `str(cfg.root)`. */
export function getSaevDataRoot(cfg: SaevDataConfig): string {
  return formatPosixPath(cfg.root);
}

/** `repr(cfg)`, e.g. `ImgFolder(root=PosixPath('/data/photos'))`. */
export function formatSaevDataConfig(cfg: SaevDataConfig): string {
  const show = (field: SaevField) => {
    if ('path' in field) return `PosixPath(${pythonStrRepr(formatPosixPath(field.path))})`;
    return 'text' in field ? pythonStrRepr(field.text) : String(field.int);
  };
  return `${cfg.className}(${cfg.fields.map(([name, field]) => `${name}=${show(field)}`).join(', ')})`;
}
