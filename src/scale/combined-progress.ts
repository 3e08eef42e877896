/**
 * One progress line for N child jobs: each job reports `(done, total)` for
 * its share; once every job has said its total, a single `Progress` counts
 * the sum (images done, images/s, ETA), so the parent prints one line, not N.
 */
import { Progress } from '../progress.js';

export class CombinedProgress {
  private readonly done: number[];
  private readonly totals: (number | null)[];
  private progress: Progress | null = null;
  private reported = 0;
  private readonly startedAt = performance.now();

  constructor(
    nJobs: number,
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly label = 'extract',
  ) {
    this.done = new Array(nJobs).fill(0);
    this.totals = new Array(nJobs).fill(null);
  }

  /** Job `job` has done `done` of its `total` images. */
  update(job: number, done: number, total: number): void {
    this.done[job] = done;
    this.totals[job] = total;
    if (!this.progress && this.totals.every((t) => t !== null)) {
      const sum = (this.totals as number[]).reduce((a, b) => a + b, 0);
      // The rate counts from when the jobs started, not from when the last one reported its total.
      let first = true;
      const now = () => (first ? ((first = false), this.startedAt) : performance.now());
      this.progress = new Progress({
        label: `${this.label} (${this.done.length} jobs)`,
        unit: 'images',
        total: sum,
        stream: this.stream,
        now,
      });
    }
    if (this.progress) {
      const now = this.done.reduce((a, b) => a + b, 0);
      if (now > this.reported) this.progress.tick(now - this.reported);
      this.reported = now;
    }
  }

  get imagesDone(): number {
    return this.done.reduce((a, b) => a + b, 0);
  }

  finish(summary: string): void {
    this.stream.write(`${this.stream.isTTY ? '\r\x1b[2K' : ''}${this.label}: ${summary}\n`);
  }
}
