// Tests src/reader/config.ts: a wrong reader config is a one-line error naming the field and the value.
import { describe, expect, it } from 'vitest';
import { ReaderConfig, validateReaderConfig } from '../../src/reader/config.js';

describe('validateReaderConfig', () => {
  it("fills in saev 0.1.0's defaults and freezes the result", () => {
    const cfg = validateReaderConfig({ layer: 'all' });
    expect(cfg).toEqual({ patches: 'patches', layer: 'all', clamp: 1e5, scaleMean: false, scaleNorm: false });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it.each([
    [{ patches: 'tokens' }, "reader: patches must be one of cls, meanpool, patches, found 'tokens'"],
    [{ layer: 'first' }, "reader: layer must be an integer, 'all' or 'meanpool', found 'first'"],
    [{ layer: 1.5 }, "reader: layer must be an integer, 'all' or 'meanpool', found '1.5'"],
    [{ clamp: 0 }, 'reader: clamp must be positive, found 0'],
    [{ clamp: -1 }, 'reader: clamp must be positive, found -1'],
    [{ clamp: NaN }, 'reader: clamp must be positive, found NaN'],
    [{ scaleMean: '' }, 'reader: scaleMean must be a boolean or a statistics file path, found ""'],
    [{ scaleNorm: 1 }, 'reader: scaleNorm must be a boolean or a statistics file path, found 1'],
  ])('rejects %j', (raw, message) => {
    expect(() => validateReaderConfig(raw as unknown as Partial<ReaderConfig>)).toThrow(message);
  });
});
