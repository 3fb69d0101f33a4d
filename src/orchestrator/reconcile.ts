// Every poll, compare what swarm believes with what the tracker's listing says (no extra request per
// ticket unless one vanished from the listing or a write is pending): stop agents whose ticket was closed,
// unlabelled or excluded (`cancelled`), bring every ticket whose tracker picture lags its record in line
// (review, failed, released and claimed alike), and notice a human removing the failed label (= retry).
import type { Ledger } from '../state/ledger.js';
import type { TicketState } from '../core/types.js';
import type { OperatorChange, Ticket } from '../tracker/types.js';
import { cancel, retry } from '../core/lifecycle.js';
import type { Running } from './dispatcher.js';
import type { TrackerSync } from './sync.js';
import { markStates } from '../config/tracker-facts.js';
import type { Runtime, Settings } from './runtime.js';

export interface ReconcileDeps {
  rt: Runtime;
  ledger: Ledger;
  sync: TrackerSync;
  settings: Settings;
  running: ReadonlyMap<string, Running>;
  /** Tickets just read one by one (a webhook's targeted re-read; null: gone): used instead of reading them again. */
  fresh?: ReadonlyMap<string, Ticket | null>;
}

const ACTIVE = new Set<TicketState['status']>(['claimed', 'running', 'retry_wait']);

/** `only`: reconcile just these tickets (a targeted re-read), not every ticket in the state. */
export async function reconcile(d: ReconcileDeps, tickets: readonly Ticket[], only?: ReadonlySet<string>): Promise<void> {
  const byKey = new Map(tickets.map((t) => [t.key, t]));
  const coordinator = d.rt.leases;
  for (const key of only ?? Object.keys(d.ledger.state.tickets)) {
    const ts = d.ledger.ticket(key);
    if (!ts) continue;
    if (d.sync.isSyncing(key)) continue;
    // Fleet mode: another daemon's ticket is its to reconcile; an active one whose holder is gone is taken
    // over by a claim. A settled one nobody holds is taken for as long as something must be done for it.
    if (!coordinator.holds(key)) {
      if (coordinator.heldElsewhere(key) !== null || ACTIVE.has(ts.status) || !settledNeedsWork(d, ts, byKey.get(key))) continue;
      if ((await coordinator.acquire(key)) === null) continue;
    }
    const entry = d.running.get(key);
    // Already told to stop (cancelled, released, shutting down): its attempt's own ending records it.
    // Deciding again while the agent takes its time to die would cancel it once per poll.
    if (entry?.ac.signal.aborted) continue;
    const listed = byKey.get(key);
    try {
      if (ACTIVE.has(ts.status) || entry) await checkActive(d, ts, listed);
      else if ((await checkSettled(d, ts, listed)) && coordinator.shared && !d.running.has(key)) await coordinator.release(key);
    } catch (err) {
      d.rt.log.warn(`reconcile: ${(err as Error).message} (will try again next poll)`, ts.identifier);
    }
  }
}

/** A ticket swarm holds: cancel it if it is no longer eligible, else make sure the tracker shows the claim. */
async function checkActive(d: ReconcileDeps, ts: TicketState, listed: Ticket | undefined): Promise<void> {
  const tr = d.settings.wf.config.tracker;
  let ticket = listed ?? null;
  let why = listed ? excludedWhy(d, listed) : null;
  if (!listed) {
    ticket = await read(d, ts.key);
    if (!ticket || !ticket.open) why = 'the ticket was closed';
    else if (!tr.labels.every((l) => hasLabel(ticket!, l))) why = 'the trigger label was removed';
    else why = excludedWhy(d, ticket);
  }
  if (!why) {
    if (ts.synced_rev < ts.rev && ticket) await d.sync.sync(ts.key, ticket);
    return;
  }
  const closed = !ticket || !ticket.open;
  const entry = d.running.get(ts.key);
  await d.ledger.commit(cancel(ts, why, { stoppingAgent: entry !== undefined, removingWorktree: closed }, d.rt.now()));
  if (entry) {
    entry.stopReason = `cancelled: ${why}`;
    entry.ac.abort('cancel');
  }
  if (ticket) await d.sync.sync(ts.key, ticket);
  if (closed) {
    const wts = d.settings.svc.worktrees;
    const remove = () =>
      wts.remove(ts.branch ? wts.pathFor(ts.branch) : ts.worktree, ts.branch, { deleteBranch: false, force: false })
        .then((r) => r.kept && d.rt.log.info(`kept the worktree: ${r.kept}`, ts.identifier))
        .catch((err: Error) => d.rt.log.warn(`could not remove worktree: ${err.message}`, ts.identifier));
    if (entry) void entry.done.then(remove);
    else await remove();
  }
}

/**
 * A handed-off, failed or released ticket: a pending write is sent; a human's retry is noticed. True when
 * the tracker shows the record (it can be let go of in fleet mode).
 */
async function checkSettled(d: ReconcileDeps, ts: TicketState, listed: Ticket | undefined): Promise<boolean> {
  const tr = d.settings.wf.config.tracker;
  if (ts.synced_rev < ts.rev) {
    // Listed: the listing identifies it. Not listed (Linear: an issue sitting in failed_state after
    // `swarm retry`): one read, and only while a write is pending — never on an idle poll.
    return d.sync.sync(ts.key, listed);
  }
  if (!listed) return true;
  if (ts.status === 'failed' && !hasLabel(listed, tr.failed_label) && (await humanRetried(d, ts))) return true;
  // Whatever left it there (a crash in an older version, a lost state file), a handed-off or failed
  // ticket never carries the running label: the tracker must tell the truth.
  if ((ts.status === 'review' || ts.status === 'failed') && hasLabel(listed, tr.running_label)) {
    d.rt.log.warn(`still carries ${tr.running_label} although it is ${ts.status === 'review' ? 'handed off' : 'failed'}: correcting`, ts.identifier);
    await d.ledger.drifted(ts.key);
    return d.sync.sync(ts.key, listed);
  }
  return true;
}

/**
 * A human removed the failed label (Linear: or moved the issue out of failed_state back into an eligible
 * state): that is a retry. The listing may predate our own failed write, so confirm with a fresh read.
 */
async function humanRetried(d: ReconcileDeps, ts: TicketState): Promise<boolean> {
  const tr = d.settings.wf.config.tracker;
  const fresh = await read(d, ts.key);
  if (!fresh || !fresh.open || hasLabel(fresh, tr.failed_label)) return false;
  // Where the marks are workflow states, a retry is the ticket back in one swarm picks up from.
  const states = markStates(tr);
  if (states !== null && fresh.phase !== 'todo') return false;
  const failedState = states?.failed ?? null;
  const why = failedState !== null ? `moved from ${failedState} back to ${fresh.state}` : `${tr.failed_label} was removed`;
  // An operator's order only when someone swarm trusts gave it: anyone else's is undone and said so.
  if (await refusedControl(d, ts, fresh, failedState !== null ? { leftState: failedState } : { removedLabel: tr.failed_label }, why)) return true;
  await d.ledger.commit(retry(ts, 'tracker', `${why}: will try again`, d.rt.now()));
  await d.sync.sync(ts.key, fresh);
  return true;
}

/**
 * Whether `change` (a failed or needs-human mark taken off) was made by someone swarm does not trust: then it
 * is not obeyed — the record is marked out of sync so the sync puts the mark back — and an event names who.
 */
export async function refusedControl(d: Pick<ReconcileDeps, 'rt' | 'ledger' | 'sync' | 'settings'>, ts: TicketState, fresh: Ticket, change: OperatorChange, what: string): Promise<boolean> {
  const who = await d.settings.svc.tracker.changedBy?.(fresh, change);
  if (!who || who.trusted) return false;
  const reason = `${what} by ${who.by}, who has ${who.as}: only a user swarm trusts may give that order; putting it back`;
  d.rt.log.event({ type: 'control_refused', ticket: ts.identifier, key: ts.key, by: who.by, change: 'removedLabel' in change ? `removed ${change.removedLabel}` : `left ${change.leftState}`, reason });
  await d.ledger.drifted(ts.key);
  await d.sync.sync(ts.key, fresh);
  return true;
}

/** What checkSettled would act on: a pending write, a human's retry, a stray running label. */
function settledNeedsWork(d: ReconcileDeps, ts: TicketState, listed: Ticket | undefined): boolean {
  const tr = d.settings.wf.config.tracker;
  if (ts.synced_rev < ts.rev) return true;
  if (!listed) return false;
  return (ts.status === 'failed' && !hasLabel(listed, tr.failed_label)) || ((ts.status === 'review' || ts.status === 'failed') && hasLabel(listed, tr.running_label));
}

/** A fresh read of one ticket: the one a targeted re-read just made, else a request. */
function read(d: ReconcileDeps, key: string): Promise<Ticket | null> {
  return d.fresh?.has(key) ? Promise.resolve(d.fresh.get(key) ?? null) : d.settings.svc.tracker.fetch(key);
}

function excludedWhy(d: ReconcileDeps, t: Ticket): string | null {
  const tr = d.settings.wf.config.tracker;
  if (!t.open) return 'the ticket was closed';
  const ex = tr.exclude_labels.find((l) => hasLabel(t, l));
  if (ex) return `excluded label ${ex} was added`;
  // Where the marks are workflow states: it left the ones swarm picks up from and its own running state.
  if (markStates(tr) !== null && t.phase !== 'todo' && t.phase !== 'ours') return `it moved to state "${t.state}"`;
  return null;
}

function hasLabel(t: Ticket, l: string): boolean {
  return t.labels.some((x) => x.toLowerCase() === l.toLowerCase());
}
