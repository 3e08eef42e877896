import { describe, expect, it } from 'vitest';
import { normalizeListFlag } from '../../src/cli/argv.js';

describe('normalizeListFlag', () => {
  it('turns saev-style space-separated negatives into one flag per value', () => {
    expect(normalizeListFlag(['--vit-layers', '-2', '-1', '--seed', '3'], '--vit-layers')).toEqual([
      '--vit-layers=-2',
      '--vit-layers=-1',
      '--seed',
      '3',
    ]);
  });

  it('leaves the = form, other flags and a dangling flag alone', () => {
    expect(normalizeListFlag(['--vit-layers=-2,-1', '--d-vit', '-5'], '--vit-layers')).toEqual([
      '--vit-layers=-2,-1',
      '--d-vit',
      '-5',
    ]);
    expect(normalizeListFlag(['--vit-layers'], '--vit-layers')).toEqual(['--vit-layers']);
    expect(normalizeListFlag(['--vit-layers', 'x'], '--vit-layers')).toEqual(['--vit-layers', 'x']);
  });

  it('stops at the first non-integer', () => {
    expect(normalizeListFlag(['--vit-layers', '3', '11', '--json'], '--vit-layers')).toEqual([
      '--vit-layers=3',
      '--vit-layers=11',
      '--json',
    ]);
  });
});
