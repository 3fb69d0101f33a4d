// A real temporary git repository for tests: a bare `origin`, a clone-like working repo with an initial
// commit on the base branch pushed to it, and user.name/user.email set locally (no global config needed).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestRepo {
  /** The working repository (its `origin` remote is the bare repo). */
  dir: string;
  /** The bare repository serving as `origin`. */
  origin: string;
  /** The temp folder holding both; free for other fixtures. */
  base: string;
  cleanup(): void;
}

export interface MakeRepoOptions {
  /** Default "main". */
  baseBranch?: string;
  /** Extra files for the initial commit (path → content). */
  files?: Record<string, string>;
  /** Also record refs/remotes/origin/HEAD (as a clone would). Default false. */
  setRemoteHead?: boolean;
}

const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

/** Run git in `dir` with an argv array; resolves with stdout (trailing newline trimmed). */
export function git(dir: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd: dir, env: GIT_ENV, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(Object.assign(new Error(`git ${args.join(' ')} failed in ${dir}: ${stderr || err.message}`), { stderr }));
      } else {
        resolve(stdout.replace(/\n$/, ''));
      }
    });
  });
}

export async function makeRepo(opts: MakeRepoOptions = {}): Promise<TestRepo> {
  const branch = opts.baseBranch ?? 'main';
  // realpath: macOS /var → /private/var, so paths compare equal to what git reports.
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-git-')));
  const origin = path.join(base, 'origin.git');
  const dir = path.join(base, 'repo');
  fs.mkdirSync(dir);
  await git(base, 'init', '--quiet', '--bare', '-b', branch, origin);
  await git(dir, 'init', '--quiet', '-b', branch);
  await git(dir, 'config', 'user.name', 'Swarm Test');
  await git(dir, 'config', 'user.email', 'swarm-test@example.invalid');
  await git(dir, 'config', 'commit.gpgsign', 'false');
  await git(dir, 'config', 'core.hooksPath', '/dev/null');
  await git(dir, 'remote', 'add', 'origin', origin);
  const files = { 'README.md': '# test repo\n', ...(opts.files ?? {}) };
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  await git(dir, 'add', '--all');
  await git(dir, 'commit', '--quiet', '-m', 'initial commit');
  await git(dir, 'push', '--quiet', '-u', 'origin', branch);
  if (opts.setRemoteHead) await git(dir, 'remote', 'set-head', 'origin', branch);
  return {
    dir,
    origin,
    base,
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}
