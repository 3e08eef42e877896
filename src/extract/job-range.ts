/**
 * The work split over jobs: job i of N owns the contiguous, shard-aligned
 * range `[floor(i*n/N), floor((i+1)*n/N))` of the n shards, so no shard is
 * ever written by two jobs and the ranges differ in size by at most one
 * shard. With more jobs than shards, some ranges are empty.
 */

export interface JobRange {
  /** First shard of the range. */
  first: number;
  /** One past the last shard. */
  end: number;
}

export function getJobRange(nShards: number, nJobs: number, jobIndex: number): JobRange {
  if (!Number.isSafeInteger(nShards) || nShards < 0)
    throw new Error(`jobs: shard count must be a non-negative integer, found ${nShards}`);
  if (!Number.isSafeInteger(nJobs) || nJobs < 1)
    throw new Error(`jobs: job count must be a positive integer, found ${nJobs}`);
  if (!Number.isSafeInteger(jobIndex) || jobIndex < 0 || jobIndex >= nJobs)
    throw new Error(`jobs: job index ${jobIndex} is outside 0..${nJobs - 1}`);
  return { first: Math.floor((jobIndex * nShards) / nJobs), end: Math.floor(((jobIndex + 1) * nShards) / nJobs) };
}

/** "shards 3-5 of 12" / "no shards (job 7 of 8, 4 shards)", for logs. */
export function describeJobRange(range: JobRange, nShards: number, nJobs: number, jobIndex: number): string {
  const job = `job ${jobIndex} of ${nJobs}`;
  if (range.end === range.first) return `${job}: no shards (${nShards} shards for ${nJobs} jobs)`;
  return `${job}: shards ${range.first}-${range.end - 1} of ${nShards}`;
}
