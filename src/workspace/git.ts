// Small git helpers the workspace layer and the hand-off need: remote HEAD branch, commits ahead of base,
// push, origin URL → GitHub owner/name, and disk usage of a worktree. Every git call is `raw([...])`: git
// spawned with an argv array; nothing is ever handed to a shell, and every call runs hardened
// (git-safety.ts: no repository hooks or repository-configured programs, an allow-listed environment).
//
// Not simple-git: it sleeps 50 ms after every command that prints nothing (fetch --quiet, worktree prune,
// rev-parse --verify --quiet of a missing ref…), which added ~200 ms of idle waiting to every dispatch.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { WorkspaceError } from '../errors.js';
import { processEnv } from '../config/env.js';
import { safeGit } from './git-safety.js';

/** No output for this long from a git process (e.g. a network fetch hanging) kills it. */
const GIT_BLOCK_TIMEOUT_MS = 5 * 60_000;

/** Git bound to one directory. `raw` resolves with stdout; any non-zero exit rejects with stderr+stdout. */
export interface GitRunner {
  readonly dir: string;
  raw(args: string[]): Promise<string>;
}

export function gitAt(dir: string): GitRunner {
  return { dir, raw: (args) => runGit(dir, args) };
}

/** The daemon's environment, from which safeGit() picks what each call may see. */
const DAEMON_ENV = processEnv();

async function runGit(cwd: string, args: string[]): Promise<string> {
  // git's own words, untranslated (LC_ALL=C): the worktree lock reason ("initializing") and the messages parsed here.
  const safe = await safeGit(cwd, args, DAEMON_ENV);
  return new Promise((resolve, reject) => {
    const child = spawn('git', safe.args, { cwd, env: safe.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let blocked = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        blocked = true;
        child.kill('SIGKILL');
      }, GIT_BLOCK_TIMEOUT_MS);
    };
    arm();
    child.stdout.on('data', (d: Buffer) => (out.push(d), arm()));
    child.stderr.on('data', (d: Buffer) => (err.push(d), arm()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`git ${args[0] ?? ''} could not run: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const why = blocked ? `no output for ${GIT_BLOCK_TIMEOUT_MS / 1000}s; killed` : `exit ${code ?? signal}`;
      reject(new Error(failureText(Buffer.concat([...err, ...out]).toString('utf8'), `git ${args[0] ?? ''} failed (${why})`)));
    });
  });
}

/**
 * git's own complaint ("fatal: …", "error: …") on the first line, which is the one logs and the sticky
 * comment show; progress such as "Preparing worktree (new branch …)" says nothing about the failure.
 */
export function failureText(output: string, fallback: string): string {
  const lines = output.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  const complaints = lines.filter((l) => /^(fatal|error):/i.test(l));
  const head = complaints.length > 0 ? complaints.join('; ') : fallback;
  return [head, ...lines.filter((l) => !complaints.includes(l))].join('\n');
}

/** Run git, returning trimmed stdout, or null when git fails (missing ref, no remote, offline…). */
export async function gitTry(g: GitRunner, args: string[]): Promise<string | null> {
  try {
    return (await g.raw(args)).trim();
  } catch {
    return null;
  }
}

/** Whether a fully qualified ref (refs/heads/x, refs/remotes/origin/x) exists. */
export async function refExists(g: GitRunner, ref: string): Promise<boolean> {
  // Only a printed object id means "exists" (`rev-parse --verify --quiet` fails silently otherwise).
  const out = await gitTry(g, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return out !== null && /^[0-9a-f]{40,64}$/.test(out);
}

/** Which of these fully qualified refs exist, in one git call (for-each-ref matches whole path components). */
export async function existingRefs(g: GitRunner, refs: string[]): Promise<Set<string>> {
  const out = await gitTry(g, ['for-each-ref', '--format=%(refname)', ...refs]);
  const wanted = new Set(refs);
  return new Set((out ?? '').split('\n').filter((r) => wanted.has(r)));
}

/**
 * The remote's default branch: refs/remotes/<remote>/HEAD when set locally, otherwise asked of the remote
 * with `git ls-remote --symref`. null when neither answers.
 */
export async function remoteHeadBranch(repoDir: string, remote = 'origin'): Promise<string | null> {
  const g = gitAt(repoDir);
  const local = await gitTry(g, ['symbolic-ref', '--quiet', `refs/remotes/${remote}/HEAD`]);
  const prefix = `refs/remotes/${remote}/`;
  if (local && local.startsWith(prefix)) return local.slice(prefix.length);
  const out = await gitTry(g, ['ls-remote', '--symref', remote, 'HEAD']);
  const m = out?.match(/^ref:\s+refs\/heads\/(\S+)\s+HEAD$/m);
  return m ? m[1]! : null;
}

/** Commits on HEAD of `worktree` that are not on <remote>/<base> (or the local <base> if never fetched). */
export async function commitsAhead(worktree: string, base: string, remote = 'origin'): Promise<number> {
  const g = gitAt(worktree);
  let baseRef: string | null = null;
  for (const ref of [`refs/remotes/${remote}/${base}`, `refs/heads/${base}`]) {
    if (await refExists(g, ref)) {
      baseRef = ref;
      break;
    }
  }
  if (!baseRef) throw new WorkspaceError('EGIT', `base branch "${base}" exists neither as ${remote}/${base} nor locally.`);
  const out = await g.raw(['rev-list', '--count', `${baseRef}..HEAD`]);
  return Number.parseInt(out.trim(), 10) || 0;
}

/** `git push -u origin <branch>` (spelled as an explicit refspec so no branch can read as an option). */
export async function pushBranch(worktree: string, branch: string, remote = 'origin'): Promise<void> {
  await gitAt(worktree).raw(['push', '-u', remote, `refs/heads/${branch}:refs/heads/${branch}`]);
}

/** `git remote get-url origin`, or null when there is no such remote. */
export async function originUrl(repoDir: string, remote = 'origin'): Promise<string | null> {
  const url = await gitTry(gitAt(repoDir), ['remote', 'get-url', remote]);
  return url ? url : null;
}

export interface GitHubRepoRef {
  owner: string;
  name: string;
  host: string;
}

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * owner/name from a GitHub (or Enterprise) remote URL: https://host/o/r(.git), https://user:tok@host/o/r,
 * ssh://git@host(:port)/o/r.git, git://host/o/r.git, git@host:o/r.git. null for anything else (local paths).
 */
export function parseGitHubRemote(url: string): GitHubRepoRef | null {
  const u = url.trim();
  let host: string;
  let repoPath: string;
  const scp = u.match(/^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/);
  const withScheme = u.match(/^(?:https?|ssh|git|git\+ssh|ssh\+git):\/\/(?:[^@/]*@)?([^/:]+)(?::\d+)?\/(.+)$/i);
  if (withScheme) {
    host = withScheme[1]!;
    repoPath = withScheme[2]!;
  } else if (scp && !u.includes('://')) {
    host = scp[1]!;
    repoPath = scp[2]!;
  } else {
    return null;
  }
  const parts = repoPath.replace(/\/+$/, '').replace(/\.git$/i, '').split('/');
  if (parts.length !== 2) return null;
  const [owner, name] = parts as [string, string];
  if (!SEGMENT.test(owner) || !SEGMENT.test(name) || name === '.' || name === '..' || owner.startsWith('.')) return null;
  return { owner, name, host: host.toLowerCase() };
}

/** Bytes used by the files under `dir` (apparent sizes; symlinks counted, never followed). 0 if missing. */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    let st;
    try {
      st = await fsp.lstat(cur);
    } catch {
      continue; // vanished while walking
    }
    total += st.isDirectory() ? 0 : st.size;
    if (!st.isDirectory()) continue;
    let names: string[];
    try {
      names = await fsp.readdir(cur);
    } catch {
      continue;
    }
    for (const n of names) stack.push(path.join(cur, n));
  }
  return total;
}

/** C-style unquoting for the (rare) quoted paths in `git worktree list --porcelain`. */
function unquote(p: string): string {
  if (p.length < 2 || !p.startsWith('"') || !p.endsWith('"')) return p;
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
  const bytes: number[] = [];
  const body = p.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const oct = body.slice(i + 1, i + 4);
    if (/^[0-7]{3}$/.test(oct)) {
      bytes.push(parseInt(oct, 8));
      i += 3;
    } else {
      const next = body[i + 1] ?? '';
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface PorcelainWorktree {
  path: string;
  /** Short branch name, or null when detached / bare. */
  branch: string | null;
  head: string | null;
  /** Registered but its directory is gone (`git worktree prune` will drop it). */
  prunable: boolean;
  /**
   * `git worktree lock`ed (by an operator, or by git itself while adding): the reason ('' when none was
   * given), or null when not locked.
   */
  locked: string | null;
}

/** Parse `git worktree list --porcelain` (blank-line separated records). */
export function parseWorktreePorcelain(out: string): PorcelainWorktree[] {
  const items: PorcelainWorktree[] = [];
  for (const block of out.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l !== '');
    const first = lines[0];
    if (!first?.startsWith('worktree ')) continue;
    const info: PorcelainWorktree = { path: unquote(first.slice('worktree '.length)), branch: null, head: null, prunable: false, locked: null };
    for (const l of lines.slice(1)) {
      if (l.startsWith('HEAD ')) info.head = l.slice(5);
      else if (l.startsWith('branch ')) info.branch = l.slice(7).replace(/^refs\/heads\//, '');
      else if (l === 'prunable' || l.startsWith('prunable ')) info.prunable = true;
      else if (l === 'locked' || l.startsWith('locked ')) info.locked = l.slice('locked'.length).trim();
    }
    items.push(info);
  }
  return items;
}
