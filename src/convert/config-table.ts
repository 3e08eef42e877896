/**
 * Reads a config file beside a checkpoint (open_clip_config.json, HF or timm config.json) through a declarative
 * table: which config key (a dotted path such as `model_args.embed_dim`) fills which of our fields, and what JSON
 * type it must hold. Families (models/*.ts) write the table; derived values stay as explicit lines after the read.
 * A key that is absent or null is not stated; a value of the wrong type is refused in one line naming file and key.
 */

/** One table row: where the value sits and how it becomes ours (`V`). */
export interface ConfigField<V> {
  /** Dotted path from the object read (`hidden_size`, `model_cfg.timm_kwargs.embed_dim`). */
  key: string;
  /** The value's JSON type, for messages. */
  expected: string;
  /** Ours, or undefined when the value has the wrong type (`convert` refuses it). */
  parse(value: unknown): V | undefined;
  /** Used when the key is absent (HF's own defaults, e.g. `hidden_act` of a CLIPVisionConfig). */
  fallback?: unknown;
  /** A value that parses to undefined is refused with this instead (a mapping names what it supports). */
  refuse?(value: unknown): string;
}

/** Which config key fills which field of `T`. */
export type ConfigTable<T> = { [K in keyof T]?: ConfigField<T[K]> };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const typed =
  <V>(expected: string, test: (value: unknown) => value is V) =>
  (key: string, fallback?: V): ConfigField<V> => ({
    key,
    expected,
    parse: (value) => (test(value) ? value : undefined),
    fallback,
  });

/** A JSON number. */
export const num = typed('a number', (v): v is number => typeof v === 'number');
/** A JSON string. */
export const str = typed('a string', (v): v is string => typeof v === 'string');
/** A JSON boolean. */
export const bool = typed('a boolean', (v): v is boolean => typeof v === 'boolean');
/** Three numbers (a per-channel mean or std). */
export const rgb = typed(
  'three numbers',
  (v): v is [number, number, number] => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number'),
);

/**
 * The side of a square input: a number, or an array ending in height and width (open_clip's `image_size` `[h, w]`,
 * timm's `input_size` `[c, h, w]`); a non-square one is refused, as anything that is neither.
 */
export function squareSide(key: string): ConfigField<number> {
  const sidesOf = (value: unknown) => (Array.isArray(value) ? value.slice(-2) : [value, value]);
  return {
    key,
    expected: 'a number or [height, width]',
    parse(value) {
      const [h, w] = sidesOf(value);
      return typeof h === 'number' && h === w ? h : undefined;
    },
    refuse(value) {
      const [h, w] = sidesOf(value);
      return typeof h === 'number' && typeof w === 'number'
        ? `${showValue(value)} is not square, which is not supported`
        : `is ${showValue(value)}, expected a number or [height, width]`;
    },
  };
}

/**
 * A string from a fixed set, mapped to ours (HF's `hidden_act` names to GELU variants); anything else is refused
 * as `<key> '<value>' is not supported (<the names>)`.
 */
export function oneOf<V>(key: string, values: Readonly<Record<string, V>>, fallback?: string): ConfigField<V> {
  const names = Object.keys(values);
  return {
    key,
    expected: `one of ${names.join(', ')}`,
    parse: (value) => (typeof value === 'string' && Object.hasOwn(values, value) ? values[value] : undefined),
    fallback,
    refuse: (value) => `'${String(value)}' is not supported (${names.join(', ')})`,
  };
}

function showValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
}

/** The value at `field.key` in `json` as ours; undefined when not stated. */
export function readConfigValue<V>(json: Record<string, unknown>, field: ConfigField<V>, file: string): V | undefined {
  let value: unknown = json;
  const parts = field.key.split('.');
  for (const [i, part] of parts.entries()) {
    if (value === undefined || value === null) break;
    if (!isRecord(value))
      throw new Error(`convert: ${file}: ${parts.slice(0, i).join('.')} is ${showValue(value)}, expected an object`);
    value = value[part];
  }
  if (value === null) value = undefined;
  if (value === undefined) value = field.fallback;
  if (value === undefined) return undefined;
  const parsed = field.parse(value);
  if (parsed !== undefined) return parsed;
  if (field.refuse) throw new Error(`convert: ${file}: ${field.key} ${field.refuse(value)}`);
  throw new Error(`convert: ${file}: ${field.key} is ${showValue(value)}, expected ${field.expected}`);
}

/** The fields of `T` that `json` states, read through `table` (fields it leaves unstated are left out). */
export function readConfigTable<T>(json: Record<string, unknown>, table: ConfigTable<T>, file: string): Partial<T> {
  const out: Partial<T> = {};
  for (const name of Object.keys(table) as Array<keyof T>) {
    const value = readConfigValue(json, table[name] as ConfigField<T[keyof T]>, file);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
