// The bench drives swarm against the same fake GitHub the test suite uses (test/helpers/fake-github.ts),
// so request counts and 304s are judged by exactly the server the tests trust. That file is TypeScript and
// Node 20 cannot run it directly: compile it (and the two modules it imports) with the project's own tsc
// into a temp folder once per bench run (~3 s), then import the JavaScript.
//
// Each logged request also gets `at` (epoch ms when it arrived) for the latency targets: the fake logs
// every request with requests.push(entry) as it arrives, so wrapping push on that array stamps it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.mjs';

let compiled = null;

function compile() {
  if (compiled) return compiled;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-bench-fakegh-'));
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const tsconfig = path.join(out, 'tsconfig.json');
  fs.writeFileSync(tsconfig, JSON.stringify({
    compilerOptions: {
      outDir: out, rootDir: path.join(ROOT, 'test', 'helpers'), module: 'nodenext', moduleResolution: 'nodenext',
      target: 'es2022', strict: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    },
    files: [path.join(ROOT, 'test', 'helpers', 'fake-github.ts')],
  }));
  try {
    execFileSync(process.execPath, [tsc, '-p', tsconfig], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`could not compile test/helpers/fake-github.ts for the bench:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
  fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  compiled = out;
  process.once('exit', cleanupCompiled); // also when a caller never calls it
  return out;
}

/** Start the suite's fake GitHub; requests carry `at` (arrival time, epoch ms). */
export async function startFakeGitHub(opts = {}) {
  const dir = compile();
  const mod = await import(pathToFileURL(path.join(dir, 'fake-github.js')).href);
  const gh = await mod.startFakeGitHub(opts);
  const reqs = gh.requests;
  reqs.push = function stamp(...entries) {
    for (const e of entries) e.at = Date.now();
    return Array.prototype.push.apply(this, entries);
  };
  return gh;
}

export function cleanupCompiled() {
  if (compiled) fs.rmSync(compiled, { recursive: true, force: true });
  compiled = null;
}
