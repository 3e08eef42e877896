import { describe, expect, it } from 'vitest';
import { dictAttributes, isTuple, loadPickle, makeGlobal, type PickleGlobal } from '../../src/checkpoint/pickle.js';
import { bytes, PROTO2, short, STOP, u32, u64, unicode } from './build-bytes.js';

const refuseAll = {
  where: 'test.pkl',
  findGlobal(module: string, name: string): PickleGlobal {
    throw new Error(`refused ${module}.${name}`);
  },
};
const load = (data: Uint8Array, options = refuseAll) => loadPickle(data, options);

describe('loadPickle: values', () => {
  it('reads None, booleans and every integer opcode', () => {
    const data = bytes(
      PROTO2,
      '(',
      'N',
      0x88,
      0x89,
      'K',
      255,
      'M',
      [0x34, 0x12],
      'J',
      u32(0xfffffffe),
      0x8a,
      1,
      0xff,
      0x8a,
      0,
      0x8a,
      6,
      [0, 0, 0, 0, 0, 0x20],
      0x8b,
      u32(2),
      [0x00, 0x80],
      'I01\n',
      'I-42\n',
      'L123L\n',
      't',
      STOP,
    );
    expect(load(data)).toEqual([null, true, false, 255, 0x1234, -2, -1, 0, 2 ** 45, -32768, true, -42, 123]);
  });

  it('keeps integers beyond 2**53 exact as bigint', () => {
    const data = bytes(PROTO2, 0x8a, 8, [1, 0, 0, 0, 0, 0, 0x20, 0], STOP);
    expect(load(data)).toBe(2n ** 53n + 1n);
  });

  it('reads big-endian BINFLOAT and text FLOAT', () => {
    const f = Buffer.alloc(8);
    f.writeDoubleBE(-1.5e-7);
    expect(load(bytes(PROTO2, 'G', [...f], STOP))).toBe(-1.5e-7);
    expect(load(bytes('F0.25\n', STOP))).toBe(0.25);
  });

  it('reads strings (UTF-8 and latin-1) and bytes', () => {
    const data = bytes(
      PROTO2,
      '(',
      unicode('héllo'),
      short('ünï'),
      0x8d,
      u64(2),
      'ok',
      'U',
      3,
      'a\xffb',
      'C',
      2,
      [1, 2],
      'B',
      u32(1),
      [9],
      't',
      STOP,
    );
    const [a, b, c, d, e, f] = load(data) as unknown[];
    expect([a, b, c, d]).toEqual(['héllo', 'ünï', 'ok', 'a\u00ffb']);
    expect(Array.from(e as Uint8Array)).toEqual([1, 2]);
    expect(Array.from(f as Uint8Array)).toEqual([9]);
  });

  it('builds lists, tuples (frozen), dicts and sets', () => {
    const data = bytes(
      PROTO2,
      '}',
      'q',
      0,
      '(',
      short('list'),
      ']',
      '(',
      'K',
      1,
      'K',
      2,
      'e',
      'K',
      3,
      'a',
      short('t0'),
      ')',
      short('t1'),
      'K',
      1,
      0x85,
      short('t2'),
      'K',
      1,
      'K',
      2,
      0x86,
      short('t3'),
      'K',
      1,
      'K',
      2,
      'K',
      3,
      0x87,
      short('set'),
      0x8f,
      '(',
      'K',
      5,
      'K',
      5,
      0x90,
      short('dict'),
      '(',
      'K',
      1,
      'K',
      2,
      'd',
      'u',
      STOP,
    );
    const dict = load(data) as Map<string, unknown>;
    expect([...dict.keys()]).toEqual(['list', 't0', 't1', 't2', 't3', 'set', 'dict']);
    expect(dict.get('list')).toEqual([1, 2, 3]);
    expect(isTuple(dict.get('list'))).toBe(false);
    expect(dict.get('t3')).toEqual([1, 2, 3]);
    expect(isTuple(dict.get('t0')) && isTuple(dict.get('t3'))).toBe(true);
    expect([...(dict.get('set') as Set<number>)]).toEqual([5]);
    expect(dict.get('dict')).toEqual(new Map([[1, 2]]));
  });

  it('shares memoised objects (BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, MEMOIZE, PUT/GET)', () => {
    const data = bytes(
      0x80,
      4,
      0x95,
      u64(30),
      '(',
      ']',
      0x94,
      ']',
      'r',
      u32(7),
      'p9\n',
      'h',
      0,
      'j',
      u32(7),
      'g9\n',
      't',
      STOP,
    );
    const [a, b, a2, b2, b3] = load(data) as unknown[][];
    expect(a).not.toBe(b);
    expect(a2).toBe(a);
    expect(b2).toBe(b);
    expect(b3).toBe(b);
  });

  it('handles MARK/POP/POP_MARK/DUP and rejects a list append to a tuple', () => {
    expect(load(bytes(PROTO2, 'K', 1, 'K', 2, '0', '(', 'K', 3, '1', '2', 0x86, STOP))).toEqual([1, 1]);
    expect(() => load(bytes(PROTO2, ')', 'K', 1, 'a', STOP))).toThrow(/APPEND\(S\) on something that is not a list/);
  });

  it('appends 200k items in one APPENDS without exhausting the call stack', () => {
    const items = new Array(200_000).fill([0x4b, 1]).flat();
    expect((load(bytes(PROTO2, ']', '(', items, 'e', STOP)) as number[]).length).toBe(200_000);
  });

  it("records a dict's BUILD state (an OrderedDict's _metadata) without touching the dict", () => {
    const data = bytes(PROTO2, '}', '}', short('_metadata'), 'K', 1, 's', 'b', STOP);
    const dict = load(data) as Map<unknown, unknown>;
    expect(dict.size).toBe(0);
    expect(dictAttributes.get(dict)).toEqual(new Map([['_metadata', 1]]));
  });
});

describe('loadPickle: globals execute nothing', () => {
  it('asks the resolver for GLOBAL and STACK_GLOBAL names and refuses what it refuses', () => {
    expect(() => load(bytes(PROTO2, 'cos\nsystem\n', short('echo pwned'), 0x85, 'R', STOP))).toThrow(
      'refused os.system',
    );
    expect(() => load(bytes(0x80, 4, short('builtins'), short('eval'), 0x93, STOP))).toThrow('refused builtins.eval');
  });

  it('calls only what the resolver allowed, and only in the way it allowed', () => {
    const calls: unknown[] = [];
    const options = {
      where: 't.pkl',
      findGlobal: (module: string, name: string) =>
        name === 'ok'
          ? makeGlobal(module, name, {
              call: (args) => {
                calls.push(args);
                return 'made';
              },
            })
          : makeGlobal(module, name),
    };
    expect(loadPickle(bytes(PROTO2, 'cm\nok\n', 'K', 7, 0x85, 'R', STOP), options)).toBe('made');
    expect(calls).toEqual([[7]]);
    expect(() => loadPickle(bytes(PROTO2, 'cm\ninert\n', ')', 'R', STOP), options)).toThrow(
      /REDUCE: m\.inert may not be called/,
    );
    expect(() => loadPickle(bytes(PROTO2, 'cm\ninert\n', ')', 0x81, STOP), options)).toThrow(
      /NEWOBJ: m\.inert may not be instantiated/,
    );
    expect(() => loadPickle(bytes(PROTO2, 'cm\nok\n', ']', 'R', STOP), options)).toThrow(
      /arguments of m\.ok are not a tuple/,
    );
    // A resolver cannot smuggle in a hand-made object with a `call` method: only makeGlobal() results are callable.
    const forged = {
      where: 'f.pkl',
      findGlobal: (module: string, name: string) => ({ module, name, call: () => 'forged' }),
    };
    expect(() => loadPickle(bytes(PROTO2, 'cm\nx\n', ')', 'R', STOP), forged)).toThrow(
      /resolver returned something other than makeGlobal/,
    );
  });

  it('refuses opcodes that construct objects by name, and BUILD on values without state', () => {
    expect(() => load(bytes('(', 'ios\nsystem\n', STOP))).toThrow(/unsupported opcode INST/);
    expect(() => load(bytes('(', 'o', STOP))).toThrow(/unsupported opcode OBJ/);
    expect(() => load(bytes(PROTO2, 0x82, 1, STOP))).toThrow(/unsupported opcode EXT1/);
    expect(() => load(bytes(PROTO2, 'K', 1, 'N', 'b', STOP))).toThrow(/BUILD on number, which takes no state/);
  });

  it('refuses persistent ids unless the caller handles them', () => {
    expect(() => load(bytes(PROTO2, 'K', 1, 'Q', STOP))).toThrow(/persistent id found/);
    expect(
      loadPickle(bytes(PROTO2, 'K', 1, 'Q', STOP), { ...refuseAll, persistentLoad: (pid) => `storage ${String(pid)}` }),
    ).toBe('storage 1');
  });
});

describe('loadPickle: malformed input', () => {
  it('names the problem and the byte offset', () => {
    expect(() => load(bytes(PROTO2, 'K'))).toThrow(
      /pickle: test\.pkl: unexpected end of data, wanted 1 more bytes \(truncated\?\) \(opcode at byte 2\)/,
    );
    expect(() => load(bytes(PROTO2, 'K', 1))).toThrow(/no STOP opcode/);
    expect(() => load(bytes(PROTO2, 'X', u32(100), 'ab', STOP))).toThrow(/truncated/);
    expect(() => load(bytes(PROTO2, 'h', 3, STOP))).toThrow(/memo key 3 was never stored/);
    expect(() => load(bytes(PROTO2, 'a', STOP))).toThrow(/stack underflow/);
    expect(() => load(bytes(PROTO2, 'K', 1, 'K', 2, STOP))).toThrow(/STOP with 2 values/);
    expect(() => load(bytes(PROTO2, 't', STOP))).toThrow(/no MARK/);
    expect(() => load(bytes(0x80, 6, STOP))).toThrow(/unsupported pickle protocol 6/);
    expect(() => load(bytes(PROTO2, 0x8c, 2, [0xc3, 0x28], STOP))).toThrow(/invalid UTF-8/);
    expect(() => load(bytes(PROTO2, 0xff, STOP))).toThrow(/unsupported opcode 0xff/);
  });
});
