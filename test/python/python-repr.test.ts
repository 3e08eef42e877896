// Tests src/python/python-repr.ts against Python's own repr (scripts/make-repr-vectors.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pythonDataclassRepr, pythonStrRepr } from '../../src/python/python-repr.js';

interface Vectors {
  python: string;
  strings: Array<{ name: string; text: string; repr: string }>;
  dataclasses: Array<{ name: string; class: string; fields: Array<[string, string | number | boolean]>; repr: string }>;
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/python-repr-vectors.json', import.meta.url), 'utf8'),
) as Vectors;

describe('pythonStrRepr', () => {
  it('has vectors, including lone surrogates that survived JSON', () => {
    expect(vectors.strings.length).toBeGreaterThanOrEqual(15);
    const lone = vectors.strings.find((s) => s.name === 'lone-high-surrogate')!;
    expect(lone.text.charCodeAt(1)).toBe(0xd800);
  });

  it.each(vectors.strings.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    expect(pythonStrRepr(s.text)).toBe(s.repr);
  });
});

describe('pythonDataclassRepr', () => {
  it.each(vectors.dataclasses.map((d) => [d.name, d] as const))('%s', (_name, d) => {
    expect(pythonDataclassRepr(d.class, d.fields)).toBe(d.repr);
  });

  it('has an int and a bool case', () => {
    const types = new Set(vectors.dataclasses.flatMap((d) => d.fields.map(([, v]) => typeof v)));
    expect(types).toEqual(new Set(['string', 'number', 'boolean']));
  });
});
