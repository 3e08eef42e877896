/** Shared set-up for dataset tests: fixture paths, expected items, a private SAEV_CACHE, pixel hashes. */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RgbImage } from '../../src/images/resample.js';
import type { SetupHooks } from '../../src/data/setup-report.js';

export const FIXTURES = path.resolve(__dirname, '../fixtures/data');
export const EXPECTED = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));

/** Points SAEV_CACHE at a fresh directory (call in beforeEach). */
export function useTempCache(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-cache-'));
  process.env.SAEV_CACHE = dir;
  return dir;
}

/** A writable copy of a fixture tree. */
export function copyFixture(name: string): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'saev-data-')), name);
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

export function rgbDigest(image: RgbImage): { width: number; height: number; sha256: string } {
  return { width: image.width, height: image.height, sha256: createHash('sha256').update(image.data).digest('hex') };
}

export function makeHooks(): SetupHooks & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line), warn: (line) => lines.push(`warn: ${line}`) };
}
