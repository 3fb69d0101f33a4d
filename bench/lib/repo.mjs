// Real git repositories for the bench: a working repo whose `origin` is a bare repo in the same temp
// folder, with N generated files in the initial commit (the dispatch target uses 20,000).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Swarm Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Swarm Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

/** Run git with an argv array in `cwd`; resolves with trimmed stdout. */
export function git(cwd, ...args) {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr || err.message}`));
      else resolve(String(stdout).trim());
    });
  });
}

/** Write `count` small source-like files, 100 per folder. */
function generateFiles(dir, count) {
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, 'src', `mod${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, `file${i}.ts`), `// generated file ${i}\nexport const value${i} = ${i};\nexport function f${i}(x: number): number {\n  return x * ${i % 97} + ${i};\n}\n`);
  }
}

/**
 * A repository like a user's clone: `dir` (branch main, pushed, origin/HEAD set) and `origin` (bare).
 * `.swarm/` is git-ignored. `files` generated files besides README.md and .gitignore.
 */
export async function makeRepo({ files = 0, prefix = 'swarm-bench-' } = {}) {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(process.env.SWARM_BENCH_TMP || os.tmpdir(), prefix)));
  const origin = path.join(base, 'origin.git');
  const dir = path.join(base, 'repo');
  fs.mkdirSync(dir);
  await git(base, 'init', '--quiet', '--bare', '-b', 'main', origin);
  await git(dir, 'init', '--quiet', '-b', 'main');
  await git(dir, 'config', 'commit.gpgsign', 'false');
  await git(dir, 'config', 'core.hooksPath', '/dev/null');
  // A clone's objects are packed; 20,000 loose ones would make git start a background `gc --auto` in the
  // middle of a measurement. Pack once below and never auto-gc.
  await git(dir, 'config', 'gc.auto', '0');
  await git(dir, 'remote', 'add', 'origin', origin);
  fs.writeFileSync(path.join(dir, 'README.md'), '# bench repo\n');
  fs.writeFileSync(path.join(dir, '.gitignore'), '.swarm/\n');
  generateFiles(dir, files);
  await git(dir, 'add', '--all');
  await git(dir, 'commit', '--quiet', '-m', 'initial commit');
  await git(dir, 'repack', '-adq');
  await git(dir, 'push', '--quiet', '-u', 'origin', 'main');
  await git(dir, 'remote', 'set-head', 'origin', 'main');
  return { base, dir, origin, cleanup: () => fs.rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }) };
}
