/**
 * Progress for long work, on stderr: `extract: 1,024/50,000 images (2.0%),
 * 31.5 images/s, ETA 25m55s`. On a terminal the line is redrawn in place a few
 * times a second; when stderr is a file or pipe, a full line is printed every
 * `intervalS` seconds, so logs stay readable. `finish` prints one summary line.
 */

export interface ProgressOptions {
  /** Prefix of every line, e.g. `extract`. */
  label: string;
  /** Unit of the count, e.g. `images`. */
  unit: string;
  total: number;
  /** Already done before this run (a resumed job): counted in the total, not in the rate. */
  initial?: number;
  /** Where lines go (stderr by default). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Seconds between lines when not on a terminal. */
  intervalS?: number;
  /** Clock in milliseconds (tests pass a fake). */
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** `n` and a noun in the right number, for logs: 1 shard, 3 shards, 1,000 classes. */
export function formatCount(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export class Progress {
  private done: number;
  private lastPrint = -Infinity;
  private readonly start: number;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.done = options.initial ?? 0;
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Units per second so far, in this run. */
  get rate(): number {
    const seconds = (this.now() - this.start) / 1000;
    return seconds > 0 ? (this.done - (this.options.initial ?? 0)) / seconds : 0;
  }

  get elapsedS(): number {
    return (this.now() - this.start) / 1000;
  }

  line(): string {
    const { label, unit, total } = this.options;
    const percent = total > 0 ? ((100 * this.done) / total).toFixed(1) : '100.0';
    const rate = this.rate;
    const eta = rate > 0 ? formatDuration((total - this.done) / rate) : '?';
    return `${label}: ${count(this.done)}/${count(total)} ${unit} (${percent}%), ${rate.toFixed(1)} ${unit}/s, ETA ${eta}`;
  }

  tick(n: number): void {
    this.done += n;
    const tty = Boolean(this.stream.isTTY);
    const interval = tty ? 250 : (this.options.intervalS ?? 10) * 1000;
    const t = this.now();
    if (t - this.lastPrint < interval && this.done < this.options.total) return;
    this.lastPrint = t;
    this.stream.write(tty ? `\r\x1b[2K${this.line()}` : `${this.line()}\n`);
  }

  /** Ends the progress display with a summary line. */
  finish(summary: string): void {
    this.stream.write(`${this.stream.isTTY ? '\r\x1b[2K' : ''}${this.options.label}: ${summary}\n`);
  }
}
