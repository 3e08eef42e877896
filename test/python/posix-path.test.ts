// Tests src/python/posix-path.ts against Python 3.12's pathlib.PurePosixPath (values written out by hand; the
// dataset configs' vectors in test/data/saev-data-config.test.ts check str(path) of more).
import { describe, expect, it } from 'vitest';
import { formatPosixPath, getPathParts, parsePosixPath } from '../../src/python/posix-path.js';

const parts = (text: string) => getPathParts(parsePosixPath(text));
const str = (text: string) => formatPosixPath(parsePosixPath(text));

describe('parsePosixPath', () => {
  it('keeps a single root, exactly two leading slashes, and collapses three or more to one', () => {
    expect(parts('/a/b')).toEqual(['/', 'a', 'b']);
    expect(parts('//a/b')).toEqual(['//', 'a', 'b']);
    expect(parts('///a/b')).toEqual(['/', 'a', 'b']);
    expect(parts('/')).toEqual(['/']);
  });

  it('drops empty and . components, keeps ..', () => {
    expect(parts('./data//split/')).toEqual(['data', 'split']);
    expect(parts('../x/./..')).toEqual(['..', 'x', '..']);
    expect(parts('.')).toEqual([]);
    expect(parts('')).toEqual([]);
  });

  it('prints like str(path): "." for an empty path', () => {
    expect(str('./data//split/')).toBe('data/split');
    expect(str('')).toBe('.');
    expect(str('.')).toBe('.');
    expect(str('//net//share/')).toBe('//net/share');
    expect(str('////x')).toBe('/x');
  });
});
