/**
 * Python's `json.dumps`, byte for byte, for the values saev's metadata can hold.
 *
 * saev names a shard directory by `sha256(json.dumps(md, sort_keys=True))` and
 * writes `metadata.json` with `json.dump(md, fd, indent=4)`. Both use Python's
 * defaults: `ensure_ascii=True` (every character outside U+0020..U+007E escaped
 * as lower-case `\uXXXX`, astral characters as surrogate pairs), separators
 * `", "`/`": "` without indent and `","`/`": "` with it, and `float.__repr__`
 * for floats (`1.0`, `1e-05`, `1e+16`, `NaN`, `Infinity`).
 *
 * JavaScript numbers cannot say whether they were a Python int or float, so
 * integral numbers print as ints; wrap a value in `PyFloat` to print it as a
 * float, and use `bigint` for integers of magnitude 2**53 and more. A plain
 * object lists integer-like keys ("10") first, so use a `Map` where such keys
 * must keep Python's insertion order.
 */

/** A number that Python holds as a float (so `1` prints as `1.0`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyJson =
  string | number | bigint | boolean | null | PyFloat | PyJson[] | Map<string, PyJson> | { [key: string]: PyJson };

export interface DumpOptions {
  /** Sort object keys by code point, like `sort_keys=True`. */
  sortKeys?: boolean;
  /** Pretty-print with this many spaces, like `indent=N`. */
  indent?: number;
}

/** `json.dumps(value, sort_keys=..., indent=...)` with Python's other defaults. */
export function pythonJsonDumps(value: PyJson, options: DumpOptions = {}): string {
  return dump(value, options, 0);
}

/** Compares strings by Unicode code point, as Python's `sorted` does for `str`. */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const n = Math.min(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const diff = left[i].codePointAt(0)! - right[i].codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}

function dump(value: PyJson, options: DumpOptions, depth: number): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (typeof value === 'number') {
    return Number.isInteger(value) && !Object.is(value, -0) ? intRepr(value) : pythonFloatRepr(value);
  }
  if (Array.isArray(value)) {
    return container(
      '[',
      ']',
      value.map((item) => dump(item, options, depth + 1)),
      options,
      depth,
    );
  }
  const entries: Array<[string, PyJson]> = value instanceof Map ? [...value.entries()] : Object.entries(value);
  if (options.sortKeys) entries.sort((a, b) => compareCodePoints(a[0], b[0]));
  const items = entries.map(([key, item]) => `${quote(key)}: ${dump(item, options, depth + 1)}`);
  return container('{', '}', items, options, depth);
}

function container(open: string, close: string, items: string[], options: DumpOptions, depth: number): string {
  if (items.length === 0) return open + close;
  if (options.indent === undefined) return open + items.join(', ') + close;
  const inner = '\n' + ' '.repeat(options.indent * (depth + 1));
  const outer = '\n' + ' '.repeat(options.indent * depth);
  return open + inner + items.join(',' + inner) + outer + close;
}

function intRepr(value: number): string {
  if (!Number.isSafeInteger(value)) {
    throw new Error(
      `python-json: integer ${value} is not exact in a JavaScript number (|x| >= 2**53); pass it as a bigint`,
    );
  }
  return value.toString();
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** Python's `py_encode_basestring_ascii`: printable ASCII stays, the rest is escaped per UTF-16 unit. */
function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const unit = text.charCodeAt(i);
    if (SHORT_ESCAPES[ch] !== undefined) out += SHORT_ESCAPES[ch];
    else if (unit >= 0x20 && unit <= 0x7e) out += ch;
    else out += '\\u' + unit.toString(16).padStart(4, '0');
  }
  return out + '"';
}

/**
 * `float.__repr__`: the shortest digits that round-trip (JavaScript and Python
 * agree on those), laid out in fixed notation for exponents -4..15 and in
 * scientific notation with a signed, two-digit-minimum exponent otherwise.
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${head}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1) || '0';
  return `${sign}${whole}.${fraction}`;
}
