// What PR follow-through asks git about a ticket's branch after a run: which commits on it are the
// worktree's own (swarm's runs made them), where the branch stands on origin, and pushing what a follow-up
// committed but did not push. Never forced: a push someone else made first is never overwritten.
import { gitAt, gitTry, refExists } from './git.js';
import { backupRef, commitsNotIn } from './divergence.js';

/** At most this many of the branch's commits are recorded as ours. */
const MAX_COMMITS = 100;

/** The commits on HEAD that the base does not have, newest first (empty when the base is unknown). */
export async function branchCommits(worktree: string, base: string, remote = 'origin'): Promise<string[]> {
  const g = gitAt(worktree);
  for (const ref of [`refs/remotes/${remote}/${base}`, `refs/heads/${base}`]) {
    if (!(await refExists(g, ref))) continue;
    const out = await gitTry(g, ['rev-list', `--max-count=${MAX_COMMITS}`, `${ref}..HEAD`]);
    return out ? out.split('\n').map((l) => l.trim()).filter(Boolean) : [];
  }
  return [];
}

/** The branch's head on origin, asked of origin itself (`git ls-remote`), or null when it has none. */
export async function remoteBranchHead(worktree: string, branch: string, remote = 'origin'): Promise<string | null> {
  const out = await gitAt(worktree).raw(['ls-remote', remote, `refs/heads/${branch}`]);
  const sha = out.trim().split(/\s+/)[0] ?? '';
  return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
}

/**
 * Push HEAD to the branch when origin's head is behind it (a follow-up that committed but did not push).
 * A branch that moved elsewhere on origin is left alone: the push is a fast-forward or nothing.
 */
export async function pushIfAhead(worktree: string, branch: string, remote = 'origin'): Promise<void> {
  const g = gitAt(worktree);
  const head = (await g.raw(['rev-parse', 'HEAD'])).trim();
  const there = await remoteBranchHead(worktree, branch, remote);
  if (there === head) return;
  if (there !== null) {
    await g.raw(['fetch', '--quiet', remote, `refs/heads/${branch}`]);
    const behind = await gitTry(g, ['merge-base', '--is-ancestor', there, head]);
    if (behind === null) return; // origin has commits HEAD lacks: not ours to overwrite
  }
  await g.raw(['push', remote, `HEAD:refs/heads/${branch}`]);
}

/**
 * Before a follow-up: bring the worktree to the PR head it answers (origin may be ahead: a human's commits
 * handed back, a fix pushed from another machine). A fast-forward when HEAD is behind; otherwise the PR
 * head wins (`reset --keep`: uncommitted changes that would be overwritten make it fail instead) — and the
 * local commits the reset drops are kept first under a backup ref, which is returned (null when none).
 */
export async function checkoutHead(worktree: string, branch: string, head: string, remote = 'origin'): Promise<string | null> {
  const g = gitAt(worktree);
  const local = (await g.raw(['rev-parse', 'HEAD'])).trim();
  if (local === head) return null;
  await g.raw(['fetch', '--quiet', remote, `refs/heads/${branch}`]);
  const behind = await gitTry(g, ['merge-base', '--is-ancestor', 'HEAD', head]);
  if (behind !== null) {
    await g.raw(['merge', '--ff-only', '--quiet', head]);
    return null;
  }
  const backup = (await commitsNotIn(worktree, head)) > 0 ? await backupRef(g, branch, local) : null;
  await g.raw(['reset', '--keep', head]);
  return backup;
}
