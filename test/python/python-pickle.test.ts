// Tests src/python/python-pickle.ts byte by byte: each expected pickle is written out opcode by opcode and was
// checked against Python 3.12's pickle.dumps (the dataset configs themselves: test/data/saev-data-config.test.ts).
import { describe, expect, it } from 'vitest';
import {
  encodeUtf8Surrogatepass,
  pickleDumps,
  PickleValue,
  PyTuple,
  pyInt,
  pyStr,
} from '../../src/python/python-pickle.js';

const hex = (v: PickleValue) => Buffer.from(pickleDumps(v)).toString('hex');
/** PROTO 4, FRAME <len u64 LE>, then the body. */
const framed = (body: string) =>
  '8004' + '95' + Buffer.from(new BigUint64Array([BigInt(body.length / 2)]).buffer).toString('hex') + body;
const tuple = (...items: PickleValue[]): PyTuple => ({ kind: 'tuple', items });

describe('pickleDumps', () => {
  it('frames bodies of 4 bytes and more, and leaves shorter ones bare', () => {
    expect(hex(pyInt(0))).toBe('80044b002e'); // BININT1 0, STOP: 3 bytes, no frame
    expect(hex(tuple())).toBe('8004292e'); // EMPTY_TUPLE is never memoised
    expect(hex(pyInt(256))).toBe(framed('4d0001' + '2e')); // BININT2
  });

  it('writes integers in the smallest opcode Python uses', () => {
    expect(hex(pyInt(255))).toBe('80044bff2e');
    expect(hex(pyInt(-1))).toBe(framed('4affffffff' + '2e')); // negatives are BININT
    expect(hex(pyInt(-129))).toBe(framed('4a7fffffff' + '2e'));
    expect(hex(pyInt(2 ** 31))).toBe(framed('8a05' + '0000008000' + '2e')); // LONG1: a fifth byte keeps it positive
    expect(hex(pyInt(-(2 ** 31) - 1))).toBe(framed('8a05' + 'ffffff7fff' + '2e'));
  });

  it('memoises strings; a shared one is looked up the second time, a fresh one written again', () => {
    const a = '8c0178' + '94'; // SHORT_BINUNICODE 'x', MEMOIZE
    expect(hex(tuple(pyStr('x'), pyStr('x')))).toBe(framed(a + '6800' + '86' + '94' + '2e')); // 1-char Latin-1: one object in CPython
    expect(hex(tuple(pyStr('xy', true), pyStr('xy', true)))).toBe(
      framed('8c027879' + '94' + '6800' + '86' + '94' + '2e'),
    );
    expect(hex(tuple(pyStr('xy'), pyStr('xy')))).toBe(
      framed('8c027879' + '94' + '8c027879' + '94' + '86' + '94' + '2e'),
    );
  });

  it('encodes strings as UTF-8, long ones as BINUNICODE with a u32 length', () => {
    expect(hex(pyStr('é😺'))).toBe(framed('8c06' + 'c3a9f09f98ba' + '94' + '2e'));
    expect(hex(pyStr('x'.repeat(256)))).toBe(framed('58' + '00010000' + '78'.repeat(256) + '94' + '2e'));
    expect(encodeUtf8Surrogatepass('\ud800')).toEqual([0xed, 0xa0, 0x80]);
  });

  it('writes a dict as EMPTY_DICT then SETITEM (one item) or MARK ... SETITEMS', () => {
    const dict = (...entries: Array<[string, number]>): PickleValue => ({
      kind: 'dict',
      entries: entries.map(([k, v]) => [pyStr(k, true), pyInt(v)]),
    });
    expect(hex(dict())).toBe('80047d942e');
    expect(hex(dict(['k', 1]))).toBe(framed('7d94' + '8c016b94' + '4b01' + '73' + '2e'));
    expect(hex(dict(['k', 1], ['j', 2]))).toBe(
      framed('7d94' + '28' + '8c016b94' + '4b01' + '8c016a94' + '4b02' + '75' + '2e'),
    );
  });

  it('writes tuples of 1-3 items with TUPLEn, longer ones with MARK ... TUPLE', () => {
    const ints = (n: number) => Array.from({ length: n }, (_, i) => pyInt(i));
    expect(hex(tuple(...ints(3)))).toBe(framed('4b004b014b02' + '87' + '94' + '2e'));
    expect(hex(tuple(...ints(4)))).toBe(framed('28' + '4b004b014b024b03' + '74' + '94' + '2e'));
  });

  it('writes a dataclass instance as STACK_GLOBAL, EMPTY_TUPLE, NEWOBJ, its __dict__, BUILD', () => {
    const obj: PickleValue = {
      kind: 'newobj',
      cls: { kind: 'class', module: 'm', name: 'C' },
      state: {
        kind: 'dict',
        entries: [
          [pyStr('f', true), { kind: 'reduce', callable: { kind: 'class', module: 'm', name: 'C' }, args: tuple() }],
        ],
      },
    };
    // m, C, STACK_GLOBAL (memo 0-2); (), NEWOBJ (3); {} (4); 'f' (5); the class again: BINGET 2; (), REDUCE (6);
    // SETITEM; BUILD
    const body =
      '8c016d94' +
      '8c014394' +
      '9394' +
      '29' +
      '81' +
      '94' +
      '7d94' +
      '8c016694' +
      '6802' +
      '29' +
      '52' +
      '94' +
      '73' +
      '62' +
      '2e';
    expect(hex(obj)).toBe(framed(body));
  });

  it('refers to memo slots from 256 on with LONG_BINGET', () => {
    const items = Array.from({ length: 300 }, (_, i) => pyStr(`s${i}`, true));
    const out = hex(tuple(...items, pyStr('s299', true)));
    expect(out.slice(-16)).toBe('6a' + '2b010000' + '74' + '94' + '2e'); // LONG_BINGET 299, TUPLE, MEMOIZE, STOP
  });
});
