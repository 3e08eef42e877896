/**
 * Runs `work(k)` for k = 0..n-1 with at most `limit` calls in flight, started
 * in index order; rejects with the first error (calls already started finish).
 */
export async function forEachBounded(n: number, limit: number, work: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, n)) }, lane));
}
