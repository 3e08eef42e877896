import { describe, expect, it } from 'vitest';
import { makeMemorySource } from '../../src/checkpoint/byte-source.js';
import { readTorchArchive } from '../../src/checkpoint/torch-zip.js';
import { bytes, makeZip, PROTO2, short, STOP } from './build-bytes.js';

// torch.save archives built by hand: a data.pkl pickle and its storages, zipped byte by byte.
const f32 = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);
const REBUILD = 'ctorch._utils\n_rebuild_tensor_v2\n';
const hooks = ['ccollections\nOrderedDict\n', ')', 'R'];
const pid = (type: string, key: string, numel: number) => [
  '(',
  short('storage'),
  `ctorch\n${type}\n`,
  short(key),
  short('cpu'),
  'K',
  numel,
  't',
  'Q',
];

/** {'w': storage0[1:].as_strided((2, 2), (1, 2)), 'v': storage0[0:3] (same storage), 'n': 3} */
const statePickle = bytes(
  PROTO2,
  '}',
  '(',
  short('w'),
  REBUILD,
  '(',
  ...pid('FloatStorage', '0', 6),
  'q',
  1,
  'K',
  1,
  'K',
  2,
  'K',
  2,
  0x86,
  'K',
  1,
  'K',
  2,
  0x86,
  0x89,
  ...hooks,
  't',
  'R',
  short('v'),
  REBUILD,
  '(',
  'h',
  1,
  'K',
  0,
  'K',
  3,
  0x85,
  'K',
  1,
  0x85,
  0x88,
  ...hooks,
  't',
  'R',
  short('n'),
  'K',
  3,
  'u',
  STOP,
);

function archive(pickle: Uint8Array, storages: Record<string, Uint8Array>, extra: Record<string, string> = {}) {
  const items = [
    { name: 'ckpt/data.pkl', data: pickle },
    ...Object.entries(storages).map(([key, data]) => ({ name: `ckpt/data/${key}`, data })),
  ];
  for (const [name, text] of Object.entries(extra))
    items.push({ name: `ckpt/${name}`, data: Uint8Array.from(Buffer.from(text)) });
  return makeMemorySource(makeZip(items), 'm.pt');
}

describe('readTorchArchive (hand-built archives)', () => {
  it('rebuilds strided views over one shared storage and ignores non-tensor entries', () => {
    const contents = readTorchArchive(archive(statePickle, { 0: f32(0, 1, 2, 3, 4, 5) }, { byteorder: 'little' }));
    expect(contents.format).toBe('torch-zip');
    expect([...contents.tensors.keys()]).toEqual(['w', 'v']);
    expect(contents.tensors.get('w')!.shape).toEqual([2, 2]);
    expect(Array.from(contents.tensors.get('w')!.toFloat32())).toEqual([1, 3, 2, 4]);
    expect(Array.from(contents.tensors.get('v')!.toFloat32())).toEqual([0, 1, 2]);
    expect(contents.ignored).toEqual(['n']);
  });

  it('names a missing storage, a storage of the wrong size, and a view past its storage', () => {
    expect(() => readTorchArchive(archive(statePickle, {}))).toThrow(
      /^pickle: m\.pt: ckpt\/data\.pkl: storage data\/0 is missing from the archive$/,
    );
    expect(() => readTorchArchive(archive(statePickle, { 0: f32(0, 1, 2, 3, 4) }))).toThrow(
      /storage data\/0 has 20 bytes but the pickle says 6 float32 elements \(24 bytes\)/,
    );
    const past = bytes(
      PROTO2,
      '}',
      short('w'),
      REBUILD,
      '(',
      ...pid('FloatStorage', '0', 2),
      'K',
      1,
      'K',
      2,
      0x85,
      'K',
      1,
      0x85,
      0x89,
      ...hooks,
      't',
      'R',
      's',
      STOP,
    );
    expect(() => readTorchArchive(archive(past, { 0: f32(0, 1) }))).toThrow(
      /views elements 1\.\.2 of a storage of 2 float32 elements/,
    );
  });

  it('refuses globals off the allowlist, naming module.name, before calling anything', () => {
    const evil = (global: string) => bytes(PROTO2, global, short('x'), 0x85, 'R', STOP);
    expect(() => readTorchArchive(archive(evil('cposix\nsystem\n'), {}))).toThrow(
      /^pickle: m\.pt: ckpt\/data\.pkl: refusing global posix\.system: not a tensor, storage or container type/,
    );
    expect(() => readTorchArchive(archive(evil('cbuiltins\ngetattr\n'), {}))).toThrow(
      /refusing global builtins\.getattr/,
    );
    expect(() => readTorchArchive(archive(evil('ctorch\nload\n'), {}))).toThrow(/refusing global torch\.load/);
    expect(() => readTorchArchive(archive(evil('c__torch__\nM\n'), {}))).toThrow(/refusing global __torch__\.M/);
    // An allowed name used the wrong way: a storage type is a value, not a function.
    expect(() => readTorchArchive(archive(evil('ctorch\nFloatStorage\n'), {}))).toThrow(
      /REDUCE: torch\.FloatStorage may not be called/,
    );
  });

  it('refuses archives that are not torch.save state dicts', () => {
    expect(() =>
      readTorchArchive(makeMemorySource(makeZip([{ name: 'a/other.txt', data: new Uint8Array(1) }]), 'z.zip')),
    ).toThrow(/^torch: z\.zip: zip has no <archive>\/data\.pkl/);
    expect(() => readTorchArchive(archive(statePickle, { 0: f32(0, 1, 2, 3, 4, 5) }, { byteorder: 'big' }))).toThrow(
      /byteorder 'big' is not supported/,
    );
    expect(() => readTorchArchive(archive(bytes(PROTO2, ']', STOP), {}))).toThrow(/holds a list, not a state dict/);
    expect(() => readTorchArchive(archive(bytes(PROTO2, '}', short('epoch'), 'K', 1, 's', STOP), {}))).toThrow(
      /no tensors at the top level nor under 'state_dict' or 'model' \(top-level keys: epoch\)/,
    );
  });

  it('reads a TorchScript-shaped archive (code/ present) as a module tree of attribute bags', () => {
    const script = bytes(
      PROTO2,
      'c__torch__\nNet\n',
      ')',
      0x81,
      '}',
      '(',
      short('training'),
      0x88,
      short('fc'),
      'c__torch__.torch.nn.modules.linear\nLinear\n',
      ')',
      0x81,
      '}',
      '(',
      short('weight'),
      REBUILD,
      '(',
      ...pid('HalfStorage', '0', 2),
      'K',
      0,
      'K',
      2,
      0x85,
      'K',
      1,
      0x85,
      0x88,
      ...hooks,
      't',
      'R',
      short('cache'),
      REBUILD,
      '(',
      ...pid('HalfStorage', '1', 1),
      'K',
      0,
      ')',
      ')',
      0x89,
      ...hooks,
      't',
      'R',
      'u',
      'b',
      'u',
      'b',
      STOP,
    );
    const half = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]); // 1, -2
    const code = 'class Linear(Module):\n  __parameters__ = ["weight", ]\n  __buffers__ = []\n  weight : Tensor\n';
    const source = makeMemorySource(
      makeZip([
        { name: 's/data.pkl', data: script },
        { name: 's/data/0', data: half },
        { name: 's/data/1', data: half.subarray(0, 2) },
        {
          name: 's/code/__torch__/torch/nn/modules/linear.py',
          data: Uint8Array.from(Buffer.from(code)),
          deflate: true,
        },
        { name: 's/constants.pkl', data: bytes(PROTO2, ')', STOP) },
      ]),
      's.pt',
    );
    const contents = readTorchArchive(source);
    expect(contents.format).toBe('torchscript');
    expect([...contents.tensors.keys()]).toEqual(['fc.weight']);
    expect(contents.tensors.get('fc.weight')!.dtype).toBe('float16');
    expect(Array.from(contents.tensors.get('fc.weight')!.toFloat32())).toEqual([1, -2]);
    // `cache` is a tensor attribute but neither parameter nor buffer of Linear, as state_dict() would say.
    expect(contents.ignored).toEqual(['fc.cache']);
  });
});
