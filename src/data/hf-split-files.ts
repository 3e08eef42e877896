/**
 * Which parquet files of a local Hugging Face dataset repository make up a
 * split, in the order `datasets.load_dataset(<dir>, split=...)` reads them:
 * first `data/{split}-NNNNN-of-NNNNN*.parquet` (what `push_to_hub` writes, e.g.
 * ILSVRC/imagenet-1k's `data/train-00000-of-00294.parquet`); failing that,
 * parquet files in a directory named `{split}` or whose name has `{split}`
 * as a word (delimited by `-._ ` or digits). Hidden files and directories are
 * skipped. Paths are sorted by code point, so row order is stable.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { compareCodePoints } from '../python/python-json.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** All `.parquet` files under `root`, relative, `/`-separated, sorted. */
async function listParquet(root: string): Promise<string[]> {
  const out: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) pending.push(child);
      else if (entry.name.endsWith('.parquet')) out.push(child);
    }
  }
  return out.sort(compareCodePoints);
}

/** The split's files, relative to `root`; throws a one-line error when there are none. */
export async function getSplitFiles(root: string, split: string): Promise<string[]> {
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory())
    throw new Error(
      `data: imagenet root '${root}' does not exist or is not a directory; pass --data-root <local copy of the Hugging Face dataset repository>`,
    );
  const all = await listParquet(root);
  const sharded = new RegExp(`^data/${escape(split)}-\\d{5}-of-\\d{5}[^/]*\\.parquet$`);
  const anySharded = /^data\/(.+)-\d{5}-of-\d{5}[^/]*\.parquet$/;
  let files = all.filter((f) => sharded.test(f));
  if (files.length === 0 && !all.some((f) => anySharded.test(f))) {
    const word = new RegExp(`(^|/)${escape(split)}/|(^|[/\\-._ 0-9])${escape(split)}[-._ 0-9][^/]*$`);
    files = all.filter((f) => word.test(f));
  }
  if (files.length === 0) {
    const splits = [...new Set(all.map((f) => anySharded.exec(f)?.[1]).filter((s): s is string => s !== undefined))];
    const known =
      splits.length > 0
        ? `; splits found: ${splits.join(', ')}`
        : all.length > 0
          ? `; parquet files found: ${all.slice(0, 3).join(', ')}${all.length > 3 ? ', ...' : ''}`
          : '; no parquet files at all';
    throw new Error(
      `data: split '${split}' has no parquet files under ${root} (expected data/${split}-00000-of-0000N.parquet)${known}; check --data-split and --data-root`,
    );
  }
  return files;
}
