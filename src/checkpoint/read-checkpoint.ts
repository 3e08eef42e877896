/**
 * The one entry point for checkpoint files: recognises the format from the
 * bytes (never the extension) and hands the file to its reader.
 * - `PK\x03\x04`: a zip, so a PyTorch archive (`torch.save` or TorchScript);
 * - an 8-byte length followed by `{`: safetensors;
 * - `\x80` (a bare pickle): the pre-1.6 `torch.save` format, refused with
 *   the way out.
 * Also hashes the file (sha256) for the converted model's provenance.
 */
import { hashFile } from '../util/hash-file.js';
import { makeFileSource, type ByteSource } from './byte-source.js';
import { looksLikeSafetensors, readSafetensors } from './safetensors.js';
import type { Checkpoint } from './state-dict.js';
import { readTorchArchive } from './torch-zip.js';
import { looksLikeZip } from './zip.js';

/** Reads a checkpoint's tensors from any source (no hashing): what readCheckpoint does after opening the file. */
export function readCheckpointSource(source: ByteSource): Omit<Checkpoint, 'sha256'> {
  if (looksLikeZip(source)) {
    const { tensors, format, ignored, unwrapped, strippedPrefix } = readTorchArchive(source);
    return { tensors, format, metadata: new Map(), ignored, unwrapped, strippedPrefix };
  }
  if (looksLikeSafetensors(source)) {
    const { tensors, metadata } = readSafetensors(source);
    return { tensors, format: 'safetensors', metadata, ignored: [] };
  }
  const head = source.read(0, Math.min(source.size, 8));
  if (head[0] === 0x80) {
    throw new Error(
      `checkpoint: ${source.name} is a legacy (torch < 1.6) pickle checkpoint, which is not read; re-save it with a recent torch (torch.save(torch.load(path, weights_only=True), 'new.pt')) or as safetensors`,
    );
  }
  const hex = Buffer.from(head).toString('hex');
  throw new Error(
    `checkpoint: ${source.name} is neither a PyTorch zip archive nor safetensors (first bytes ${hex || 'none: empty file'}); convert it to .safetensors`,
  );
}

/**
 * Opens `path`, detects its format by content and returns its tensors (values read lazily) and sha256:
 * hashed here, unless the caller has just hashed this file and passes `known.sha256` (a checkpoint of many GB
 * is then not read twice for it).
 */
export async function readCheckpoint(path: string, known: { sha256?: string } = {}): Promise<Checkpoint> {
  let source: ByteSource;
  try {
    source = makeFileSource(path);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    throw new Error(message.startsWith('checkpoint: ') ? message : `checkpoint: cannot open ${path} (${message})`, {
      cause: error,
    });
  }
  const contents = readCheckpointSource(source);
  return { ...contents, sha256: known.sha256 ?? (await hashFile(path)) };
}
