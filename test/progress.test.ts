// Tests src/progress.ts with a fake clock and a fake stream.
import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from '../src/progress.js';

/** A stream that records writes, and a clock the test moves by hand. */
function makeFakes(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, write: (chunk: string) => (writes.push(chunk), true) } as unknown as NodeJS.WritableStream & {
    isTTY?: boolean;
  };
  const clock = { ms: 0 };
  return { writes, stream, clock, now: () => clock.ms };
}

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [0.4, '0s'],
    [9, '9s'],
    [59.4, '59s'],
    [59.5, '1m00s'],
    [61, '1m01s'],
    [1531, '25m31s'],
    [3599, '59m59s'],
    [3600, '1h00m'],
    [3661, '1h01m'],
    [172800, '48h00m'],
    [Infinity, '?'],
    [NaN, '?'],
  ])('%s s -> %s', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});

describe('Progress off a terminal', () => {
  it('prints a full line with count/total, percent, rate and ETA', () => {
    const { writes, stream, clock, now } = makeFakes(false);
    const progress = new Progress({ label: 'extract', unit: 'images', total: 50_000, stream, now, intervalS: 10 });
    clock.ms = 32_000;
    progress.tick(1024);
    // 1024 images in 32 s = 32.0 images/s; 48,976 left / 32 = 1530.5 s, rounded to 1531 s.
    expect(writes).toEqual(['extract: 1,024/50,000 images (2.0%), 32.0 images/s, ETA 25m31s\n']);
  });

  it('prints at most once every intervalS, and always at the end', () => {
    const { writes, stream, clock, now } = makeFakes(false);
    const progress = new Progress({ label: 'extract', unit: 'images', total: 100, stream, now, intervalS: 10 });
    clock.ms = 1_000;
    progress.tick(10); // first tick prints
    for (const ms of [2_000, 5_000, 10_999]) {
      clock.ms = ms;
      progress.tick(10);
    }
    expect(writes).toHaveLength(1);
    clock.ms = 11_000; // exactly 10 s after the last line
    progress.tick(10);
    expect(writes).toHaveLength(2);
    clock.ms = 12_000;
    progress.tick(10);
    expect(writes).toHaveLength(2);
    clock.ms = 12_500;
    progress.tick(40); // reaches the total: printed although only 1.5 s passed
    expect(writes).toHaveLength(3);
    expect(writes).toEqual([
      'extract: 10/100 images (10.0%), 10.0 images/s, ETA 9s\n',
      'extract: 50/100 images (50.0%), 4.5 images/s, ETA 11s\n',
      'extract: 100/100 images (100.0%), 8.0 images/s, ETA 0s\n',
    ]);
    expect(writes.every((w) => !w.includes('\r'))).toBe(true);
  });

  it('defaults to one line every 10 s', () => {
    const { writes, stream, clock, now } = makeFakes(false);
    const progress = new Progress({ label: 'x', unit: 'images', total: 1000, stream, now });
    progress.tick(1);
    clock.ms = 9_999;
    progress.tick(1);
    clock.ms = 10_000;
    progress.tick(1);
    expect(writes).toHaveLength(2);
  });

  it('says ? for the ETA before any time has passed', () => {
    const { writes, stream, now } = makeFakes(false);
    new Progress({ label: 'extract', unit: 'images', total: 100, stream, now }).tick(0);
    expect(writes).toEqual(['extract: 0/100 images (0.0%), 0.0 images/s, ETA ?\n']);
  });

  it('finish prints one summary line', () => {
    const { writes, stream, now } = makeFakes(false);
    new Progress({ label: 'extract', unit: 'images', total: 100, stream, now }).finish('100 images in 12s');
    expect(writes).toEqual(['extract: 100 images in 12s\n']);
  });

  it('reports rate and elapsed time from the clock', () => {
    const { stream, clock, now } = makeFakes(false);
    clock.ms = 5_000; // the start time is taken at construction
    const progress = new Progress({ label: 'extract', unit: 'images', total: 100, stream, now });
    clock.ms = 9_000;
    progress.tick(20);
    expect(progress.elapsedS).toBe(4);
    expect(progress.rate).toBe(5);
  });
});

describe('Progress of a resumed job', () => {
  it('counts against the whole total from what was already done, and rates only this run', () => {
    const { writes, stream, clock, now } = makeFakes(false);
    const progress = new Progress({ label: 'extract', unit: 'images', total: 1000, initial: 600, stream, now });
    clock.ms = 10_000;
    progress.tick(100);
    expect(progress.rate).toBe(10); // 100 new images in 10 s, not 700
    expect(writes.at(-1)).toBe('extract: 700/1,000 images (70.0%), 10.0 images/s, ETA 30s\n');
  });
});

describe('Progress on a terminal', () => {
  it('redraws one line in place with \\r, a few times a second', () => {
    const { writes, stream, clock, now } = makeFakes(true);
    const progress = new Progress({ label: 'extract', unit: 'images', total: 100, stream, now, intervalS: 10 });
    clock.ms = 1_000;
    progress.tick(10);
    clock.ms = 1_200; // within 250 ms: no redraw
    progress.tick(10);
    clock.ms = 1_250;
    progress.tick(10);
    expect(writes).toEqual([
      '\r\x1b[2Kextract: 10/100 images (10.0%), 10.0 images/s, ETA 9s',
      '\r\x1b[2Kextract: 30/100 images (30.0%), 24.0 images/s, ETA 3s',
    ]);
    progress.finish('done');
    expect(writes[2]).toBe('\r\x1b[2Kextract: done\n');
  });
});
