/**
 * From an unpickled checkpoint object to a state dict. For `torch.save`
 * files: the top-level dict itself when it holds tensors, else the dict under
 * `state_dict` or `model` (training checkpoints); a `module.` prefix that
 * every key carries (DataParallel/DDP) is stripped. For TorchScript archives:
 * the module tree is walked and every tensor attribute gets its dotted path
 * (`visual.transformer.resblocks.0.attn.in_proj_weight`). Non-tensor entries
 * are never an error: their keys are listed in `ignored`.
 */
import type { ScriptClassFields } from './script-fields.js';
import type { StateDict } from './state-dict.js';
import { RebuiltTensor, ScriptObject } from './torch-globals.js';

export interface PickledStateDict {
  tensors: StateDict;
  /** Keys of entries that were not tensors (e.g. `epoch`, `optimizer`, `lin.training` is not listed). */
  ignored: string[];
  /** The top-level key the state dict was found under (`state_dict` or `model`), if any. */
  unwrapped?: string;
  /** `module.` when every key carried it and it was stripped. */
  strippedPrefix?: string;
}

/** Keys a training checkpoint nests its state dict under, in order of preference. */
export const NESTED_STATE_DICT_KEYS = ['state_dict', 'model'] as const;
const MODULE_PREFIX = 'module.';

const hasTensor = (value: unknown): value is Map<unknown, unknown> =>
  value instanceof Map && [...value.values()].some((v) => v instanceof RebuiltTensor);

export function getPickledStateDict(root: unknown, where: string): PickledStateDict {
  if (root instanceof RebuiltTensor)
    throw new Error(`checkpoint: ${where} holds a single tensor, not a state dict (save a dict of named tensors)`);
  if (!(root instanceof Map))
    throw new Error(
      `checkpoint: ${where} holds a ${Array.isArray(root) ? 'list' : typeof root}, not a state dict (a dict of named tensors)`,
    );
  const ignored: string[] = [];
  let dict: Map<unknown, unknown> = root;
  let unwrapped: string | undefined;
  if (!hasTensor(root)) {
    unwrapped = NESTED_STATE_DICT_KEYS.find((key) => hasTensor(root.get(key)));
    if (!unwrapped) {
      const keys = [...root.keys()].slice(0, 8).map(String).join(', ');
      throw new Error(
        `checkpoint: ${where} has no tensors at the top level nor under ${NESTED_STATE_DICT_KEYS.map((k) => `'${k}'`).join(' or ')} (top-level keys: ${keys || 'none'})`,
      );
    }
    dict = root.get(unwrapped) as Map<unknown, unknown>;
    for (const key of root.keys()) if (key !== unwrapped) ignored.push(String(key));
  }
  let entries = [...dict.entries()].filter(([key, value]) => {
    const keep = typeof key === 'string' && value instanceof RebuiltTensor;
    if (!keep) ignored.push(unwrapped ? `${unwrapped}.${String(key)}` : String(key));
    return keep;
  }) as [string, RebuiltTensor][];
  let strippedPrefix: string | undefined;
  if (entries.length && entries.every(([key]) => key.startsWith(MODULE_PREFIX))) {
    strippedPrefix = MODULE_PREFIX;
    entries = entries.map(([key, value]) => [key.slice(MODULE_PREFIX.length), value]);
  }
  return { tensors: new Map(entries), ignored, unwrapped, strippedPrefix };
}

/** nn.Module bookkeeping attributes, neither weights nor worth reporting. */
const MODULE_BOOKKEEPING = new Set(['training', '_is_full_backward_hook']);

/**
 * Walks a TorchScript module tree. With `getFields` (the class declarations in `code/`), keys follow
 * `state_dict()`: each module's parameters, then its buffers, then its submodules; other tensor
 * attributes are ignored. Without (or for a class not found), every tensor attribute is kept.
 */
export function flattenScriptModule(
  root: unknown,
  where: string,
  getFields?: (className: string) => ScriptClassFields | undefined,
): PickledStateDict {
  if (!(root instanceof ScriptObject))
    throw new Error(`torchscript: ${where} does not hold a scripted module (found ${typeof root})`);
  const tensors: StateDict = new Map();
  const ignored: string[] = [];
  const seen = new Set<ScriptObject>();
  const walk = (object: ScriptObject, prefix: string) => {
    if (seen.has(object)) return;
    seen.add(object);
    const fields = getFields?.(object.className);
    const stateNames = fields ? [...fields.parameters, ...fields.buffers] : [];
    for (const name of stateNames) {
      const value = object.attributes.get(name);
      if (value instanceof RebuiltTensor) tensors.set(prefix + name, value);
    }
    for (const [name, value] of object.attributes) {
      const key = prefix + name;
      if (value instanceof ScriptObject) walk(value, `${key}.`);
      else if (value instanceof RebuiltTensor && !fields) tensors.set(key, value);
      else if (!(fields && stateNames.includes(name)) && !MODULE_BOOKKEEPING.has(name)) ignored.push(key);
    }
  };
  walk(root, '');
  return { tensors, ignored };
}
