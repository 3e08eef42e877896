/**
 * Where a worker thread's script is. Worker threads run plain JavaScript, so
 * the script is always the compiled file under `dist/`; when this package runs
 * from its TypeScript sources (the tests), that is the built copy beside them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from './version.js';

/** `script` is relative to `src/`, e.g. `stats/stats-worker.js`. */
export function resolveWorkerScript(script: string): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), script);
  const built = path.join(PACKAGE_ROOT, 'dist', 'src', script);
  if (!existsSync(built)) throw new Error(`workers: ${built} is missing; run npm run build`);
  return built;
}
