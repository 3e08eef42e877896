import { describe, expect, it } from 'vitest';
import { resolveLayers } from '../../src/vit/recorded-blocks.js';

describe('resolveLayers', () => {
  it('resolves negatives from the end and orders by depth, keeping the user notation', () => {
    expect(resolveLayers([-1, -2], 12)).toEqual({ blocks: [10, 11], layers: [-2, -1] });
    expect(resolveLayers([11, 0, -6], 12)).toEqual({ blocks: [0, 6, 11], layers: [0, -6, 11] });
  });

  it('rejects a block named twice, even in different notations', () => {
    expect(() => resolveLayers([11, -1], 12)).toThrow(/11 and -1 both name block 11 of 12/);
    expect(() => resolveLayers([3, 3], 12)).toThrow(/both name block 3/);
  });

  it('rejects out-of-range layers with the valid range', () => {
    expect(() => resolveLayers([12], 12)).toThrow(/layer 12 is out of range for a 12-block model \(valid: -12\.\.11\)/);
    expect(() => resolveLayers([-13], 12)).toThrow(/out of range/);
  });

  it('rejects an empty list', () => {
    expect(() => resolveLayers([], 12)).toThrow(/no layers requested/);
  });
});
