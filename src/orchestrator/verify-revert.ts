// Reverting a charged swarm merge, idempotently: whatever a crash left half done is found and finished,
// never done twice. `pr`: the revert PR on its branch is looked up first (as the PR open path does), then a
// revert branch already pushed is reused; only then is a revert built in a clean checkout of the base,
// pushed with the auto-open path's own push (workspace/git.ts pushBranch) and opened through the code host
// (never a second POST after an ambiguous answer). `push`: refused on a protected base; a revert already
// on the base is recognised; otherwise a fast-forward push, never forced. Only the commits the ticket's
// own PR merged are reverted; a revert that conflicts is aborted and left to a human. Every push goes the
// way swarm publishes an agent's branch (publish.ts: hardened git, a secret scan, the exact commit, never
// forced) and, in fleet mode, only while this daemon still holds the ticket's lease (the fence).
import type { Config } from '../config/types.js';
import type { TicketState } from '../core/types.js';
import type { RevertOutcome, VerifyRun } from '../core/verify-record.js';
import type { PullRequest } from '../tracker/types.js';
import type { MergeHost } from '../tracker/merge-host.js';
import type { Runtime, Services } from './runtime.js';
import { verifyConfig } from '../config/verify.js';
import { publishBranch } from '../publish/publish.js';
import { confirmFence } from '../fleet/fence.js';
import { knownSecretValues } from '../util/secrets.js';
import { checkout, commitParents, fetchBase, onBase, pushHeadTo, rebasedCount, remoteBranch, removeCheckout, revertIn, revertOnBase, sameChange } from '../workspace/verify-git.js';
import { revertArgs, revertCommand, revertPlan, type RevertPlan } from '../core/verify-policy.js';
import { verifyDir } from './verify-run.js';
import { revertBody, revertTitle } from './verify-text.js';

export interface RevertDone {
  outcome: RevertOutcome;
  pr: PullRequest | null;
  pushed_sha: string | null;
  detail: string;
}

export interface RevertCtx {
  rt: Runtime;
  svc: Services;
  cfg: Config;
  merges: MergeHost;
}

const short = (sha: string) => sha.slice(0, 7);

/** How to revert this merge, or why it is not swarm's to revert (the merge is fetched first). */
export async function planFor(rt: Runtime, run: VerifyRun): Promise<RevertPlan | { notOurs: string }> {
  await fetchBase(rt.repoDir, run.base);
  const sha = run.merge_sha;
  if (!(await onBase(rt.repoDir, sha, run.base))) return { notOurs: `${short(sha)} is not on ${run.base}` };
  const parents = await commitParents(rt.repoDir, sha);
  if (parents === null) return { notOurs: `${short(sha)} cannot be read` };
  if (parents.length >= 2 || run.commits <= 1) return revertPlan(parents.length, 1);
  // One parent and a PR of several commits: a squash (one new commit) or a rebase (the PR's commits, replayed).
  if (run.head_sha === '' || (await commitParents(rt.repoDir, run.head_sha)) === null) {
    return { notOurs: `PR #${run.pr_number} had ${run.commits} commits and its head ${short(run.head_sha) || '?'} is not here: a squash cannot be told from a rebase merge` };
  }
  const n = await rebasedCount(rt.repoDir, sha, run.head_sha, run.commits);
  if (n <= 1) return revertPlan(1, 1);
  if (n === run.commits) return revertPlan(1, n);
  return { notOurs: `only ${n} of PR #${run.pr_number}'s ${run.commits} commits end at ${short(sha)} on ${run.base}: not swarm's merge as it landed` };
}

export async function revertMerge(c: RevertCtx, ts: TicketState, run: VerifyRun, mode: 'pr' | 'push', branch: string): Promise<RevertDone> {
  const plan = await planFor(c.rt, run);
  if ('notOurs' in plan) return { outcome: 'not_ours', pr: null, pushed_sha: null, detail: `not reverted: ${plan.notOurs}` };
  return mode === 'pr' ? revertByPr(c, ts, run, plan, branch) : revertByPush(c, ts, run, plan);
}

async function revertByPr(c: RevertCtx, ts: TicketState, run: VerifyRun, plan: RevertPlan, branch: string): Promise<RevertDone> {
  const { rt, svc } = c;
  const sha = run.merge_sha;
  const cmd = revertCommand(plan, sha);
  // Look before creating: a revert PR a crash never recorded is the answer.
  const found = await svc.codeHost.findPullRequest(branch);
  if (found) return { outcome: 'opened', pr: found, pushed_sha: null, detail: `revert PR ${found.url} (\`${cmd}\`)` };
  const pushed = await remoteBranch(rt.repoDir, branch);
  const dir = verifyDir(rt, sha, 'revert');
  const from = `refs/remotes/origin/${run.base}`;
  try {
    await checkout(rt.repoDir, dir, from, branch);
    const res = await revertIn(dir, revertArgs(plan, sha));
    if (!res.ok) return conflicted(res, cmd, run.base);
    if (pushed !== null) {
      // Pushed before a crash: reused only if it is exactly this revert (its content, not its message).
      if (!(await sameChange(rt.repoDir, from, res.head, branch, pushed, run.base))) {
        return { outcome: 'failed', pr: null, pushed_sha: null, detail: `branch ${branch} already exists on origin and is not the revert of ${short(sha)}: not touched` };
      }
    } else {
      const pub = await publishBranch({
        repoDir: rt.repoDir, branch, base: run.base, remote: 'origin', known: [...knownSecretValues(), ...svc.secrets],
        beforePush: async () => (await confirmFence(svc.fence, ts.key, 'git push of a revert'), null),
      });
      if (pub.kind === 'refused') return { outcome: 'failed', pr: null, pushed_sha: null, detail: `not pushed: ${pub.reason}` };
      if (pub.kind !== 'pushed') throw new Error(`could not push the revert branch ${branch}: ${'reason' in pub ? pub.reason : pub.kind}`);
    }
  } finally {
    await removeCheckout(rt.repoDir, dir, branch);
  }
  const draft = verifyConfig(c.cfg).revert_draft;
  const pr = await svc.codeHost.openPullRequest({ branch, base: run.base, title: revertTitle(ts, run), body: revertBody(ts, run, cmd), draft, key: ts.key });
  return { outcome: 'opened', pr, pushed_sha: null, detail: `revert PR ${pr.url}${draft ? ' (draft)' : ''} (\`${cmd}\`)` };
}

async function revertByPush(c: RevertCtx, ts: TicketState, run: VerifyRun, plan: RevertPlan): Promise<RevertDone> {
  const { rt } = c;
  const sha = run.merge_sha;
  const cmd = revertCommand(plan, sha);
  const facts = await c.merges.branch(run.base);
  if (facts.protected === true) {
    return { outcome: 'refused', pr: null, pushed_sha: null, detail: `not pushed: ${run.base} is protected, so swarm does not push to it (set verify.revert: pr to open a revert PR instead)` };
  }
  for (let tryNo = 1; ; tryNo++) {
    await fetchBase(rt.repoDir, run.base);
    const there = await revertOnBase(rt.repoDir, sha, run.base);
    if (there) return { outcome: 'pushed', pr: null, pushed_sha: there, detail: `reverted on ${run.base} by ${short(there)} (\`${cmd}\`)` };
    const dir = verifyDir(rt, sha, 'revert');
    try {
      await checkout(rt.repoDir, dir, `refs/remotes/origin/${run.base}`);
      const res = await revertIn(dir, revertArgs(plan, sha));
      if (!res.ok) return conflicted(res, cmd, run.base);
      await confirmFence(c.svc.fence, ts.key, `git push of a revert to ${run.base}`);
      const refused = await pushHeadTo(rt.repoDir, res.head, run.base);
      if (refused === null) return { outcome: 'pushed', pr: null, pushed_sha: res.head, detail: `pushed ${short(res.head)} to ${run.base} (\`${cmd}\`)` };
      // Someone pushed first (a fast-forward only): build it again on the new base, once.
      if (tryNo >= 2 || /protected|declined|GH006/i.test(refused)) {
        return { outcome: 'refused', pr: null, pushed_sha: null, detail: `not pushed: ${run.base} refused the revert (${refused}); swarm never forces a push` };
      }
    } finally {
      await removeCheckout(rt.repoDir, dir);
    }
  }
}

function conflicted(res: { conflict: boolean; output: string }, cmd: string, base: string): RevertDone {
  const why = res.output.split('\n')[0] ?? '';
  return { outcome: res.conflict ? 'conflict' : 'failed', pr: null, pushed_sha: null, detail: `\`${cmd}\` does not apply cleanly on ${base} (${why}): left to a human, nothing was pushed` };
}
