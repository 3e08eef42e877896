/**
 * Which attributes of a TorchScript class are parameters and buffers, read
 * as text from the class declaration torch.jit.save writes under `code/`
 * (`class Linear(Module):\n  __parameters__ = ["weight", "bias", ]\n
 * __buffers__ = []`). The source is only pattern-matched, never run. A class
 * `__torch__.a.b.Name` is declared in `code/__torch__/a/b.py`.
 */

export interface ScriptClassFields {
  parameters: string[];
  buffers: string[];
}

/** The source file (relative to `code/`) that declares the TorchScript class `qualifiedName`. */
export function getScriptClassFile(qualifiedName: string): { file: string; className: string } {
  const dot = qualifiedName.lastIndexOf('.');
  return { file: `${qualifiedName.slice(0, dot).replace(/\./g, '/')}.py`, className: qualifiedName.slice(dot + 1) };
}

function parseNameList(text: string): string[] | undefined {
  const names: string[] = [];
  const body = text.trim();
  if (!body) return names;
  for (const item of body.split(',')) {
    const name = item.trim();
    if (!name) continue;
    const match = /^"([^"]*)"$/.exec(name) ?? /^'([^']*)'$/.exec(name);
    if (!match) return undefined;
    names.push(match[1]);
  }
  return names;
}

/** The parameter and buffer names declared for `className` in `source`, or undefined if the class is not there. */
export function getScriptClassFields(source: string, className: string): ScriptClassFields | undefined {
  const lines = source.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`class ${className}(`));
  if (start < 0) return undefined;
  let parameters: string[] | undefined;
  let buffers: string[] | undefined;
  for (let i = start + 1; i < lines.length && (lines[i].startsWith(' ') || lines[i] === ''); i++) {
    const match = /^\s+(__parameters__|__buffers__) = \[(.*)\]\s*$/.exec(lines[i]);
    if (!match) continue;
    if (match[1] === '__parameters__') parameters = parseNameList(match[2]);
    else buffers = parseNameList(match[2]);
  }
  return parameters && buffers ? { parameters, buffers } : undefined;
}
