// Tests src/shards/metadata.ts against saev-shaped cases of the Python-made hash vectors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatMetadata, getMetadataHash, Metadata, parseMetadata } from '../../src/shards/metadata.js';

interface HashVector {
  name: string;
  value: Record<string, unknown>;
  dumps: string;
  sha256: string;
  indent4: string;
}

const SAEV_FIELDS = [
  'vit_family',
  'vit_ckpt',
  'layers',
  'n_patches_per_img',
  'cls_token',
  'd_vit',
  'seed',
  'n_imgs',
  'n_patches_per_shard',
  'data',
];

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/metadata-hash-vectors.json', import.meta.url), 'utf8'),
) as HashVector[];

/** Cases holding exactly saev's ten fields in order, optionally followed by `dtype`. */
const saevCases = vectors.filter((v) => {
  const keys = Object.keys(v.value);
  const base = keys[keys.length - 1] === 'dtype' ? keys.slice(0, -1) : keys;
  return JSON.stringify(base) === JSON.stringify(SAEV_FIELDS);
});
const plain = saevCases.find((v) => v.name === 'saev-imagenet-clip')!;
const withDtype = saevCases.find((v) => 'dtype' in v.value)!;

const asMetadata = (v: HashVector) => structuredClone(v.value) as unknown as Metadata;

describe('saev-shaped vectors', () => {
  it('include a float32 case and a dtype case', () => {
    expect(saevCases.length).toBeGreaterThanOrEqual(5);
    expect(plain).toBeDefined();
    expect(withDtype).toBeDefined();
    expect(withDtype.value.dtype).toBe('float16');
  });
});

describe.each(saevCases.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
  it('formatMetadata equals json.dump(md, indent=4)', () => {
    expect(formatMetadata(asMetadata(vector))).toBe(vector.indent4);
  });

  it('getMetadataHash equals sha256(json.dumps(md, sort_keys=True))', () => {
    expect(getMetadataHash(asMetadata(vector))).toBe(vector.sha256);
  });

  it('parseMetadata reads the Python-written file back', () => {
    expect(parseMetadata(vector.indent4, 'metadata.json')).toEqual(vector.value);
  });

  it('parseMetadata(formatMetadata(md)) round-trips', () => {
    expect(parseMetadata(formatMetadata(asMetadata(vector)), 'metadata.json')).toEqual(vector.value);
  });
});

describe('dtype', () => {
  it('float32 is the saev 0.1.0 format: no dtype field, same hash', () => {
    const md = { ...asMetadata(plain), dtype: 'float32' };
    expect(formatMetadata(md)).toBe(plain.indent4);
    expect(formatMetadata(md)).not.toContain('dtype');
    expect(getMetadataHash(md)).toBe(plain.sha256);
  });

  it('a non-float32 dtype changes the hash', () => {
    const md = { ...asMetadata(withDtype) };
    delete md.dtype;
    expect(getMetadataHash(md)).not.toBe(withDtype.sha256);
  });

  it('the dtype field goes last, whatever the object key order', () => {
    const { dtype, ...rest } = asMetadata(withDtype);
    const reordered = { dtype, ...rest } as Metadata;
    expect(formatMetadata(reordered)).toBe(withDtype.indent4);
  });
});

describe('formatMetadata field order', () => {
  it('follows saev order even when the object was built in another order', () => {
    const md = asMetadata(plain);
    const reversed = Object.fromEntries(Object.entries(md).reverse()) as unknown as Metadata;
    expect(formatMetadata(reversed)).toBe(plain.indent4);
  });
});

describe('parseMetadata errors', () => {
  const good = () => JSON.parse(plain.indent4) as Record<string, unknown>;
  const parse = (raw: unknown) => () => parseMetadata(JSON.stringify(raw), 'runs/abc/metadata.json');

  const expectOneLine = (fn: () => unknown, pattern: RegExp) => {
    let message = '';
    try {
      fn();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(pattern);
    expect(message).toMatch(/^metadata: /);
    expect(message).toContain('runs/abc/metadata.json');
    expect(message).not.toContain('\n');
  };

  it('rejects invalid JSON', () => {
    expectOneLine(() => parseMetadata('{"vit_family": ', 'runs/abc/metadata.json'), /not valid JSON/);
  });

  it('rejects a missing field, listing found and expected fields', () => {
    const raw = good();
    delete raw.seed;
    expectOneLine(parse(raw), /has fields \[.*\], expected \[.*seed.*\]/);
  });

  it('rejects an extra field', () => {
    expectOneLine(parse({ ...good(), n_tokens: 3 }), /has fields \[.*n_tokens.*\], expected/);
  });

  it('rejects a renamed field even when the count matches', () => {
    const raw = good();
    delete raw.seed;
    raw.sed = 42;
    expectOneLine(parse(raw), /has fields/);
  });

  it.each(['n_patches_per_img', 'd_vit', 'seed', 'n_imgs', 'n_patches_per_shard'])(
    'rejects a non-integer %s',
    (key) => {
      expectOneLine(parse({ ...good(), [key]: 1.5 }), new RegExp(`${key} must be an integer, found 1.5`));
      expectOneLine(parse({ ...good(), [key]: '196' }), new RegExp(`${key} must be an integer, found "196"`));
    },
  );

  it.each([
    ['n_patches_per_img', -1, 0],
    ['d_vit', 0, 1],
    ['n_imgs', -5, 0],
    ['n_patches_per_shard', 0, 1],
  ])('rejects %s = %d (below %d)', (key, value, min) => {
    expectOneLine(parse({ ...good(), [key]: value }), new RegExp(`${key} must be at least ${min}, found ${value}`));
  });

  it('accepts the smallest valid counts: no images, no patches beside the CLS token', () => {
    expect(
      parseMetadata(JSON.stringify({ ...good(), n_imgs: 0, n_patches_per_img: 0, cls_token: true }), 'm.json').n_imgs,
    ).toBe(0);
  });

  it('rejects layers that are not a list of integers', () => {
    expectOneLine(parse({ ...good(), layers: -2 }), /layers must be a list of integers, found -2/);
    expectOneLine(parse({ ...good(), layers: [1, 'x'] }), /layers must be a list of integers, found \[1,"x"\]/);
  });

  it('rejects a non-boolean cls_token', () => {
    expectOneLine(parse({ ...good(), cls_token: 1 }), /cls_token must be a boolean/);
  });

  it.each(['vit_family', 'vit_ckpt', 'data'])('rejects a non-string %s', (key) => {
    expectOneLine(parse({ ...good(), [key]: 7 }), new RegExp(`${key} must be a string`));
  });

  it('rejects a non-string dtype', () => {
    expectOneLine(parse({ ...good(), dtype: 16 }), /dtype/);
  });

  it('rejects JSON that is not an object', () => {
    expectOneLine(() => parseMetadata('null', 'runs/abc/metadata.json'), /metadata/);
  });

  it('rejects a JSON list with a one-line error', () => {
    expectOneLine(() => parseMetadata('[]', 'runs/abc/metadata.json'), /must hold a JSON object, found \[\]/);
  });
});
