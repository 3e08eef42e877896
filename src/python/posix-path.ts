/**
 * Python 3.12's `pathlib.PurePosixPath` parsing, for the dataset roots saev's
 * protocol 2.1 records: `parts` (what a pickled `PosixPath` holds) and
 * `str(path)` (what `metadata.json`'s `dataset` field holds). A leading `/`
 * is the anchor, except that exactly two leading slashes are kept as `//`
 * (POSIX leaves their meaning to the system); empty and `.` components are
 * dropped, `..` is kept, so `./data//split/` becomes `data/split`.
 */

export interface PosixPath {
  /** `''`, `'/'` or `'//'`. */
  anchor: string;
  /** The components after the anchor. */
  tail: string[];
}

export function parsePosixPath(text: string): PosixPath {
  let anchor = '';
  let rest = text;
  if (text.startsWith('/')) {
    const twoExactly = text.startsWith('//') && !text.startsWith('///');
    anchor = twoExactly ? '//' : '/';
    rest = twoExactly ? text.slice(2) : text.replace(/^\/+/, '');
  }
  return { anchor, tail: rest.split('/').filter((part) => part !== '' && part !== '.') };
}

/** `PurePosixPath(text).parts`: the anchor (when there is one) and then the components. */
export function getPathParts(p: PosixPath): string[] {
  return p.anchor ? [p.anchor, ...p.tail] : [...p.tail];
}

/** `str(PurePosixPath(text))`. */
export function formatPosixPath(p: PosixPath): string {
  return p.anchor + p.tail.join('/') || '.';
}
