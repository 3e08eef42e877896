/**
 * Turning the staged bundle into one .tar.xz with the system tar and xz: entries sorted, owned by
 * root, one fixed mtime, so the same tree always gives the same archive; and sizing trees.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function exited(child: ChildProcess, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(`bundle: cannot run ${name} (${e.code === 'ENOENT' ? 'not on PATH; install it' : e.message})`));
    });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`bundle: ${name} exited with ${code}`))));
  });
}

/**
 * Writes `tar -c | xz` of `stageDir` to `outPath`, through `<outPath>.part` renamed once complete,
 * so a file at `outPath` is never half-written. Returns its size in bytes.
 */
export async function writeArchive(stageDir: string, outPath: string, mtime: number): Promise<number> {
  const partPath = `${outPath}.part`;
  const out = fs.openSync(partPath, 'w');
  try {
    const tarArgs = [
      '-C',
      stageDir,
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      `--mtime=@${mtime}`,
      '--format=gnu',
      '-cf',
      '-',
      '.',
    ];
    const tar = spawn('tar', tarArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    // xz 5.4+ -T0 always runs the multi-threaded compressor, whose output does not depend on the thread
    // count (-T1 would differ). -6 rather than -9: 1.3% larger, but its 24 MiB blocks compress in parallel.
    const xz = spawn('xz', ['-6', '-T0', '-c'], { stdio: ['pipe', out, 'inherit'] });
    xz.stdin!.on('error', () => {}); // an xz that died is reported by its exit code, not as EPIPE
    tar.stdout!.pipe(xz.stdin!);
    await Promise.all([exited(tar, 'tar'), exited(xz, 'xz')]);
  } catch (error) {
    fs.rmSync(partPath, { force: true });
    throw error;
  } finally {
    fs.closeSync(out);
  }
  fs.renameSync(partPath, outPath);
  return fs.statSync(outPath).size;
}

/** Bytes under `p`: the apparent sizes of its files. */
export function treeBytes(p: string): number {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((sum, name) => sum + treeBytes(path.join(p, name)), 0);
}
