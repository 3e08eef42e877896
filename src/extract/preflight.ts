/**
 * What a user can get wrong on the command line, checked before a backend
 * loads (TensorFlow's start-up lines would otherwise come first and the
 * mistake only after them): the checkpoint names something, and
 * `--dump-to` can hold the shard directory. The dataset root is checked by
 * the dataset's own setup, which runs before the backend too. A checkpoint
 * name (`ViT-B-16/openai`, `hf-hub:...`, a file) is resolved here, offline;
 * src/hub/named-checkpoint.ts fetches and converts it later.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { CheckpointKind, getCheckpointKind } from '../vit/checkpoint-kind.js';
import type { VitFamily } from '../vit/family.js';
import { CheckpointName, resolveNamedCheckpoint } from '../hub/named-checkpoint.js';

async function checkDumpTo(dumpTo: string): Promise<void> {
  let dir = path.resolve(dumpTo);
  for (;;) {
    const stat = await fs.stat(dir).catch(() => null);
    if (stat) {
      const what =
        dir === path.resolve(dumpTo)
          ? `--dump-to ${dumpTo}`
          : `${dir}, the nearest existing folder above --dump-to ${dumpTo},`;
      if (!stat.isDirectory())
        throw new Error(`shards: ${what} is a file, not a directory; pass a directory for the shards`);
      await fs.access(dir, constants.W_OK).catch(() => {
        throw new Error(`shards: ${what} is not writable by this user; pass a directory you can write in`);
      });
      return;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** The checkpoint's kind (demo, random, converted; a name is converted) and the name, once both checks pass. */
export async function checkBeforeBackend(
  config: { vitCkpt: string; dumpTo: string },
  family: VitFamily,
): Promise<{ kind: CheckpointKind; named: CheckpointName | null }> {
  const named = resolveNamedCheckpoint(family, config.vitCkpt);
  const kind = named ? 'converted' : getCheckpointKind(family, config.vitCkpt);
  await checkDumpTo(config.dumpTo);
  return { kind, named };
}
