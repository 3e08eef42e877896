/**
 * What to tell a user whose path holds no `metadata.json`: that it does not
 * exist, that it is a file, or which shard directories it holds (a common
 * slip is passing `--dump-to` itself instead of `<dump-to>/<hash>`, or, for
 * protocol 2.1, `<dump-to>/saev/shards/<hash>`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { V21_SHARDS_ROOT } from './shard-metadata.js';

export async function explainNoMetadata(dir: string): Promise<string> {
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat) return `${dir} does not exist; pass a shard directory (<dump-to>/<hash>)`;
  if (!stat.isDirectory()) return `${dir} is a file, not a directory; pass the shard directory that holds it`;
  const children = [];
  for (const parent of [dir, path.join(dir, 'shards'), path.join(dir, V21_SHARDS_ROOT)]) {
    const names = await fs.readdir(parent).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (
        await fs.stat(path.join(parent, name, 'metadata.json')).then(
          () => true,
          () => false,
        )
      )
        children.push(path.join(parent, name));
    }
  }
  if (children.length === 1)
    return `no metadata.json in ${dir}; it holds the shard directory ${children[0]}: pass that`;
  if (children.length > 1)
    return `no metadata.json in ${dir}; it holds ${children.length} shard directories (${children.slice(0, 3).join(', ')}${children.length > 3 ? ', ...' : ''}): pass one`;
  return `no metadata.json in ${dir}; pass a shard directory (<dump-to>/<hash>)`;
}
