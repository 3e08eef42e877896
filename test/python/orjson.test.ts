// Tests src/python/orjson.ts against orjson's own output (test/fixtures/protocol-v21-vectors.json, made by
// scripts/make-protocol-vectors.py) and hand-written bytes for the escapes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { orjsonDumps, OrjsonValue } from '../../src/python/orjson.js';

const vectors = JSON.parse(readFileSync(new URL('../fixtures/protocol-v21-vectors.json', import.meta.url), 'utf8')) as {
  metadata: Array<{ name: string; fields: { [key: string]: OrjsonValue }; indent2: string; compact: string }>;
  shards_json: Array<{ name: string; records: OrjsonValue; indent2: string }>;
};

describe.each(vectors.metadata.map((v) => [v.name, v] as const))('metadata %s', (_name, v) => {
  it('compact and OPT_INDENT_2 output equal orjson', () => {
    expect(orjsonDumps(v.fields)).toBe(v.compact);
    expect(orjsonDumps(v.fields, { indent2: true })).toBe(v.indent2);
  });
});

describe.each(vectors.shards_json.map((v) => [v.name, v] as const))('shards.json %s', (_name, v) => {
  it('equals orjson OPT_INDENT_2', () => {
    expect(orjsonDumps(v.records, { indent2: true })).toBe(v.indent2);
  });
});

describe('orjsonDumps', () => {
  it('escapes only quote, backslash and C0 controls (short forms where JSON has them), and keeps UTF-8 as is', () => {
    expect(orjsonDumps('"\\/\b\t\n\f\r\u0000\u001f\u007f é😺\u2028')).toBe(
      '"\\"\\\\/\\b\\t\\n\\f\\r\\u0000\\u001f\u007f é😺\u2028"',
    );
  });

  it('writes empty containers as [] and {} also when indented, with no final newline', () => {
    expect(orjsonDumps({ a: [], b: {}, c: [[]] }, { indent2: true })).toBe(
      '{\n  "a": [],\n  "b": {},\n  "c": [\n    []\n  ]\n}',
    );
    expect(orjsonDumps({ a: [1, -2], b: true, c: null })).toBe('{"a":[1,-2],"b":true,"c":null}');
  });

  it('refuses numbers it would not write like orjson', () => {
    expect(() => orjsonDumps(0.5)).toThrow(/^orjson: only integers within 2\*\*53 are written here, found 0.5$/);
  });
});
