// The house's import graph, read from src/ with TypeScript's own pre-processor (static imports,
// `export … from`, `import()` and `import('…')` types alike), and the one floor order that
// scripts/house-numbers.mjs prints and test/unit/architecture.test.ts enforces.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

// Floors from the bottom up: a file may import its own floor or any floor below it. A key is a top-level
// folder of src/, a loose file's name without `.ts`, or a file path without `.ts` (the most specific key
// wins). Several keys may share a floor.
export const FLOORS = [
  // Helpers that know nothing of swarm's rules, and its errors.
  ['errors', 'util'],
  // WORKFLOW.md (its settings and its prompt template), and the contracts the rules decide on: a ticket, a
  // pull request's observed state, an agent run and its outcome — shapes only.
  ['config', 'prompt', 'tracker/types', 'tracker/pr-watch', 'tracker/merge-host', 'agent/types'],
  ['core'],
  ['log'],
  ['state', 'containment', 'workspace', 'agent', 'tracker', 'webhooks', 'publish'],
  // The shared Claude account and the fleet's contracts (leases, control relay, view, the fence, identity).
  ['account', 'fleet'],
  // Each store whole, chosen once (backend/open.ts): embedded/ (files) and postgres/ (all of PostgreSQL).
  // Nothing below imports it; start-up wiring (commands/start.ts) and the commands that read a store do.
  ['backend'],
  ['report'],
  ['orchestrator', 'services'],
  ['server', 'control'],
  ['doctor'],
  ['commands'],
  ['cli'],
];

/** The floor key of a src-relative path: its top folder, or a loose file's name. */
export function floorKey(rel) {
  const file = rel.replace(/\.ts$/, '');
  if (FLOORS.some((f) => f.includes(file))) return file;
  return file.split('/')[0];
}

export function floorRank(rel) {
  const key = floorKey(rel);
  const i = FLOORS.findIndex((f) => f.includes(key));
  return i;
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every .ts file under srcDir with its source text and imports (relative ones resolved to src paths). */
export function readHouse(srcDir) {
  const root = resolve(srcDir);
  const files = walk(root).map((abs) => {
    const rel = relative(root, abs).split(sep).join('/');
    const text = readFileSync(abs, 'utf8');
    const specs = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
    const imports = [];
    const external = [];
    for (const spec of specs) {
      if (spec.startsWith('.')) {
        const target = relative(root, resolve(dirname(abs), spec)).split(sep).join('/').replace(/\.js$/, '.ts');
        imports.push(target);
      } else external.push(spec);
    }
    return { rel, text, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), imports: [...new Set(imports)], external: [...new Set(external)] };
  });
  return files;
}

/** Strongly connected components with more than one file (Tarjan). */
export function circles(files) {
  const graph = new Map(files.map((f) => [f.rel, f.imports.filter((t) => t !== f.rel)]));
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], out = [];
  const strong = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out;
}

/** Imports from a file to a file on a higher floor (unknown floors count as the top). */
export function upward(files) {
  const out = [];
  for (const f of files) {
    const from = floorRank(f.rel);
    for (const t of f.imports) {
      const to = floorRank(t);
      const rankFrom = from < 0 ? FLOORS.length : from;
      const rankTo = to < 0 ? FLOORS.length : to;
      if (rankTo > rankFrom) out.push({ from: f.rel, to: t });
    }
  }
  return out;
}

export function numbers(files) {
  const folders = new Set(files.filter((f) => f.rel.includes('/')).map((f) => f.rel.split('/')[0]));
  const allDirs = new Set(files.filter((f) => f.rel.includes('/')).map((f) => f.rel.slice(0, f.rel.lastIndexOf('/'))));
  return {
    files: files.length,
    floors: folders.size,
    folders: allDirs.size,
    loose: files.filter((f) => !f.rel.includes('/')).map((f) => f.rel),
    circles: circles(files),
    upward: upward(files),
    unranked: [...new Set(files.map((f) => floorKey(f.rel)).filter((k) => !FLOORS.some((fl) => fl.includes(k))))],
    over300: files.filter((f) => f.lines > 300).map((f) => `${f.rel} (${f.lines})`),
  };
}
