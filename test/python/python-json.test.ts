// Tests src/python/python-json.ts against vectors made by Python's own `json` module.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, PyFloat, PyJson, pythonFloatRepr, pythonJsonDumps } from '../../src/python/python-json.js';

interface HashVector {
  name: string;
  value: unknown;
  dumps: string;
  sha256: string;
  indent4: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/metadata-hash-vectors.json', import.meta.url), 'utf8'),
) as HashVector[];

const FLOAT_WORDS: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };

/**
 * Undoes scripts/make-hash-vectors.py's tagging: `{"$float": repr}` is a Python float,
 * `{"$int": str}` an int of magnitude 2**53 or more (a bigint here), `{"$dict": [[k, v]...]}`
 * a dict with integer-like keys whose order only a Map keeps.
 */
function untag(x: unknown): PyJson {
  if (Array.isArray(x)) return x.map(untag);
  if (x !== null && typeof x === 'object') {
    const keys = Object.keys(x);
    const record = x as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === '$float') {
      const text = record.$float as string;
      return new PyFloat(text in FLOAT_WORDS ? FLOAT_WORDS[text] : Number(text));
    }
    if (keys.length === 1 && keys[0] === '$int') return BigInt(record.$int as string);
    if (keys.length === 1 && keys[0] === '$dict') {
      return new Map((record.$dict as Array<[string, unknown]>).map(([key, item]) => [key, untag(item)]));
    }
    const out: { [key: string]: PyJson } = {};
    for (const key of keys) out[key] = untag(record[key]);
    return out;
  }
  return x as PyJson;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('pythonJsonDumps against Python-made vectors', () => {
  it('has vectors to check', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10);
  });

  describe.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const value = untag(vector.value);

    it('matches json.dumps(v, sort_keys=True) and its sha256', () => {
      const text = pythonJsonDumps(value, { sortKeys: true });
      expect(text).toBe(vector.dumps);
      expect(sha256(text)).toBe(vector.sha256);
    });

    it('matches json.dumps(v, indent=4) in insertion order', () => {
      expect(pythonJsonDumps(value, { indent: 4 })).toBe(vector.indent4);
    });
  });
});

describe('pythonJsonDumps', () => {
  it('prints integral numbers as ints and PyFloat as floats', () => {
    // python3: json.dumps([1, 1.0, -0.0, 2.5]) == '[1, 1.0, -0.0, 2.5]'
    expect(pythonJsonDumps([1, new PyFloat(1), new PyFloat(-0), 2.5])).toBe('[1, 1.0, -0.0, 2.5]');
  });

  it('refuses a JS integer beyond 2**53, naming it and suggesting bigint', () => {
    expect(() => pythonJsonDumps({ n: 2 ** 53 + 2 })).toThrow(/^python-json: integer 9007199254740994 .*bigint/);
    expect(() => pythonJsonDumps([1e20])).toThrow(/python-json: integer 100000000000000000000 /);
  });

  it('accepts the same integer as a bigint', () => {
    // python3: json.dumps(2**53 + 2) == '9007199254740994'
    expect(pythonJsonDumps(2n ** 53n + 2n)).toBe('9007199254740994');
  });
});

describe('pythonJsonDumps key order without sort_keys', () => {
  // python3: json.dumps({'b': 1, '10': 2}, indent=4) == '{\n    "b": 1,\n    "10": 2\n}'
  it('keeps insertion order for integer-like keys given as a Map', () => {
    expect(
      pythonJsonDumps(
        new Map<string, PyJson>([
          ['b', 1],
          ['10', 2],
        ]),
        { indent: 4 },
      ),
    ).toBe('{\n    "b": 1,\n    "10": 2\n}');
  });

  it('keeps insertion order for ordinary keys', () => {
    // python3: json.dumps({'b': 1, 'a': [2, {}]}, indent=4)
    expect(pythonJsonDumps({ b: 1, a: [2, {}] }, { indent: 4 })).toBe(
      '{\n    "b": 1,\n    "a": [\n        2,\n        {}\n    ]\n}',
    );
  });
});

describe('pythonFloatRepr', () => {
  // Expected strings are python3's json.dumps(x) (== repr(x) for finite floats), printed by
  // python3 3.11.7 and pasted here; they are not computed by the code under test.
  const cases: Array<[number, string]> = [
    [1.0, '1.0'],
    [0.1, '0.1'],
    [-0, '-0.0'],
    [0, '0.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [0.00012345, '0.00012345'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [9999999999999998.0, '9999999999999998.0'],
    [1.5e300, '1.5e+300'],
    [5e-324, '5e-324'],
    [2.5, '2.5'],
    [1 / 3, '0.3333333333333333'],
    [123456789.0, '123456789.0'],
    [1e22, '1e+22'],
    [-1.25e-7, '-1.25e-07'],
    [0.48145466, '0.48145466'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [2 ** 53, '9007199254740992.0'],
    // eslint-disable-next-line no-loss-of-precision -- the literal as Python writes it; its double is what is formatted
    [12345678901234567890.0, '1.2345678901234567e+19'],
    [100.0, '100.0'],
    [-2.0, '-2.0'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ];
  it.each(cases)('%s -> %s', (x, expected) => {
    expect(pythonFloatRepr(x)).toBe(expected);
  });
});

describe('compareCodePoints', () => {
  it('sorts like Python sorted() on str', () => {
    const keys = ['b', 'a', 'B', 'é', 'e', '猫', '\u{1F63A}', '\uff01', '10', '9', '_', ''];
    // python3: sorted(['b','a','B','é','e','猫','\U0001F63A','\uff01','10','9','_',''])
    const python = ['', '10', '9', 'B', '_', 'a', 'b', 'e', 'é', '猫', '\uff01', '\u{1F63A}'];
    expect([...keys].sort(compareCodePoints)).toEqual(python);
  });

  it('puts an astral character after U+FFFF, unlike UTF-16 order', () => {
    // python3: sorted(['\U00010000', '\uffff']) == ['\uffff', '\U00010000']
    expect(compareCodePoints('\u{10000}', '\uffff')).toBeGreaterThan(0);
    expect(compareCodePoints('\uffff', '\u{10000}')).toBeLessThan(0);
    // Default JS sort compares UTF-16 units and gets it the other way round.
    expect(['\uffff', '\u{10000}'].sort()).toEqual(['\u{10000}', '\uffff']);
  });

  it('orders a prefix first and equal strings as 0', () => {
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('abc', 'ab')).toBeGreaterThan(0);
    expect(compareCodePoints('猫', '猫')).toBe(0);
  });
});
