// The check an attempt makes on its worktree before an agent starts (follow-ups excepted: they start from
// the PR head they answer): is origin's branch still ours to build on? Ahead of us is fine (fast-forwarded);
// rewritten under us (a human's force-push) stops the ticket for a human, the local commits kept under a
// backup ref. See divergence.ts for the git facts.
import { gitAt } from './git.js';
import { backupRef, branchState, fastForward } from './divergence.js';
import type { Divergence } from '../core/types.js';

/** null: the agent may start (origin's branch is ours, absent, or was fast-forwarded into the worktree). */
export async function guardBranch(worktree: string, branch: string, log: (msg: string) => void, remote = 'origin'): Promise<Divergence | null> {
  const st = await branchState(worktree, branch, remote);
  if (st.kind === 'no_remote' || st.kind === 'ours') return null;
  const theirs = `${remote}/${branch}`;
  if (st.kind === 'behind') {
    if (await fastForward(worktree, st.remote)) {
      log(`${theirs} had ${st.behind} commit(s) the worktree lacked: fast-forwarded to ${st.remote.slice(0, 7)}`);
      return null;
    }
    return {
      branch, local_head: st.local, remote_head: st.remote, ahead: 0, behind: st.behind, backup_ref: null,
      reason: `${theirs} has ${st.behind} new commit(s), and the worktree's uncommitted changes are in the way of a fast-forward (${worktree}); bring them together by hand, then \`swarm retry\``,
    };
  }
  const backup = await backupRef(gitAt(worktree), branch, st.local);
  return {
    branch, local_head: st.local, remote_head: st.remote, ahead: st.ahead, behind: st.behind, backup_ref: backup,
    reason:
      `${theirs} diverged from the local branch (someone rewrote or force-pushed it): origin has ${st.behind} commit(s) the local branch lacks, ` +
      `the local branch has ${st.ahead} origin lacks (kept under ${backup}). No agent runs on the stale branch and swarm never force-pushes; ` +
      `reconcile it in ${worktree} (e.g. \`git reset --keep ${theirs}\` to take origin's), then \`swarm retry\``,
  };
}
