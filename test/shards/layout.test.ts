// Property tests for src/shards/layout.ts over many seeded random geometries.
import { describe, expect, it } from 'vitest';
import {
  getBytesPerShard,
  getImgsPerEachShard,
  getImgsPerShard,
  getShardCount,
  getShardFileName,
  getTokensPerImg,
  getValuesPerImg,
  locateImg,
  ShardGeometry,
} from '../../src/shards/layout.js';

/** mulberry32: a tiny seeded PRNG so every run checks the same geometries. */
function makeRandom(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** Integer in [lo, hi]. */
  return (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
}

interface Case {
  g: ShardGeometry;
  /** Tokens per image, from the geometry by hand. */
  t: number;
}

function makeCases(nCases: number): Case[] {
  const rand = makeRandom(20240917);
  const cases: Case[] = [];
  for (let i = 0; i < nCases; i++) {
    const nLayers = rand(1, 40);
    const nPatchesPerImg = rand(1, 1600);
    const clsToken = rand(0, 1) === 1;
    const t = nPatchesPerImg + (clsToken ? 1 : 0);
    const perImg = nLayers * t;
    // Budgets from exactly one image to ~5000 images, sometimes on an exact multiple.
    const s = rand(1, 5000);
    const budget = rand(0, 2) === 0 ? s * perImg : s * perImg + rand(0, perImg - 1);
    cases.push({
      g: {
        nLayers,
        nPatchesPerImg,
        clsToken,
        dVit: rand(1, 2048),
        nPatchesPerShard: budget,
        bytesPerValue: rand(0, 1) ? 4 : 2,
      },
      t,
    });
  }
  return cases;
}

const cases = makeCases(500);

describe('getImgsPerShard', () => {
  it('is floor(floor(budget / L) / T), the largest S with S*L*T <= budget', () => {
    for (const { g, t } of cases) {
      const s = getImgsPerShard(g);
      const bigS = BigInt(g.nPatchesPerShard) / BigInt(g.nLayers) / BigInt(t);
      expect(s).toBe(Number(bigS));
      expect(s).toBeGreaterThanOrEqual(1);
      expect(s * g.nLayers * t).toBeLessThanOrEqual(g.nPatchesPerShard);
      expect((s + 1) * g.nLayers * t).toBeGreaterThan(g.nPatchesPerShard);
    }
  });

  it('matches saev defaults: 2400000 // 1 // 197 = 12182 (ViT-B/16 with CLS, one layer)', () => {
    const g: ShardGeometry = {
      nLayers: 1,
      nPatchesPerImg: 196,
      clsToken: true,
      dVit: 768,
      nPatchesPerShard: 2_400_000,
      bytesPerValue: 4,
    };
    expect(getTokensPerImg(g)).toBe(197);
    expect(getImgsPerShard(g)).toBe(12182);
    expect(getImgsPerShard({ ...g, nLayers: 2 })).toBe(6091);
    expect(getImgsPerShard({ ...g, clsToken: false })).toBe(12244);
  });

  it('names the flag when the budget is below one image', () => {
    const rand = makeRandom(7);
    for (let i = 0; i < 100; i++) {
      const nLayers = rand(1, 30);
      const nPatchesPerImg = rand(1, 1000);
      const clsToken = rand(0, 1) === 1;
      const perImg = nLayers * (nPatchesPerImg + (clsToken ? 1 : 0));
      const budget = rand(0, perImg - 1);
      const g: ShardGeometry = {
        nLayers,
        nPatchesPerImg,
        clsToken,
        dVit: 8,
        nPatchesPerShard: budget,
        bytesPerValue: 4,
      };
      expect(() => getImgsPerShard(g)).toThrow(`--n-patches-per-shard ${budget} is too small`);
      expect(() => getImgsPerShard(g)).toThrow(`at least that`);
      expect(() => getImgsPerShard(g)).toThrow(`= ${perImg})`);
    }
  });
});

describe('sizes', () => {
  it('values per image are L*T*D and a shard is S of them', () => {
    for (const { g, t } of cases) {
      expect(getValuesPerImg(g)).toBe(g.nLayers * t * g.dVit);
      const s = Number(BigInt(g.nPatchesPerShard) / BigInt(g.nLayers * t));
      expect(getBytesPerShard(g)).toBe(s * g.nLayers * t * g.dVit * g.bytesPerValue);
    }
  });
});

describe('shard counts', () => {
  /** n values around every interesting point for S. */
  const nsFor = (s: number, rand: (lo: number, hi: number) => number) =>
    [0, 1, s - 1, s, s + 1, 2 * s, 2 * s + 1, 3 * s - 1, rand(1, 20 * s), rand(0, 100) * s].filter((n) => n >= 0);

  it('is ceil(n / S) with no empty extra shard on an exact boundary', () => {
    const rand = makeRandom(99);
    for (const { g } of cases) {
      const s = getImgsPerShard(g);
      for (const n of nsFor(s, rand)) {
        const count = getShardCount(n, g);
        if (n === 0) {
          expect(count).toBe(0);
          continue;
        }
        // ceil: the shards hold all n, and one shard fewer would not.
        expect(count * s).toBeGreaterThanOrEqual(n);
        expect((count - 1) * s).toBeLessThan(n);
        if (n % s === 0) expect(count).toBe(n / s);
      }
    }
  });

  it('getImgsPerEachShard sums to n, is S except the last, and the last is 1..S', () => {
    const rand = makeRandom(123);
    for (const { g } of cases) {
      const s = getImgsPerShard(g);
      for (const n of nsFor(s, rand)) {
        const each = getImgsPerEachShard(n, g);
        expect(each.length).toBe(getShardCount(n, g));
        expect(each.reduce((a, b) => a + b, 0)).toBe(n);
        expect(each.slice(0, -1).filter((k) => k !== s)).toEqual([]);
        if (n > 0) {
          expect(each[each.length - 1]).toBeGreaterThanOrEqual(1);
          expect(each[each.length - 1]).toBeLessThanOrEqual(s);
        }
      }
    }
  });

  it('a small example by hand: S = 3, n = 7 -> [3, 3, 1]; n = 9 -> [3, 3, 3]', () => {
    const g: ShardGeometry = {
      nLayers: 2,
      nPatchesPerImg: 3,
      clsToken: true,
      dVit: 4,
      nPatchesPerShard: 24 + 7,
      bytesPerValue: 4,
    };
    expect(getImgsPerShard(g)).toBe(3);
    expect(getImgsPerEachShard(7, g)).toEqual([3, 3, 1]);
    expect(getImgsPerEachShard(9, g)).toEqual([3, 3, 3]);
    expect(getImgsPerEachShard(10, g)).toEqual([3, 3, 3, 1]);
  });
});

describe('locateImg', () => {
  it('inverts shard * S + row, with 0 <= row < S', () => {
    const rand = makeRandom(5);
    for (const { g } of cases) {
      const s = getImgsPerShard(g);
      for (const i of [0, 1, s - 1, s, s + 1, rand(0, 50 * s), rand(0, 2_000_000)]) {
        const { shard, row } = locateImg(i, g);
        expect(Number.isInteger(shard)).toBe(true);
        expect(row).toBeGreaterThanOrEqual(0);
        expect(row).toBeLessThan(s);
        expect(shard * s + row).toBe(i);
      }
    }
  });

  it('puts the last image in the last shard', () => {
    const rand = makeRandom(6);
    for (const { g } of cases) {
      const n = rand(1, 100_000);
      expect(locateImg(n - 1, g).shard).toBe(getShardCount(n, g) - 1);
    }
  });
});

describe('getShardFileName', () => {
  it("is saev's acts{shard:06}.bin", () => {
    expect(getShardFileName(0)).toBe('acts000000.bin');
    expect(getShardFileName(42)).toBe('acts000042.bin');
    expect(getShardFileName(123456)).toBe('acts123456.bin');
    expect(getShardFileName(1234567)).toBe('acts1234567.bin');
  });
});
