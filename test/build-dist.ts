/**
 * Vitest global setup: the tests that run the CLI (`bin/run.js`) run the
 * compiled `dist/`, so a stale build would test old code. Before any test,
 * this compiles the project (`npm run build`) when a source file is newer
 * than the last build, so `npx vitest run <folder>` is as safe as `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
// tsc rewrites every output on each build (npm run build, npm ci's prepare, or this), so one of them dates the build.
const STAMP = path.join(ROOT, 'dist', 'src', 'index.js');
const SOURCES = ['src', 'models', 'commands', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function getNewestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return entry.endsWith('.ts') || entry.endsWith('.json') ? stat.mtimeMs : 0;
  return Math.max(0, ...readdirSync(entry).map((name) => getNewestMtime(path.join(entry, name))));
}

export default function setup(): void {
  const newest = Math.max(
    ...SOURCES.map((name) => path.join(ROOT, name))
      .filter(existsSync)
      .map(getNewestMtime),
  );
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= newest) return;
  process.stderr.write(
    'test: sources changed since the last build; compiling dist/ (npm run build) for the CLI tests\n',
  );
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
}
