/** The package's own name and version, read from the nearest package.json (works from src/ and dist/). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('version: no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/** The repository / installed package root. */
export const PACKAGE_ROOT = findPackageRoot();

const packageJson = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

/**
 * The tool's name and version, as sidecars record them (not the rest of package.json, whose scripts and dev
 * dependencies say nothing about a run).
 */
export const TOOL = Object.freeze({ name: packageJson.name, version: packageJson.version });

/** The embedded demo photographs (an ImageFolder tree; licences in LICENSES.md there). */
export const DEMO_IMAGES_DIR = path.join(PACKAGE_ROOT, 'src', 'demo', 'images');
