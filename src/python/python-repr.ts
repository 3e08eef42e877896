/**
 * Python's `repr` for the scalars in a dataset config, so `metadata.json`'s
 * `data` field reads exactly like saev's `str(cfg.data)`, e.g.
 * `ImageFolderDataset(root='./data/split')`.
 */

/** `repr(s)` for a Python 3 `str`. */
export function pythonStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (code > 0x7f && !isPrintable(ch)) out += escapeWide(code);
    else out += ch;
  }
  return out + quote;
}

/** Python's `str.isprintable` for one character: not Other (C*) and not a separator (Z*) other than space. */
function isPrintable(ch: string): boolean {
  return !/[\p{C}\p{Z}]/u.test(ch);
}

function escapeWide(code: number): string {
  if (code <= 0xff) return '\\x' + code.toString(16).padStart(2, '0');
  if (code <= 0xffff) return '\\u' + code.toString(16).padStart(4, '0');
  return '\\U' + code.toString(16).padStart(8, '0');
}

/** `ClassName(a=1, b='x')`, the repr of a frozen dataclass with these fields in order. */
export function pythonDataclassRepr(className: string, fields: Array<[string, string | number | boolean]>): string {
  const parts = fields.map(([name, value]) => `${name}=${formatValue(value)}`);
  return `${className}(${parts.join(', ')})`;
}

function formatValue(value: string | number | boolean): string {
  if (typeof value === 'string') return pythonStrRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}
