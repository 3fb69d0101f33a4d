// The git verification after merge needs, in one small module: fetch the base, read a commit's parents and
// its place on the base, count the commits a rebase merge put there, make and remove a clean detached
// checkout (for hooks.after_merge and verify.command, and to build a revert in), revert, and push a revert
// to the base. Every call goes through gitAt() (an argv array, never a shell); nothing is ever forced.
import * as fs from 'node:fs';
import { gitAt, gitTry } from './git.js';

const SHA = /^[0-9a-f]{40,64}$/;
/** Who a revert is committed as when the repository names nobody (git refuses to commit without one). */
const FALLBACK_IDENTITY = ['-c', 'user.name=swarm', '-c', 'user.email=swarm@users.noreply.invalid'];

/** `+refs/heads/<base>:refs/remotes/<remote>/<base>` (throws when the remote cannot be reached). */
export async function fetchBase(repoDir: string, base: string, remote = 'origin'): Promise<void> {
  await gitAt(repoDir).raw(['fetch', '--quiet', remote, `+refs/heads/${base}:refs/remotes/${remote}/${base}`]);
}

/** The commit's parents (first parent first), or null when the commit is not here. */
export async function commitParents(repoDir: string, sha: string): Promise<string[] | null> {
  if (!SHA.test(sha)) return null;
  const out = await gitTry(gitAt(repoDir), ['rev-list', '--parents', '-n', '1', sha]);
  return out ? out.split(/\s+/).slice(1).filter((p) => SHA.test(p)) : null;
}

/** Whether `sha` is on the base branch as last fetched. */
export async function onBase(repoDir: string, sha: string, base: string, remote = 'origin'): Promise<boolean> {
  if (!SHA.test(sha)) return false;
  return (await gitTry(gitAt(repoDir), ['merge-base', '--is-ancestor', sha, `refs/remotes/${remote}/${base}`])) !== null;
}

/** The base branch's first-parent history, newest first, at most `n` commits (optionally starting at `from`). */
export async function firstParents(repoDir: string, base: string, n: number, remote = 'origin'): Promise<string[]> {
  const out = await gitTry(gitAt(repoDir), ['rev-list', '--first-parent', `--max-count=${n}`, `refs/remotes/${remote}/${base}`]);
  return out ? out.split('\n').map((l) => l.trim()).filter((l) => SHA.test(l)) : [];
}

/**
 * How many commits ending at `mergeSha` repeat the PR's commits ending at `prHead` (same messages, in the
 * same order): a rebase merge of N commits gives N; a squash (a new message) or a merge commit gives at
 * most 1. At most `max` are compared.
 */
export async function rebasedCount(repoDir: string, mergeSha: string, prHead: string, max = 50): Promise<number> {
  const g = gitAt(repoDir);
  const messages = async (ref: string) => ((await gitTry(g, ['log', '--first-parent', `--max-count=${max}`, '--format=%B%x00', ref])) ?? '').split('\0').map((m) => m.trim());
  const [merged, pr] = await Promise.all([messages(mergeSha), messages(prHead)]);
  let n = 0;
  while (n < merged.length && n < pr.length && merged[n] !== '' && merged[n] === pr[n]) n++;
  return n;
}

/** The commit of the base (as fetched) that reverts `sha`, when one is there already. */
export async function revertOnBase(repoDir: string, sha: string, base: string, remote = 'origin'): Promise<string | null> {
  const out = await gitTry(gitAt(repoDir), ['log', '--max-count=1', '--format=%H', '--fixed-strings', `--grep=This reverts commit ${sha}`, `${sha}..refs/remotes/${remote}/${base}`]);
  return out && SHA.test(out) ? out : null;
}

/** The commit a remote branch points at (asked of the remote), or null when it has no such branch. */
export async function remoteBranch(repoDir: string, branch: string, remote = 'origin'): Promise<string | null> {
  const out = await gitTry(gitAt(repoDir), ['ls-remote', remote, `refs/heads/${branch}`]);
  const sha = out?.split(/\s+/)[0] ?? '';
  return SHA.test(sha) ? sha : null;
}

/**
 * Whether `head` of the remote `branch` makes the same change as `built` does over `from` (each diffed from
 * where it left the base; blob ids aside): a revert branch found on origin is reused only when it is this
 * revert, whatever its commit message says.
 */
export async function sameChange(repoDir: string, from: string, built: string, branch: string, head: string, base: string, remote = 'origin'): Promise<boolean> {
  const g = gitAt(repoDir);
  if (!SHA.test(head) || (await gitTry(g, ['fetch', '--quiet', '--no-tags', remote, `refs/heads/${branch}`])) === null) return false;
  const fork = await gitTry(g, ['merge-base', head, `refs/remotes/${remote}/${base}`]);
  if (!fork || !SHA.test(fork)) return false;
  const diff = async (a: string, b: string) => ((await gitTry(g, ['diff', '--no-ext-diff', '--no-color', a, b])) ?? '\0').split('\n').filter((l) => !l.startsWith('index ')).join('\n');
  const [ours, theirs] = await Promise.all([diff(from, built), diff(fork, head)]);
  return ours !== '\0' && ours === theirs;
}

/**
 * A clean checkout of `ref` at `dir`: detached, or on a new local `branch` (replaced when one was left by a
 * crash). Whatever was at `dir` before (a crash's leftover) is removed first.
 */
export async function checkout(repoDir: string, dir: string, ref: string, branch: string | null = null): Promise<void> {
  await removeCheckout(repoDir, dir);
  const g = gitAt(repoDir);
  await g.raw(['worktree', 'add', '--quiet', ...(branch ? ['-B', branch] : ['--detach']), dir, ref]);
}

/** Remove a checkout made by checkout() (and its local branch, when it had one). Never throws. */
export async function removeCheckout(repoDir: string, dir: string, branch: string | null = null): Promise<void> {
  const g = gitAt(repoDir);
  if (fs.existsSync(dir)) await gitTry(g, ['worktree', 'remove', '--force', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
  await gitTry(g, ['worktree', 'prune']);
  if (branch) await gitTry(g, ['branch', '-D', branch]);
}

export type RevertResult = { ok: true; head: string } | { ok: false; conflict: boolean; output: string };

/** `git revert` in the checkout at `dir`; a conflict is aborted (the checkout is left as it was). */
export async function revertIn(dir: string, args: string[]): Promise<RevertResult> {
  const g = gitAt(dir);
  const named = (await gitTry(g, ['config', 'user.email'])) !== null;
  try {
    await g.raw([...(named ? [] : FALLBACK_IDENTITY), ...args]);
  } catch (err) {
    const output = (err as Error).message;
    const conflict = /conflict|could not revert/i.test(output);
    await gitTry(g, ['revert', '--abort']);
    return { ok: false, conflict, output };
  }
  return { ok: true, head: (await g.raw(['rev-parse', 'HEAD'])).trim() };
}

/**
 * `git push --no-verify <remote> <sha>:refs/heads/<base>` from the operator's checkout (`repoDir`, never a
 * checkout's `.git` file), the exact commit built: a fast-forward or nothing (never forced). Resolves with
 * git's complaint when the remote refused it (someone pushed first, or the branch is protected).
 */
export async function pushHeadTo(repoDir: string, sha: string, base: string, remote = 'origin'): Promise<string | null> {
  if (!SHA.test(sha)) return `not a commit: ${sha}`;
  try {
    await gitAt(repoDir).raw(['push', '--quiet', '--no-verify', remote, `${sha}:refs/heads/${base}`]);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'push refused';
  }
}

/** Who made a commit (git's author name), for saying whose commit turned the base red; null when unknown. */
export async function commitAuthor(repoDir: string, sha: string): Promise<string | null> {
  if (!SHA.test(sha)) return null;
  return gitTry(gitAt(repoDir), ['log', '-1', '--format=%an', sha]);
}

/** Whether `older` is an ancestor of `newer` (both fetched). */
export async function isAncestor(repoDir: string, older: string, newer: string): Promise<boolean> {
  if (!SHA.test(older) || !SHA.test(newer)) return false;
  return (await gitTry(gitAt(repoDir), ['merge-base', '--is-ancestor', older, newer])) !== null;
}
