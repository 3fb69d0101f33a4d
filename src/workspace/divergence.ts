// Branches swarm does not own right now. Before a (non-follow-up) attempt, origin's copy of the ticket's
// branch must be an ancestor of the local one: a human who force-pushed it (rewrote it, or reset it to
// something else) owns it now, and an agent set loose on the stale local branch would push over their
// work (its push is refused, and an agent with a shell commonly retries with --force). Origin merely ahead
// (someone added commits) is fast-forwarded into the worktree; anything else stops for a human. Local
// commits that a reset would drop are first kept under a backup ref, `refs/swarm/backup/<branch>/<time>-<sha>`.
import { gitAt, gitTry, refExists, type GitRunner } from './git.js';

export type BranchState =
  /** origin has no such branch (never pushed, or deleted): nothing to compare. */
  | { kind: 'no_remote' }
  /** origin's branch is the local one, or an ancestor of it: ours to continue. */
  | { kind: 'ours'; local: string; remote: string }
  /** origin's branch is ahead of the local one (the local one is its ancestor): fast-forward. */
  | { kind: 'behind'; local: string; remote: string; behind: number }
  /** Each has commits the other lacks: someone rewrote origin's branch. */
  | { kind: 'diverged'; local: string; remote: string; ahead: number; behind: number };

/** How the worktree's HEAD and `<remote>/<branch>` (as last fetched) relate. */
export async function branchState(worktree: string, branch: string, remote = 'origin'): Promise<BranchState> {
  const g = gitAt(worktree);
  const remoteRef = `refs/remotes/${remote}/${branch}`;
  if (!(await refExists(g, remoteRef))) return { kind: 'no_remote' };
  const local = (await g.raw(['rev-parse', 'HEAD'])).trim();
  const there = (await g.raw(['rev-parse', `${remoteRef}^{commit}`])).trim();
  if (there === local || (await isAncestor(g, there, local))) return { kind: 'ours', local, remote: there };
  const behind = await count(g, `${local}..${there}`);
  if (await isAncestor(g, local, there)) return { kind: 'behind', local, remote: there, behind };
  return { kind: 'diverged', local, remote: there, ahead: await count(g, `${there}..${local}`), behind };
}

/** `git merge --ff-only` to origin's head: true when the worktree now stands there. */
export async function fastForward(worktree: string, to: string): Promise<boolean> {
  return (await gitTry(gitAt(worktree), ['merge', '--ff-only', '--quiet', to])) !== null;
}

/**
 * Keep `sha` reachable under `refs/swarm/backup/<branch>/<time>-<sha7>` (local only: never pushed) before
 * anything could drop it. Returns the ref.
 */
export async function backupRef(g: GitRunner, branch: string, sha: string, now = Date.now()): Promise<string> {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const ref = `refs/swarm/backup/${branch}/${stamp}-${sha.slice(0, 7)}`;
  await g.raw(['update-ref', ref, sha]);
  return ref;
}

/** The commits on HEAD that `target` lacks (0 when HEAD is an ancestor of target, or the same). */
export async function commitsNotIn(worktree: string, target: string): Promise<number> {
  return count(gitAt(worktree), `${target}..HEAD`);
}

async function isAncestor(g: GitRunner, a: string, b: string): Promise<boolean> {
  return (await gitTry(g, ['merge-base', '--is-ancestor', a, b])) !== null;
}

async function count(g: GitRunner, range: string): Promise<number> {
  return Number.parseInt((await gitTry(g, ['rev-list', '--count', range])) ?? '0', 10) || 0;
}
