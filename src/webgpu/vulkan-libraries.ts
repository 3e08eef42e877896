/**
 * Whether the shared libraries a Vulkan driver needs are where the dynamic linker looks (Linux). GPU
 * nodes often carry NVIDIA's driver without the Vulkan loader (`libvulkan.so.1`, Debian's `libvulkan1`),
 * or without the libglvnd libraries NVIDIA's Vulkan driver links (`libGLX.so.0`, `libGLdispatch.so.0`);
 * Dawn then only says it found no adapter. Naming what is missing, and the package that holds it, turns
 * that into something a researcher can act on.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A library and the Debian/Ubuntu package that installs it. */
interface NeededLibrary {
  name: string;
  debianPackage: string;
}

const LOADER: NeededLibrary = { name: 'libvulkan.so.1', debianPackage: 'libvulkan1' };
/** NVIDIA's Vulkan driver is `libGLX_nvidia.so.0`, which links libglvnd's dispatch libraries. */
const NVIDIA_DRIVER = /libGLX_nvidia\.so/;
const NVIDIA_NEEDS: NeededLibrary[] = [
  { name: 'libGLX.so.0', debianPackage: 'libglx0' },
  { name: 'libGLdispatch.so.0', debianPackage: 'libglvnd0' },
];

/** The folders listed by an ld.so.conf file and the files it includes. */
function readLdSoConf(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file) || !existsSync(file)) return [];
  seen.add(file);
  const dirs: string[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (!include) {
      dirs.push(line);
      continue;
    }
    // `include <dir>/*.conf`, the form distributions use; a pattern only in the file name.
    const pattern = include[1].trim();
    const dir = path.dirname(pattern);
    const name = new RegExp(
      `^${path
        .basename(pattern)
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
    );
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (name.test(f)) dirs.push(...readLdSoConf(path.join(dir, f), seen));
  }
  return dirs;
}

/** Where the dynamic linker looks: `LD_LIBRARY_PATH`, the folders /etc/ld.so.conf lists, then the defaults. */
export function getLibraryDirs(env: NodeJS.ProcessEnv = process.env, ldSoConf = '/etc/ld.so.conf'): string[] {
  const multiarch = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  return [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    ...readLdSoConf(ldSoConf),
    `/lib/${multiarch}`,
    `/usr/lib/${multiarch}`,
    '/lib64',
    '/usr/lib64',
    '/lib',
    '/usr/lib',
  ];
}

function isFound(library: string, dirs: string[]): boolean {
  return path.isAbsolute(library) ? existsSync(library) : dirs.some((dir) => existsSync(path.join(dir, library)));
}

/**
 * What the Vulkan drivers in `manifests` (ICD JSON files) need and the library folders lack, as one line
 * naming the libraries and their packages; null when nothing is missing or there is no manifest at all.
 */
export function describeMissingVulkanLibraries(manifests: string[], dirs: string[]): string | null {
  if (manifests.length === 0) return null;
  const needed = [LOADER];
  const drivers = manifests.map((file) => {
    try {
      return String((JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: unknown } }).ICD?.library_path);
    } catch {
      return '';
    }
  });
  if (drivers.some((library) => NVIDIA_DRIVER.test(library))) needed.push(...NVIDIA_NEEDS);
  const missing = needed.filter((library) => !isFound(library.name, dirs));
  if (missing.length === 0) return null;
  const names = missing.map((library) => library.name).join(', ');
  const packages = missing.map((library) => library.debianPackage).join(' ');
  return `a Vulkan driver is installed, but ${names} ${missing.length === 1 ? 'is' : 'are'} not on the library path (Debian/Ubuntu: apt-get install ${packages}; or put ${missing.length === 1 ? 'it' : 'them'} in LD_LIBRARY_PATH)`;
}
