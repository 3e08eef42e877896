/**
 * PyTorch zip archives: `torch.save` (`<archive>/data.pkl` + storages in
 * `<archive>/data/<key>`, a `byteorder` file) and `torch.jit.save`
 * (TorchScript: also `code/` and `constants.pkl`; module state in the same
 * `data.pkl`, with `__torch__.*` classes). The pickle is read by the safe
 * unpickler with the torch allowlist; storages are read lazily, tensor by
 * tensor. TorchScript `code/` is never looked at, let alone run.
 */
import type { ByteSource } from './byte-source.js';
import { loadPickle } from './pickle.js';
import { flattenScriptModule, getPickledStateDict, type PickledStateDict } from './pickled-state-dict.js';
import { getScriptClassFields, getScriptClassFile, type ScriptClassFields } from './script-fields.js';
import { makeTorchResolver } from './torch-globals.js';
import { readZip, type ZipArchive } from './zip.js';

export interface TorchArchiveContents extends PickledStateDict {
  format: 'torch-zip' | 'torchscript';
}

export function readTorchArchive(source: ByteSource): TorchArchiveContents {
  const file = source.name;
  const zip = readZip(source);
  const pickles = [...zip.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new Error(
      `torch: ${file}: zip has ${pickles.length ? 'several' : 'no'} <archive>/data.pkl (not a torch.save/torch.jit.save checkpoint; entries: ${[...zip.entries.keys()].slice(0, 5).join(', ')})`,
    );
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  const isScript =
    zip.entries.has(`${prefix}constants.pkl`) ||
    [...zip.entries.keys()].some((name) => name.startsWith(`${prefix}code/`));
  const byteorderEntry = `${prefix}byteorder`;
  const byteorder = zip.entries.has(byteorderEntry)
    ? new TextDecoder().decode(zip.read(byteorderEntry)).trim()
    : 'little';
  if (byteorder !== 'little') {
    throw new Error(
      `torch: ${file}: byteorder '${byteorder}' is not supported (re-save the checkpoint on a little-endian machine)`,
    );
  }
  const where = `${file}: ${pickles[0]}`;
  const resolver = makeTorchResolver({
    where,
    scriptObjects: isScript,
    getStorageSize: (key) => zip.entries.get(`${prefix}data/${key}`)?.size,
    loadStorageBytes: (key) => zip.read(`${prefix}data/${key}`),
  });
  const root = loadPickle(zip.read(pickles[0]), resolver);
  const contents = isScript
    ? flattenScriptModule(root, where, makeFieldReader(zip, `${prefix}code/`))
    : getPickledStateDict(root, where);
  return { ...contents, format: isScript ? 'torchscript' : 'torch-zip' };
}

/** Looks class declarations up in the archive's `code/` sources (each file decoded once). */
function makeFieldReader(zip: ZipArchive, codeDir: string): (className: string) => ScriptClassFields | undefined {
  const sources = new Map<string, string | undefined>();
  return (qualifiedName) => {
    const { file, className } = getScriptClassFile(qualifiedName);
    if (!sources.has(file)) {
      const entry = codeDir + file;
      sources.set(file, zip.entries.has(entry) ? new TextDecoder().decode(zip.read(entry)) : undefined);
    }
    const source = sources.get(file);
    return source === undefined ? undefined : getScriptClassFields(source, className);
  };
}
