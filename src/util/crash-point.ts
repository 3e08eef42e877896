/**
 * Named points where a test can make this process die with SIGKILL, to prove
 * crash safety at the exact moments that matter (between a shard's fsync and
 * its rename, between the rename and its marker, inside metadata creation).
 * Inert unless `SAEV_CRASH_AT=<point>[#<n>]` is set: then the n-th (default
 * first) time `point` is reached, the process kills itself.
 */
const counts = new Map<string, number>();

export function crashPoint(point: string): void {
  const spec = process.env.SAEV_CRASH_AT;
  if (!spec) return;
  const [name, nth] = spec.split('#');
  if (name !== point) return;
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  if (n === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}
