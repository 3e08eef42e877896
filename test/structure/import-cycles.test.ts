/**
 * The design's direction of dependency, checked: no import cycle among the
 * .ts files of src/, models/ and commands/. Relative imports are read with a
 * regex (`from '…'`, `import('…')`, bare `import '…'`), `.js` resolved to
 * `.ts` and a directory to its `index.ts`. `import type` counts too: a cycle
 * of types is still two files that cannot be understood apart. Folders are
 * checked too: `models/`, `commands/`, each folder of src/ and each file at
 * src/'s top is one unit, and no two units may depend on each other.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const roots = ['src', 'models', 'commands'];

function listTs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTs(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)];
  return specs.map((m) => resolveImport(file, m[1])).filter((p): p is string => p !== undefined);
}

/** Strongly connected components of more than one file (or a file importing itself), by Tarjan. */
function findCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** One concrete loop through a component, for the message: a -> b -> ... -> a. */
function loopThrough(component: string[], graph: Map<string, string[]>): string[] {
  const inside = new Set(component);
  const start = component[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

/** `models`, `commands`, `src/<folder>`, or `src/<file>.ts` for a file at src/'s top. */
function unitOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? `src/${parts[1]}` : parts[0] === 'src' ? path : parts[0];
}

describe('import structure', () => {
  const files = roots.flatMap((r) => listTs(join(root, r)));
  const name = (p: string) => relative(root, p);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('has no import cycle among the files of src/, models/ and commands/', () => {
    const cycles = findCycles(graph).map(
      (c) => `${c.length} files: ${c.map(name).join(', ')}\n    e.g. ${loopThrough(c, graph).map(name).join(' -> ')}`,
    );
    expect(cycles, `import cycles:\n  ${cycles.join('\n  ')}`).toEqual([]);
  });

  it('has no import cycle among the folders (models/, commands/, src/<folder>/, src/<file>.ts)', () => {
    const units = new Map<string, string[]>();
    const witness = new Map<string, string>();
    for (const [file, targets] of graph) {
      const from = unitOf(name(file));
      for (const target of targets) {
        const to = unitOf(name(target));
        if (from === to) continue;
        units.set(from, [...(units.get(from) ?? []), to]);
        if (!witness.has(`${from} ${to}`)) witness.set(`${from} ${to}`, `${name(file)} -> ${name(target)}`);
      }
    }
    const cycles = findCycles(units).map((c) => {
      const loop = loopThrough(c, units);
      const edges = loop.slice(1).map((to, i) => witness.get(`${loop[i]} ${to}`));
      return `${c.join(', ')}\n    e.g. ${edges.join('; ')}`;
    });
    expect(cycles, `folder cycles:\n  ${cycles.join('\n  ')}`).toEqual([]);
  });
});
