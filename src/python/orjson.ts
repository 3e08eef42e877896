/**
 * orjson's `dumps`, byte for byte, for the values saev's protocol 2.1 writes
 * (`metadata.json`, its hash input, `shards.json`): strings, integers,
 * booleans, null, lists and objects in insertion order. Compact output has
 * no whitespace at all; `OPT_INDENT_2` puts every item on its own line, two
 * spaces per level, `": "` after keys, `[]`/`{}` for empty containers and no
 * final newline. Strings are UTF-8 as they are, except `"`, `\` and the C0
 * controls: `\b \t \n \f \r` short, the rest as lower-case `\u00XX`.
 */

export type OrjsonValue = string | number | boolean | null | OrjsonValue[] | { [key: string]: OrjsonValue };

export interface OrjsonOptions {
  /** `orjson.OPT_INDENT_2`. */
  indent2?: boolean;
}

/** `orjson.dumps(value, option=...)` as text (encode it as UTF-8 for the bytes). */
export function orjsonDumps(value: OrjsonValue, options: OrjsonOptions = {}): string {
  return dump(value, options.indent2 === true, 0);
}

function dump(value: OrjsonValue, indent: boolean, depth: number): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new Error(`orjson: only integers within 2**53 are written here, found ${value}`);
    return String(value);
  }
  const items = Array.isArray(value)
    ? value.map((item) => dump(item, indent, depth + 1))
    : Object.entries(value).map(([key, item]) => `${quote(key)}:${indent ? ' ' : ''}${dump(item, indent, depth + 1)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return open + close;
  if (!indent) return open + items.join(',') + close;
  const inner = '\n' + '  '.repeat(depth + 1);
  return open + inner + items.join(',' + inner) + '\n' + '  '.repeat(depth) + close;
}

const SHORT: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
};

function quote(text: string): string {
  return (
    '"' +
    // eslint-disable-next-line no-control-regex -- JSON escapes exactly these control characters
    text.replace(/["\\\u0000-\u001f]/g, (ch) => SHORT[ch] ?? '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')) +
    '"'
  );
}
