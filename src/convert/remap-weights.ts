/**
 * The weight remapper: upstream state dict in, our model's weights out.
 * `renameTensors` recognises the checkpoint's format and renames its keys
 * by the family's table (nothing is read yet); `getTfjsValues` reads one
 * weight, applies the tensor fixes and turns torch layout into tfjs layout,
 * in this one place:
 * Linear `[out, in]` -> Dense kernel `[in, out]`, Conv `[O, I, kh, kw]` ->
 * `[kh, kw, I, O]`, everything else reshaped (leading 1s dropped).
 */
import { tf } from '../tf.js';
import type { StateDict } from '../checkpoint/state-dict.js';
import { permute } from './permute.js';
import type { CheckpointFormat, CheckpointSpec, FixContext, KeyRename, TorchTensor } from '../vit/checkpoint-spec.js';

/** One of our weights, found in the checkpoint but not read yet. */
export interface RenamedTensor {
  /** Upstream keys (full, with prefix) it is made of, in part order. */
  sources: string[];
  /** torch shape after stacking the parts. */
  shape: number[];
  read(): TorchTensor;
}

export interface Renamed {
  format: CheckpointFormat;
  tensors: Map<string, RenamedTensor>;
  /** Tower keys skipped on purpose (the family's ignore list). */
  ignored: string[];
  /** Tower keys nothing knows, skipped because strict is off. */
  unknown: string[];
}

export interface RemapContext {
  /** The checkpoint's file name, for messages. */
  file: string;
  /** The family's name, for messages. */
  family: string;
}

const INDEX = '{i}';

function templateRegExp(template: string): RegExp {
  const escaped = template.split(INDEX).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('(\\d+)')}$`);
}

/** Applies the first matching rule; returns the target and the rule, or null. */
function renameKey(key: string, renames: readonly KeyRename[]): { to: string; rule: KeyRename } | null {
  for (const rule of renames) {
    const match = templateRegExp(rule.from).exec(key);
    if (match) return { to: match[1] === undefined ? rule.to : rule.to.split(INDEX).join(match[1]), rule };
  }
  return null;
}

/** The upstream key(s) a weight name is expected under, for 'missing key' messages. */
export function getExpectedKeys(target: string, format: CheckpointFormat): string[] {
  const keys: string[] = [];
  for (const rule of format.renames) {
    const match = templateRegExp(rule.to).exec(target);
    if (match) keys.push(format.prefix + (match[1] === undefined ? rule.from : rule.from.split(INDEX).join(match[1])));
    if (match && !rule.part) break;
  }
  return keys;
}

/** Whether `format` leaves our weight `target` (or parts of it) out, to keep the value the model is built with. */
function isUnstored(target: string, format: CheckpointFormat): boolean {
  return format.unstored?.some((pattern) => pattern.test(target)) ?? false;
}

export function detectFormat(keys: ReadonlySet<string>, spec: CheckpointSpec, context: RemapContext): CheckpointFormat {
  const format = spec.formats.find((f) => f.markers.every((marker) => keys.has(marker)));
  if (!format) {
    const wanted = spec.formats.map((f) => `${f.name}: ${f.markers.join(' + ')}`).join('; ');
    throw new Error(
      `weights: ${context.file} is not a ${context.family} checkpoint (none of its marker keys found; looked for ${wanted})`,
    );
  }
  return format;
}

function stack(parts: TorchTensor[]): TorchTensor {
  const [first] = parts;
  const shape = [parts.reduce((n, p) => n + p.shape[0], 0), ...first.shape.slice(1)];
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  return { shape, data };
}

export function renameTensors(state: StateDict, spec: CheckpointSpec, strict: boolean, context: RemapContext): Renamed {
  const format = detectFormat(new Set(state.keys()), spec, context);
  const parts = new Map<string, Array<string | undefined>>();
  const ignored: string[] = [];
  const unknown: string[] = [];
  for (const key of state.keys()) {
    if (!key.startsWith(format.prefix)) continue;
    const local = key.slice(format.prefix.length);
    const renamed = renameKey(local, format.renames);
    if (!renamed) {
      if (format.ignore.some((pattern) => pattern.test(local))) ignored.push(key);
      else if (strict)
        throw new Error(
          `weights: unknown key ${key} in ${context.file} (not used by ${context.family}; pass --no-strict to skip it)`,
        );
      else unknown.push(key);
      continue;
    }
    const [k, n] = renamed.rule.part ?? [0, 1];
    const slots = parts.get(renamed.to) ?? new Array<string | undefined>(n).fill(undefined);
    slots[k] = key;
    parts.set(renamed.to, slots);
  }
  const tensors = new Map<string, RenamedTensor>();
  for (const [target, slots] of parts) {
    const missing = slots.findIndex((slot) => slot === undefined);
    if (missing >= 0 && !isUnstored(target, format)) {
      const expected = getExpectedKeys(target, format)[missing] ?? `part ${missing} of ${target}`;
      throw new Error(`weights: missing key ${expected} in ${context.file} (expected by ${context.family})`);
    }
    const sources = slots.filter((slot): slot is string => slot !== undefined);
    // A part this layout does not store is zeros of the shape of the parts it does.
    const partShape = state.get(sources[0])!.shape;
    const shapes = slots.map((key) => (key === undefined ? partShape : state.get(key)!.shape));
    let shape = shapes.length === 1 ? [...shapes[0]] : [shapes.reduce((n, s) => n + s[0], 0), ...shapes[0].slice(1)];
    const reshapes = spec.fixes.filter((fix) => fix.reshape && fix.target.test(target));
    for (const fix of reshapes) shape = fix.reshape!(shape);
    const read = (): TorchTensor => {
      const tensors = slots.map((key, k) =>
        key === undefined
          ? { shape: shapes[k], data: new Float32Array(shapes[k].reduce((n, d) => n * d, 1)) }
          : { shape: state.get(key)!.shape, data: state.get(key)!.toFloat32() },
      );
      const tensor = tensors.length === 1 ? tensors[0] : stack(tensors);
      return { shape, data: tensor.data };
    };
    const tensor = { sources, shape, read };
    tensors.set(target, format.clsPositionFolded && target === POSITIONS ? withZeroClsPosition(tensor) : tensor);
  }
  return { format, tensors, ignored, unknown };
}

const POSITIONS = 'tokens/positions';

/** Positions over the patches only (`clsPositionFolded`) as positions over CLS + patches: a zero CLS row first. */
function withZeroClsPosition(tensor: RenamedTensor): RenamedTensor {
  const shape = [...tensor.shape];
  const width = shape[shape.length - 1];
  shape[shape.length - 2] += 1; // [.., P, D] -> [.., 1 + P, D]
  const read = (): TorchTensor => {
    const data = new Float32Array(tensor.shape.reduce((n, d) => n * d, 1) + width);
    data.set(tensor.read().data, width);
    return { shape, data };
  };
  return { sources: tensor.sources, shape, read };
}

/** The torch shape a tfjs weight of this name and shape comes from. */
export function getTorchShape(name: string, tfShape: readonly number[]): number[] {
  if (name.endsWith('kernel') && tfShape.length === 2) return [tfShape[1], tfShape[0]];
  if (name.endsWith('kernel') && tfShape.length === 4) return [tfShape[3], tfShape[2], tfShape[0], tfShape[1]];
  return [...tfShape];
}

/** torch layout to tfjs layout (plain arrays, no backend); `tfShape` is the destination's shape. */
function toTfjsLayout(name: string, tensor: TorchTensor, tfShape: readonly number[]): Float32Array {
  if (name.endsWith('kernel') && tfShape.length === 2) return permute(tensor.data, tensor.shape, [1, 0]);
  if (name.endsWith('kernel') && tfShape.length === 4) return permute(tensor.data, tensor.shape, [2, 3, 1, 0]);
  return tensor.data; // a reshape: same values, same order
}

const dropLeadingOnes = (shape: readonly number[]) => {
  const first = shape.findIndex((n) => n !== 1);
  return first < 0 ? [] : shape.slice(first);
};
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((n, i) => n === b[i]);

/** A weight the checkpoint's layout does not store (DINOv3's RoPE table): it keeps the value the layer built. */
export function isComputedWeight(name: string, renamed: Renamed): boolean {
  return !renamed.tensors.has(name) && isUnstored(name, renamed.format);
}

/**
 * Checks, before any value is read, that the checkpoint has a tensor for
 * every weight named (unless it is computed: `isComputedWeight`) and that
 * every tensor it has maps to one of them.
 */
export function checkWeightNames(names: readonly string[], renamed: Renamed, context: RemapContext): void {
  const unused = new Set(renamed.tensors.keys());
  for (const name of names) {
    if (!renamed.tensors.has(name) && !isComputedWeight(name, renamed)) {
      const [expected] = getExpectedKeys(name, renamed.format);
      throw new Error(`weights: missing key ${expected ?? name} in ${context.file} (expected by ${context.family})`);
    }
    unused.delete(name);
  }
  if (unused.size > 0) {
    const name = [...unused][0];
    throw new Error(
      `weights: ${renamed.tensors.get(name)!.sources[0]} in ${context.file} maps to ${name}, which this ${context.family} architecture does not have`,
    );
  }
}

/**
 * One weight's values in tfjs layout, row-major for `tfShape`: read from the
 * checkpoint, fixed by the family's tensor fixes, shape-checked and turned
 * around. Only this weight is in memory (a few copies of it, briefly).
 */
export function getTfjsValues(
  name: string,
  tfShape: readonly number[],
  renamed: Renamed,
  spec: CheckpointSpec,
  fixContext: FixContext,
  context: RemapContext,
): Float32Array {
  const entry = renamed.tensors.get(name);
  if (!entry)
    throw new Error(
      `weights: missing key ${getExpectedKeys(name, renamed.format)[0] ?? name} in ${context.file} (expected by ${context.family})`,
    );
  let tensor = entry.read();
  for (const fix of spec.fixes) if (fix.apply && fix.target.test(name)) tensor = fix.apply(tensor, fixContext);
  const wanted = getTorchShape(name, tfShape);
  const fits = name.endsWith('kernel')
    ? sameShape(tensor.shape, wanted)
    : sameShape(dropLeadingOnes(tensor.shape), dropLeadingOnes(wanted));
  if (!fits) {
    throw new Error(
      `weights: ${entry.sources.join(' + ')} in ${context.file} has shape [${entry.shape.join(', ')}]` +
        `${sameShape(entry.shape, tensor.shape) ? '' : ` (fixed to [${tensor.shape.join(', ')}])`}, expected [${wanted.join(', ')}] by ${context.family}`,
    );
  }
  return toTfjsLayout(name, tensor, tfShape);
}

/**
 * Reads, fixes and lays out every weight `model` has, then sets them (the
 * whole model in memory; the converter streams with `getTfjsValues` instead).
 * Every model weight must be found, unless the layout does not store it (it
 * keeps its built value); a checkpoint tensor nothing uses is an error.
 */
export function assignWeights(
  model: tf.LayersModel,
  renamed: Renamed,
  spec: CheckpointSpec,
  fixContext: FixContext,
  context: RemapContext,
): void {
  checkWeightNames(
    model.weights.map((weight) => weight.originalName),
    renamed,
    context,
  );
  const values: tf.Tensor[] = [];
  try {
    for (const weight of model.weights) {
      if (isComputedWeight(weight.originalName, renamed)) {
        values.push(tf.clone(weight.read()));
        continue;
      }
      const tfShape = weight.shape as number[];
      values.push(
        tf.tensor(getTfjsValues(weight.originalName, tfShape, renamed, spec, fixContext, context), tfShape, 'float32'),
      );
    }
    model.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}
