// The agent commits; swarm publishes. After a run swarm itself checks what the ticket's branch holds and
// pushes it: only that branch, only the exact commit it checked, only when the branch shares history with
// the base as just fetched from origin, and never with a secret in any new commit. Git runs in the
// operator's checkout with fully qualified refs — never through the worktree's `.git` file, which the agent
// could have pointed elsewhere — and hardened like every git call of swarm's (git-safety.ts). The push is
// never forced: a branch that moved on origin is not overwritten.
import { gitAt, gitTry, refExists, type GitRunner } from '../workspace/git.js';
import { describeFindings, scanCommits } from './secret-scan.js';

export interface PublishRequest {
  /** The operator's checkout (its `.git` is the worktrees' common directory). */
  repoDir: string;
  branch: string;
  base: string;
  /** null: the repository has no remote; nothing is pushed (the local branch is the hand-off). */
  remote: string | null;
  /** Secret values swarm holds: a commit containing any of them is never pushed. */
  known: readonly string[];
  /**
   * Asked last, after every check and right before the push (e.g. fleet mode: does this daemon still hold
   * the ticket's lease?): null to push, or why not (the result is then `failed` with that reason).
   */
  beforePush?: () => Promise<string | null>;
}

export type PublishResult =
  /** `commits` new commits are on origin's branch now, at `head`. */
  | { kind: 'pushed'; head: string; commits: number }
  /** Nothing new to publish (no commits, or origin already has them). */
  | { kind: 'nothing'; reason: string }
  /** No remote: the branch stays local (checked, not pushed). */
  | { kind: 'local'; head: string; commits: number }
  /** Origin's branch has commits this one lacks: someone else pushed; not ours to overwrite. */
  | { kind: 'diverged'; reason: string }
  /** A secret (or an unrelated history) in what would be published: nothing was pushed. */
  | { kind: 'refused'; reason: string }
  /** git or the network failed: nothing is known to be pushed; try again later. */
  | { kind: 'failed'; reason: string };

const first = (err: unknown) => (err instanceof Error ? err.message : String(err)).trim().split('\n')[0]!;

export async function publishBranch(req: PublishRequest): Promise<PublishResult> {
  const git = gitAt(req.repoDir);
  const head = await gitTry(git, ['rev-parse', '--verify', '--quiet', `refs/heads/${req.branch}^{commit}`]);
  if (!head || !/^[0-9a-f]{40,64}$/.test(head)) return { kind: 'nothing', reason: `branch ${req.branch} does not exist` };

  const remoteBase = req.remote ? `refs/remotes/${req.remote}/${req.base}` : null;
  const remoteBranch = req.remote ? `refs/remotes/${req.remote}/${req.branch}` : null;
  if (req.remote) {
    try {
      // Fresh from origin, so nothing an agent (or anyone) left in the local remote-tracking refs counts.
      await git.raw(['fetch', '--quiet', '--prune', '--no-tags', req.remote,
        `+refs/heads/${req.base}:${remoteBase}`, `+refs/heads/${req.branch}*:refs/remotes/${req.remote}/${req.branch}*`]);
    } catch (err) {
      return { kind: 'failed', reason: `could not fetch ${req.base} from ${req.remote} to check the branch against: ${first(err)}` };
    }
  }
  const baseRef = remoteBase ?? `refs/heads/${req.base}`;
  if (!(await refExists(git, baseRef))) return { kind: 'failed', reason: `base branch ${req.base} not found${req.remote ? ` on ${req.remote}` : ''}` };
  const there = remoteBranch && (await refExists(git, remoteBranch)) ? remoteBranch : null;

  try {
    await git.raw(['merge-base', baseRef, head]);
  } catch (err) {
    // Exit 1 is git's answer "no common ancestor"; anything else is git failing, not an answer.
    if (/\(exit 1\)/.test((err as Error).message)) {
      return { kind: 'refused', reason: `refused to publish ${req.branch}: it shares no history with ${req.base} as fetched from ${req.remote ?? 'the repository'}` };
    }
    return { kind: 'failed', reason: `could not compare ${req.branch} with ${req.base}: ${first(err)}` };
  }
  if (there !== null) {
    const thereSha = (await git.raw(['rev-parse', `${there}^{commit}`])).trim();
    if (thereSha === head) return { kind: 'nothing', reason: `${req.remote} already has ${head.slice(0, 7)}` };
    if ((await gitTry(git, ['merge-base', '--is-ancestor', thereSha, head])) === null) {
      return { kind: 'diverged', reason: `${req.remote}'s ${req.branch} has commits this branch lacks (someone else pushed); not overwritten` };
    }
  }
  const not = there ? [baseRef, there] : [baseRef];
  const count = Number.parseInt((await git.raw(['rev-list', '--count', head, '--not', ...not])).trim(), 10) || 0;
  if (count === 0) return { kind: 'nothing', reason: `${req.branch} has no commits that ${req.base} lacks` };

  const scanned = await scan(git, head, not, req.known);
  if (typeof scanned === 'string') return { kind: 'failed', reason: scanned };
  if (scanned.length > 0) {
    return { kind: 'refused', reason: `refused to push ${req.branch}: ${describeFindings(scanned)} — remove it from the branch's history (the value is masked here)` };
  }
  if (!req.remote) return { kind: 'local', head, commits: count };
  const stop = (await req.beforePush?.()) ?? null;
  if (stop !== null) return { kind: 'failed', reason: stop };
  try {
    // The exact commit that was scanned, to the ticket's branch only; never forced.
    await git.raw(['push', '--quiet', '--no-verify', req.remote, `${head}:refs/heads/${req.branch}`]);
  } catch (err) {
    return { kind: 'failed', reason: `git push of ${req.branch} failed: ${first(err)}` };
  }
  return { kind: 'pushed', head, commits: count };
}

async function scan(git: GitRunner, head: string, not: string[], known: readonly string[]) {
  try {
    return await scanCommits(git, head, not, known);
  } catch (err) {
    return `could not scan the new commits for secrets: ${first(err)}`;
  }
}
