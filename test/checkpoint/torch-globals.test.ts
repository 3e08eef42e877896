import { describe, expect, it } from 'vitest';
import { loadPickle } from '../../src/checkpoint/pickle.js';
import { makeTorchResolver } from '../../src/checkpoint/torch-globals.js';
import { bytes, PROTO2, short, STOP } from './build-bytes.js';

const resolver = (scriptObjects = false) =>
  makeTorchResolver({
    where: 'g.pkl',
    scriptObjects,
    getStorageSize: () => undefined,
    loadStorageBytes: () => new Uint8Array(0),
  });
const load = (data: Uint8Array, scriptObjects = false) => loadPickle(data, resolver(scriptObjects));

describe('the torch allowlist', () => {
  it('turns the harmless builtins torch pickles use into plain values', () => {
    // _codecs.encode('\x00\xffab', 'latin1'), as protocol 2 writes bytes
    expect(
      Array.from(
        load(
          bytes(PROTO2, 'c_codecs\nencode\n', short('\u0000\u00ffab'), short('latin1'), 0x86, 'R', STOP),
        ) as Uint8Array,
      ),
    ).toEqual([0, 255, 97, 98]);
    expect(() => load(bytes(PROTO2, 'c_codecs\nencode\n', short('x'), short('rot13'), 0x86, 'R', STOP))).toThrow(
      /only latin1 text is accepted/,
    );
    expect(load(bytes(PROTO2, 'ctorch\nSize\n', ']', '(', 'K', 2, 'K', 3, 'e', 0x85, 'R', STOP))).toEqual([2, 3]);
    expect(load(bytes(PROTO2, 'ctorch\ndevice\n', short('cuda'), 'K', 1, 0x86, 'R', STOP))).toBe('cuda:1');
    expect(load(bytes(PROTO2, 'c__builtin__\nset\n', ']', '(', 'K', 1, 'K', 1, 'e', 0x85, 'R', STOP))).toEqual(
      new Set([1]),
    );
    expect(
      load(bytes(PROTO2, 'ccollections\nOrderedDict\n', ']', '(', 'K', 1, 'K', 2, 0x86, 'e', 0x85, 'R', STOP)),
    ).toEqual(new Map([[1, 2]]));
    expect(() => load(bytes(PROTO2, 'ccollections\nOrderedDict\n', 'K', 5, 0x85, 'R', STOP))).toThrow(
      /^pickle: g\.pkl: OrderedDict: expected one list of \(key, value\) pairs$/,
    );
    expect(() => load(bytes(PROTO2, 'c__builtin__\nset\n', 'K', 5, 0x85, 'R', STOP))).toThrow(
      /set: expected one list$/,
    );
  });

  it('accepts __torch__ classes and TorchScript list tags only in TorchScript archives', () => {
    const list = bytes(PROTO2, 'ctorch.jit._pickle\nbuild_intlist\n', ']', '(', 'K', 4, 'e', 0x85, 'R', STOP);
    expect(load(list, true)).toEqual([4]);
    expect(() => load(list)).toThrow(/refusing global torch\.jit\._pickle\.build_intlist/);
  });

  it('refuses tensor rebuilders it does not read and arguments that are not storages', () => {
    expect(() => load(bytes(PROTO2, 'ctorch._utils\n_rebuild_qtensor\n', STOP))).toThrow(
      /refusing global torch\._utils\._rebuild_qtensor/,
    );
    expect(() => load(bytes(PROTO2, 'ctorch._utils\n_rebuild_sparse_tensor\n', STOP))).toThrow(
      /refusing global torch\._utils\._rebuild_sparse_tensor/,
    );
    const fake = bytes(
      PROTO2,
      'ctorch._utils\n_rebuild_tensor_v2\n',
      '(',
      '}',
      'K',
      0,
      ')',
      ')',
      0x89,
      'N',
      't',
      'R',
      STOP,
    );
    expect(() => load(fake)).toThrow(/_rebuild_tensor: first argument is not a storage from a persistent id/);
    expect(() =>
      load(bytes(PROTO2, 'ctorch._utils\n_rebuild_parameter\n', '(', 'K', 1, 0x88, 'N', 't', 'R', STOP)),
    ).toThrow(/_rebuild_parameter: expected a tensor/);
  });

  it('checks persistent ids: shape, storage type, and that the storage exists', () => {
    const withPid = (...pid: (number | string | number[])[]) => bytes(PROTO2, ...pid, 'Q', STOP);
    expect(() => load(withPid('(', short('module'), 't'))).toThrow(/unsupported persistent id/);
    expect(() =>
      load(withPid('(', short('storage'), 'ccollections\nOrderedDict\n', short('0'), short('cpu'), 'K', 1, 't')),
    ).toThrow(/names no storage type/);
    expect(() =>
      load(withPid('(', short('storage'), 'ctorch\nFloatStorage\n', short('0'), short('cpu'), 'K', 1, 't')),
    ).toThrow(/storage data\/0 is missing from the archive/);
  });
});
