// Tests src/extract/job-range.ts and the job resolution of src/extract/config.ts: ranges tile the
// shards exactly (property test over all small cases), and Slurm's array variables are honoured.
import { describe, expect, it } from 'vitest';
import { resolveJob } from '../../src/extract/config.js';
import { describeJobRange, getJobRange } from '../../src/extract/job-range.js';

describe('getJobRange', () => {
  it('tiles 0..n-1 with contiguous ranges differing in size by at most one, for every n <= 40 and N <= 12', () => {
    for (let n = 0; n <= 40; n++) {
      for (let jobs = 1; jobs <= 12; jobs++) {
        const ranges = Array.from({ length: jobs }, (_, i) => getJobRange(n, jobs, i));
        expect(ranges[0].first).toBe(0);
        expect(ranges[jobs - 1].end).toBe(n);
        for (let i = 1; i < jobs; i++) expect(ranges[i].first).toBe(ranges[i - 1].end);
        const sizes = ranges.map((s) => s.end - s.first);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('gives the hand-worked split of 10 shards over 4 jobs', () => {
    expect([0, 1, 2, 3].map((i) => getJobRange(10, 4, i))).toEqual([
      { first: 0, end: 2 },
      { first: 2, end: 5 },
      { first: 5, end: 7 },
      { first: 7, end: 10 },
    ]);
    expect(describeJobRange({ first: 2, end: 5 }, 10, 4, 1)).toBe('job 1 of 4: shards 2-4 of 10');
    expect(describeJobRange(getJobRange(2, 4, 0), 2, 4, 0)).toBe('job 0 of 4: no shards (2 shards for 4 jobs)');
  });

  it('rejects an index outside the jobs', () => {
    expect(() => getJobRange(10, 4, 4)).toThrow('jobs: job index 4 is outside 0..3');
  });
});

describe('resolveJob', () => {
  it('defaults to one job', () => {
    expect(resolveJob({}, {})).toEqual({ nJobs: 1, jobIndex: 0 });
  });
  it('reads SLURM_ARRAY_TASK_ID/COUNT, and flags win over them', () => {
    expect(resolveJob({}, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({
      nJobs: 4,
      jobIndex: 2,
    });
    // A resubmitted single task (--array=2): the count is 1, but the script passes --n-jobs.
    expect(resolveJob({ nJobs: 4 }, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '1' })).toEqual({
      nJobs: 4,
      jobIndex: 2,
    });
    expect(resolveJob({ nJobs: 4, jobIndex: 1 }, { SLURM_ARRAY_TASK_ID: '2' })).toEqual({ nJobs: 4, jobIndex: 1 });
  });
  it('rejects a bad index or a malformed variable in one line', () => {
    expect(() => resolveJob({ nJobs: 2, jobIndex: 2 }, {})).toThrow(
      'config: job index 2 is outside 0..1 (--n-jobs 2); pass --job-index below --n-jobs',
    );
    expect(() => resolveJob({}, { SLURM_ARRAY_TASK_ID: 'x' })).toThrow(
      "config: SLURM_ARRAY_TASK_ID='x' is not a non-negative integer",
    );
  });
});
