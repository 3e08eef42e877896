// Tests src/bounded-parallel.ts: every index once, never more than the limit in flight, the first error.
import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../src/bounded-parallel.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('forEachBounded', () => {
  it('runs every index once with at most `limit` in flight', async () => {
    const done: number[] = [];
    let inFlight = 0;
    let most = 0;
    await forEachBounded(20, 3, async (k) => {
      most = Math.max(most, ++inFlight);
      await tick();
      done.push(k);
      inFlight--;
    });
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(most).toBe(3);
  });

  it('does nothing for no work and rejects with the first error', async () => {
    await forEachBounded(0, 4, async () => {
      throw new Error('never called');
    });
    await expect(
      forEachBounded(5, 2, async (k) => {
        if (k === 1) throw new Error('k = 1 failed');
      }),
    ).rejects.toThrow('k = 1 failed');
  });
});
