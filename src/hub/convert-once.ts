/**
 * The converted-model cache: a checkpoint is converted once, into
 * `$SAEV_CACHE/models/<family>-<source>-<key>/`, where the key hashes the
 * checkpoint's sha256, the config conversion reads, the conversion options
 * and the tool's version; every later run (and every other job of an array,
 * which waits on a lock meanwhile) loads that directory. Conversion reads
 * the file through `convertCheckpoint`, which hashes it: a digest other than
 * the expected one (the Hub's LFS pointer) removes the output and fails.
 * The config a name implies is written beside a link to the weights in a
 * staging folder, so whatever else lies beside the weights is not read.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { readCheckpoint } from '../checkpoint/read-checkpoint.js';
import { convertCheckpoint } from '../convert/convert-checkpoint.js';
import { getCacheDir } from '../data/cache-dir.js';
import { TOOL } from '../version.js';
import { VIT_CONFIG_FILE } from '../vit/checkpoint-kind.js';
import type { VitFamily } from '../vit/family.js';
import type { FetchedCheckpoint } from './fetch-checkpoint.js';
import { getFileSha256, rememberFileSha256 } from './file-digest.js';
import { withLock } from './wait-lock.js';

/** Bump when converted directories from older versions must not be reused for another reason than the tool version. */
const CACHE_LAYOUT = 1;

export interface ConvertedModel {
  dir: string;
  sha256: string;
  /** Whether this run converted it (false: found in the cache). */
  converted: boolean;
}

export interface ConvertOnceOptions {
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const sha256Of = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The config to write beside the weights, when the family reads it. */
function getStagedConfig(fetched: FetchedCheckpoint, family: VitFamily): { file: string; text: string } | null {
  const { config } = fetched;
  if (config === null || config === 'beside' || !family.archSource.configFiles.includes(config.file)) return null;
  // A config of another layout (a timm config.json beside timm weights) says nothing the family reads.
  return family.archSource.readConfig(JSON.parse(config.text), config.file) === null ? null : config;
}

async function getConfigKey(fetched: FetchedCheckpoint, family: VitFamily): Promise<string[]> {
  if (fetched.config !== 'beside') {
    const staged = getStagedConfig(fetched, family);
    return staged ? [staged.file, sha256Of(staged.text)] : [];
  }
  const out: string[] = [];
  for (const file of family.archSource.configFiles) {
    const text = await fs.readFile(path.join(path.dirname(fetched.weightsPath), file)).catch(() => null);
    if (text) out.push(file, sha256Of(text));
  }
  return out;
}

function getSourceLabel(fetched: FetchedCheckpoint): string {
  const { record } = fetched;
  const label = record.repository ?? path.basename(record.file).replace(/\.[^.]+$/, '');
  return label
    .replace(/\//g, '--')
    .replace(/[^\w.-]/g, '_')
    .slice(0, 60);
}

export async function getConvertedModel(
  fetched: FetchedCheckpoint,
  family: VitFamily,
  options: ConvertOnceOptions,
): Promise<ConvertedModel> {
  const env = options.env ?? process.env;
  const expected = fetched.sha256;
  const sha256 = expected ?? (await getFileSha256(fetched.weightsPath, options.log, env));
  const key = sha256Of(
    JSON.stringify({
      layout: CACHE_LAYOUT,
      tool: TOOL.version,
      family: family.name,
      sha256,
      config: await getConfigKey(fetched, family),
      nHeads: fetched.nHeads ?? null,
    }),
  );
  const dir = path.join(getCacheDir(env), 'models', `${family.name}-${getSourceLabel(fetched)}-${key.slice(0, 16)}`);
  if (existsSync(path.join(dir, VIT_CONFIG_FILE))) return { dir, sha256, converted: false };
  await fs.mkdir(path.dirname(dir), { recursive: true });
  // A long lease: a large conversion may keep the event loop (and so the renewals) busy for a while.
  return withLock(
    `${dir}.lock`,
    { log: options.log, what: `converting ${fetched.name.name}`, leaseMs: 600_000 },
    async () => {
      if (existsSync(path.join(dir, VIT_CONFIG_FILE))) return { dir, sha256, converted: false };
      const stageDir = `${dir}.stage-${process.pid}`;
      try {
        let checkpointPath = fetched.weightsPath;
        if (fetched.config !== 'beside') {
          await fs.rm(stageDir, { recursive: true, force: true });
          await fs.mkdir(stageDir, { recursive: true });
          checkpointPath = path.join(stageDir, path.basename(fetched.record.file));
          await fs.symlink(path.resolve(await fs.realpath(fetched.weightsPath)), checkpointPath);
          const staged = getStagedConfig(fetched, family);
          if (staged) await fs.writeFile(path.join(stageDir, staged.file), staged.text);
        }
        options.log(`model: converting ${fetched.name.name} (${fetched.record.file}) once, into ${dir}`);
        const result = await convertCheckpoint({
          checkpointPath,
          family,
          outDir: dir,
          // Without a published digest the file was hashed just above (or its unchanged digest kept): not again.
          readCheckpoint: expected === null ? (file) => readCheckpoint(file, { sha256 }) : readCheckpoint,
          strict: true,
          nHeads: fetched.nHeads,
        });
        if (expected !== null && result.sha256 !== expected) {
          await fs.rm(dir, { recursive: true, force: true });
          const real = await fs.realpath(fetched.weightsPath);
          throw new Error(
            `hub: cached ${fetched.record.file} (${real}) has sha256 ${result.sha256} but its source says ${expected}; delete that file and rerun to fetch it again`,
          );
        }
        await rememberFileSha256(fetched.weightsPath, result.sha256, env).catch(() => undefined);
        return { dir, sha256: result.sha256, converted: true };
      } finally {
        await fs.rm(stageDir, { recursive: true, force: true });
      }
    },
  );
}
