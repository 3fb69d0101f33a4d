// After a run: swarm publishes the agent's commits (publish.ts) and opens the pull request, or — when the
// publication is refused — fails the ticket with where the secret is. Follow-ups publish through the same
// step onto the open PR's branch. No state changes here: the classification goes back to the attempt.
import type { Classification, RunResult } from '../agent/types.js';
import type { Config } from '../config/types.js';
import type { PullRequest, Ticket } from '../tracker/types.js';
import type { TicketState } from '../core/types.js';
import type { Runtime, Services } from './runtime.js';
import { publishBranch, type PublishResult } from '../publish/publish.js';
import { knownSecretValues } from '../util/secrets.js';
import { originUrl } from '../workspace/git.js';
import { confirmFence } from '../fleet/fence.js';
import { prBody, prTitle } from './pr-text.js';

/** Publish the ticket's branch: scanned, refspec-pushed, never forced (see publish.ts). */
export async function publish(rt: Runtime, svc: Services, extraSecrets: readonly string[], ts: TicketState, signal: AbortSignal): Promise<PublishResult> {
  const remote = (await originUrl(rt.repoDir)) ? 'origin' : null;
  // Fleet: nothing leaves the machine unless the lease is still this daemon's (waits while the database is away).
  // A lost lease throws (FenceError: nothing was pushed); callers make it a not-counted infrastructure end.
  const beforePush = async (): Promise<null> => {
    await confirmFence(svc.fence, ts.key, 'git push', { wait: { signal } });
    return null;
  };
  return publishBranch({ repoDir: rt.repoDir, branch: ts.branch, base: svc.baseBranch, remote, known: [...knownSecretValues(), ...svc.secrets, ...extraSecrets], beforePush });
}

/** A publication that refused: the ticket fails now (no retry can make the history clean by itself). */
export function refusedCls(reason: string): Classification {
  return { outcome: 'agent_error', counted: true, final: true, reason, resetAt: null, limitType: null, rule: 'secret_scan' };
}

export function infraCls(reason: string, rule: string): Classification {
  return { outcome: 'infra_failed', counted: false, reason, resetAt: null, limitType: null, rule };
}

/**
 * The agent committed but opened no PR (every run under `pr.publish: swarm`): publish the branch, then open
 * the PR. Returns the new classification and the PR.
 */
export async function publishAndOpen(rt: Runtime, svc: Services, cfg: Config, ticket: Ticket, ts: TicketState, run: RunResult, cls: Classification, extraSecrets: readonly string[], signal: AbortSignal): Promise<{ cls: Classification; pr: PullRequest | null }> {
  let pub: PublishResult;
  try {
    pub = await publish(rt, svc, extraSecrets, ts, signal);
  } catch (err) {
    return { cls: infraCls(`the agent committed but swarm could not publish the branch: ${msg(err)}`, 'auto-open'), pr: null };
  }
  switch (pub.kind) {
    case 'refused':
      return { cls: refusedCls(pub.reason), pr: null };
    case 'failed':
    case 'diverged':
      return { cls: infraCls(`the agent committed but swarm could not publish the branch: ${pub.reason}`, 'auto-open'), pr: null };
    case 'nothing':
      return { cls: { ...cls, outcome: 'no_changes', counted: true, reason: `nothing to publish: ${pub.reason}`, rule: 'publish_nothing' }, pr: null };
  }
  try {
    const pr = await svc.codeHost.openPullRequest({ branch: ts.branch, base: svc.baseBranch, title: prTitle(ticket), body: prBody(ticket, run), draft: cfg.pr.draft });
    const n = pub.commits;
    const what = pub.kind === 'local' ? `checked ${n} commit${n === 1 ? '' : 's'}` : n > 0 ? `pushed ${n} commit${n === 1 ? '' : 's'}` : 'found the branch on origin';
    return { cls: { ...cls, reason: `swarm ${what} and opened ${pr.url}` }, pr };
  } catch (err) {
    return { cls: infraCls(`the agent committed and swarm published the branch, but could not open the PR: ${msg(err)}`, 'auto-open'), pr: null };
  }
}

/**
 * A PR is open already and the agent committed more (an agent that opened the PR itself, unconfined):
 * those commits go out the same way. A refused publication fails the ticket like any other.
 */
export async function publishOntoOpenPr(rt: Runtime, svc: Services, ts: TicketState, cls: Classification, extraSecrets: readonly string[], signal: AbortSignal): Promise<Classification> {
  let pub: PublishResult;
  try {
    pub = await publish(rt, svc, extraSecrets, ts, signal);
  } catch (err) {
    return infraCls(`swarm could not publish the branch's newest commits: ${msg(err)}`, 'auto-open');
  }
  if (pub.kind === 'refused') return refusedCls(pub.reason);
  if (pub.kind === 'failed') rt.log.warn(`could not publish the branch's newest commits: ${pub.reason}`, ts.identifier);
  return cls;
}

const msg = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
