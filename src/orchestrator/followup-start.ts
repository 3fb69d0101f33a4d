// Starting a PR follow-up for a handed-off ticket: same branch and worktree, never a new PR. Its round and
// triggers are committed before the tracker hears of it or anything runs, so no trigger is acted on twice
// whatever is killed when; the lease (fleet mode) is taken first and given back when nothing started.
import type { Ticket } from '../tracker/types.js';
import type { FollowupCheck, FollowupComment } from '../core/types.js';
import { followupStarted } from '../core/lifecycle.js';
import type { DispatcherDeps } from './dispatcher-deps.js';

export interface FollowupStart {
  pr: number;
  kind: 'ci' | 'review';
  head_sha: string;
  triggers: string[];
  checks: FollowupCheck[];
  comments: FollowupComment[];
}

export interface FollowupRunner {
  /** An attempt for the ticket is running or being prepared here. */
  running(key: string): boolean;
  /** Run the ticket's attempt in a queue slot. */
  dispatch(ticket: Ticket): void;
  /** The ticket's text may not reach an agent now (said once per reason); null: it may again. */
  untrusted(ticket: Ticket, reason: string | null): void;
}

/** False when it did not start (not held, already handled, gone from the tracker or closed). */
export async function startFollowup(d: DispatcherDeps, key: string, f: FollowupStart, runner: FollowupRunner): Promise<boolean> {
  const { rt, ledger, settings } = d;
  if ((await rt.leases.acquire(key)) === null) return false;
  const release = async () => {
    const ts = ledger.ticket(key);
    if (!runner.running(key) && (!ts || ts.synced_rev >= ts.rev)) await rt.leases.release(key);
  };
  const ts = ledger.ticket(key);
  // Re-check at the last moment: another daemon (fleet) may have acted on these triggers meanwhile.
  if (!ts || ts.status !== 'review' || ts.followup?.stopped || f.triggers.some((t) => ts.followup?.handled.includes(t))) {
    await release();
    return false;
  }
  let fresh: Ticket | null;
  try {
    fresh = await settings.svc.tracker.fetch(key);
  } catch (err) {
    rt.log.warn(`could not re-read before the follow-up: ${(err as Error).message}`, ts.identifier);
    await release();
    return false;
  }
  if (!fresh || !fresh.open) {
    await release();
    return false;
  }
  // The follow-up hands the ticket's text to an agent again: the trigger labels must still be on it, and the
  // text must still be what a trusted user labelled (an edit by anyone else since holds it, like a claim).
  let held: string | null;
  try {
    held = await heldFor(d, fresh);
  } catch (err) {
    rt.log.warn(`could not check who wrote the ticket before the follow-up: ${(err as Error).message} (will try again)`, ts.identifier);
    await release();
    return false;
  }
  runner.untrusted(fresh, held);
  if (held !== null) {
    const seen = ts.followup?.seen;
    d.ledger.noteWatch(key, { at: new Date(rt.now()).toISOString(), head_sha: f.head_sha, checks: seen?.checks ?? '', decision: `no follow-up: ${held}` });
    await release();
    return false;
  }
  await ledger.commit(followupStarted(ts, { ...f, round: (ts.followup?.rounds ?? 0) + 1 }, rt.now()));
  void settings.svc.worktrees.prefetch(ts.branch, fresh);
  await d.sync.sync(key, fresh); // a failed write is retried by reconcile; the follow-up goes on
  runner.dispatch(fresh);
  return true;
}

/** Why the ticket's text may not be handed to a follow-up, or null when it may. */
async function heldFor(d: DispatcherDeps, fresh: Ticket): Promise<string | null> {
  const labels = d.settings.wf.config.tracker.labels;
  const missing = labels.filter((l) => !fresh.labels.some((x) => x.toLowerCase() === l.toLowerCase()));
  if (missing.length > 0) return `the trigger label ${missing.map((l) => `\`${l}\``).join(', ')} was taken off; put it back to allow follow-ups`;
  const verdict = await d.settings.svc.tracker.trust(fresh);
  return verdict.trusted ? null : verdict.reason;
}
