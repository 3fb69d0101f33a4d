// Where a ticket's worktree branch comes from: one fetch of the base and the ticket's branch (so work
// pushed from elsewhere — another attempt, another daemon — is resumed; a fetch made moments before, while
// the ticket was being checked, counts), then `git worktree add` arguments that check out the local
// branch, track the remote one, or branch off the base.
import { existingRefs, refExists, type GitRunner } from './git.js';
import { WorkspaceError } from '../errors.js';

/**
 * One fetch (one round trip) for the base branch and the ticket's branch. The branch goes in as a pattern
 * refspec: a pattern matching nothing is not an error, while an exact refspec for a branch the remote lacks
 * (every new ticket) would fail the whole fetch. Offline: logged, and the local refs are used.
 */
export async function fetchBranch(git: GitRunner, remote: string, baseBranch: string, branch: string, log: (msg: string) => void): Promise<void> {
  const base = `+refs/heads/${baseBranch}:refs/remotes/${remote}/${baseBranch}`;
  const ticket = `+refs/heads/${branch}*:refs/remotes/${remote}/${branch}*`;
  try {
    await git.raw(['fetch', '--quiet', remote, base, ticket]);
  } catch (err) {
    log(`git fetch ${remote} ${baseBranch} failed, using local refs: ${(err as Error).message.trim().split('\n')[0]}`);
  }
}

/** Local branch → check it out; remote branch → track it; else branch off <remote>/<base> (or <base>). */
export async function worktreeAddArgs(git: GitRunner, remote: string, baseBranch: string, id: string, branch: string, wt: string): Promise<string[]> {
  if (await refExists(git, `refs/heads/${branch}`)) return [wt, branch];
  const remoteRef = `refs/remotes/${remote}/${branch}`;
  const bases = [`refs/remotes/${remote}/${baseBranch}`, `refs/heads/${baseBranch}`];
  const have = await existingRefs(git, [remoteRef, ...bases]);
  if (have.has(remoteRef)) return ['--track', '-b', branch, wt, remoteRef];
  for (const base of bases) {
    if (have.has(base)) return ['--no-track', '-b', branch, wt, base];
  }
  throw new WorkspaceError('EWORKTREE', `${id}: base branch "${baseBranch}" exists neither on ${remote} nor locally; set workspace.base_branch.`);
}

/** How long a fetch of a branch's refs stands in for the next one (the claim in between takes well under it). */
export const FETCH_FRESH_MS = 30_000;

/** Branch → when its refs were last fetched. Entries too old to count are dropped (a ticket never claimed). */
export class RecentFetches {
  private readonly at = new Map<string, number>();

  fresh(branch: string, now = Date.now()): boolean {
    const t = this.at.get(branch);
    return t !== undefined && now - t < FETCH_FRESH_MS;
  }

  /** Whether a fresh fetch is on record, which is used up by asking. */
  take(branch: string): boolean {
    const fresh = this.fresh(branch);
    this.at.delete(branch);
    return fresh;
  }

  note(branch: string, now = Date.now()): void {
    for (const [b, t] of this.at) if (now - t >= FETCH_FRESH_MS) this.at.delete(b);
    this.at.set(branch, now);
  }
}
