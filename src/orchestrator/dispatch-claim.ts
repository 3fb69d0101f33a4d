// Claiming a chosen ticket once this daemon holds it (fleet: its lease): a fresh read, eligibility and
// trust, the dedup guard (a PR already open is a hand-off, not a new attempt), the claim committed before
// the tracker hears of it, and a takeover of a ticket whose holder is gone.
import type { Ticket } from '../tracker/types.js';
import { branchName, worktreeDirName } from '../workspace/naming.js';
import { join } from 'node:path';
import { claim, dropClaim, handOffFound, interrupt, pause } from '../core/lifecycle.js';
import { TrackerError } from '../errors.js';
import { terminateGroup } from '../agent/procs.js';
import { orphanIsOurs } from './recovery.js';
import type { Takeover } from '../fleet/leases.js';
import { isEligible } from '../core/policy.js';
import type { DispatchHost } from './dispatch-running.js';

/** The claim once this daemon holds the ticket; false when it did not start an attempt. */
export async function claimTaken(h: DispatchHost, t: Ticket, taken: Takeover | 'free', justRead: boolean): Promise<boolean> {
  const { rt, ledger, settings } = h.d;
  const { svc, wf } = settings;
  // The branch's refs are fetched while the ticket is re-read and checked (not for one known untrusted).
  if (!h.untrusted.has(t.key)) void svc.worktrees.fetchAhead(ledger.ticket(t.key)?.branch || branchName(wf.config.workspace.branch_prefix, t));
  let fresh: Ticket | null;
  try {
    fresh = justRead ? t : await svc.tracker.fetch(t.key);
    if (!fresh || !isEligible(fresh, h.context())) return false;
    const verdict = await svc.tracker.trust(fresh);
    h.untrusted.note(fresh, verdict.trusted ? null : verdict.reason);
    if (!verdict.trusted) return false;
  } catch (err) {
    if (await refused(h, err, t.identifier)) return false;
    rt.log.warn(`could not re-read before claiming: ${(err as Error).message}`, t.identifier);
    return false;
  }
  const key = fresh.key;
  if (taken !== 'free') await takeOver(h, key, taken);
  const prev = ledger.ticket(key);
  // The branch chosen at the first claim is kept for good, even if the title changes later.
  const branch = prev?.branch || branchName(wf.config.workspace.branch_prefix, fresh);
  // Where the branch's worktree is now (the namespace may have moved it since the first claim), as configured.
  const worktree = join(svc.worktrees.home, worktreeDirName(branch));
  // A follow-up waiting to run again (a pause, a restart) works on the open PR: that is no duplicate.
  const followingUp = prev?.followup?.pending != null;
  let pr;
  try {
    pr = followingUp ? null : await svc.codeHost.findPullRequest(branch);
  } catch (err) {
    rt.log.warn(`could not look for an existing pull request: ${(err as Error).message} (will retry next poll)`, fresh.identifier);
    return false;
  }
  if (pr && pr.state !== 'closed') {
    // Dedup guard: the work is already handed off (maybe while the daemon was down, or by a daemon gone).
    await ledger.commit(handOffFound(ledger.ticket(key), fresh, pr, branch, worktree, rt.now()));
    await h.d.sync.sync(key, fresh);
    return false;
  }
  // Claimed on disk before the tracker hears of it: a crash now is a claim we know about.
  await ledger.commit(claim(ledger.ticket(key), fresh, branch, worktree, rt.now()));
  h.branchActivity.set(branch, Date.now());
  void svc.worktrees.prefetch(branch, fresh).finally(() => h.branchActivity.set(branch, Math.max(h.branchActivity.get(branch) ?? 0, Date.now()))); // git work overlaps the claim's tracker writes
  if (!(await h.d.sync.sync(key, fresh))) {
    // The tracker did not take the claim: drop it (the next poll's reconcile tidies the tracker up).
    await ledger.commit(dropClaim(ledger.ticket(key)!, 'claim_failed', 'the tracker did not take the claim', rt.now()));
    await refused(h, h.d.sync.failure(key), fresh.identifier);
    return false;
  }
  h.dispatch(fresh);
  return true;
}

/**
 * The tracker refused a claim for want of a permission (403) or credentials: no later claim can work
 * either, so dispatch pauses until an operator acts, and the pause says what to grant (the message names
 * the permission GitHub asked for). True when it paused.
 */
async function refused(h: DispatchHost, err: unknown, ticket: string): Promise<boolean> {
  if (!(err instanceof TrackerError) || err.kind !== 'auth') return false;
  const { rt, ledger } = h.d;
  if (ledger.state.pause?.kind !== 'auth') {
    const reason = `claiming ${ticket}: ${err.message}; fix it, then \`swarm resume\``;
    await ledger.commit(pause({ kind: 'auth', reason, until: null, limit_type: null }, rt.now()));
  }
  return true;
}

/**
 * A ticket whose holder is gone: kill the holder's orphaned agent group if it ran in this machine's boot
 * and PID namespace (pid and start time must match, so a reused pid is never killed; elsewhere its own
 * supervisor stops it), and interrupt the attempt it left running.
 */
async function takeOver(h: DispatchHost, key: string, from: Takeover): Promise<void> {
  const { rt, ledger } = h.d;
  const ts = ledger.ticket(key);
  if (from.agentPid !== null && from.local && orphanIsOurs(from.agentPid, from.agentPidStart)) {
    await terminateGroup(from.agentPid, 5000);
    rt.log.event({ type: 'orphan_killed', ticket: ts?.identifier ?? key, pid: from.agentPid, found_by: 'state' });
  }
  if (ts && (ts.status === 'running' || ts.status === 'claimed' || ts.attempts.some((a) => a.outcome === 'running'))) {
    await ledger.commit(interrupt(ts, `taken over from ${from.holder}, which stopped (not counted)`, rt.now()));
  }
}