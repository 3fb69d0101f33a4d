// Every poll, compare what swarm believes with what the tracker's listing says (no extra request per
// ticket unless one vanished from the listing): stop agents whose ticket was closed, unlabelled or
// excluded (SPEC §4 `cancelled`), repeat tracker writes that failed earlier, and notice a human
// removing the failed label (= retry).
import type { Workflow } from '../config/types.js';
import type { SwarmState, TicketState } from '../state/types.js';
import type { Ticket } from '../tracker/types.js';
import type { Runtime, Services } from './runtime.js';
import { renderSticky } from './sticky.js';

export interface ReconcileDeps {
  rt: Runtime;
  svc: Services;
  wf: Workflow;
  state: SwarmState;
  running: Map<string, { ac: AbortController; done: Promise<void> }>;
  /** Keys whose tracker write is in flight right now. */
  syncing: ReadonlySet<string>;
  save: () => void;
}

const ACTIVE = new Set<TicketState['status']>(['claimed', 'running', 'retry_wait']);

export async function reconcile(d: ReconcileDeps, tickets: readonly Ticket[]): Promise<void> {
  const byKey = new Map(tickets.map((t) => [t.key, t]));
  for (const ts of Object.values(d.state.tickets)) {
    const listed = byKey.get(ts.key);
    if (d.syncing.has(ts.key)) continue;
    const entry = d.running.get(ts.key);
    // Already told to stop (cancelled, released, shutting down): its attempt's own ending tells the
    // tracker. Deciding again while the agent takes its time to die would cancel it once per poll.
    if (entry?.ac.signal.aborted) continue;
    try {
      if (ACTIVE.has(ts.status) || entry) await checkActive(d, ts, listed);
      else if (listed) await heal(d, ts, listed);
      else if (!ts.tracker_synced) await healUnlisted(d, ts);
    } catch (err) {
      d.rt.log.warn(`reconcile: ${(err as Error).message} (will try again next poll)`, ts.identifier);
    }
  }
}

async function checkActive(d: ReconcileDeps, ts: TicketState, listed: Ticket | undefined): Promise<void> {
  const tr = d.wf.config.tracker;
  let ticket = listed ?? null;
  let why = listed ? excludedWhy(d, listed) : null;
  if (!listed) {
    ticket = await d.svc.tracker.fetch(ts.key);
    if (!ticket || !ticket.open) why = 'the ticket was closed';
    else if (!tr.labels.every((l) => hasLabel(ticket!, l))) why = `the trigger label was removed`;
    else why = excludedWhy(d, ticket);
  }
  if (!why) {
    if (!ts.tracker_synced && ticket) await heal(d, ts, ticket);
    return;
  }
  const closed = !ticket || !ticket.open;
  const entry = d.running.get(ts.key);
  d.rt.log.event('cancelled', { ticket: ts.identifier, reason: why }, `cancelled: ${why}${entry ? '; stopping the agent' : ''}${closed ? '; removing the worktree' : '; keeping the worktree'}`, 'warn');
  if (entry) entry.ac.abort('cancel');
  ts.status = 'released';
  ts.next_retry_at = null;
  ts.retry_reason = null;
  ts.last_event = `cancelled: ${why}`;
  ts.tracker_synced = false;
  d.save();
  if (ticket) {
    await d.svc.tracker.unclaim(ticket, renderSticky(ts, d.wf.config.agent.max_attempts));
    ts.tracker_synced = true;
  }
  if (closed) {
    const remove = () => d.svc.worktrees.remove(ts.worktree, ts.branch, { deleteBranch: false, force: false }).catch((err: Error) => d.rt.log.warn(`could not remove worktree: ${err.message}`, ts.identifier));
    if (entry) void entry.done.then(remove);
    else await remove();
  }
  d.save();
}

function excludedWhy(d: ReconcileDeps, t: Ticket): string | null {
  const tr = d.wf.config.tracker;
  if (!t.open) return 'the ticket was closed';
  const ex = tr.exclude_labels.find((l) => hasLabel(t, l));
  if (ex) return `excluded label ${ex} was added`;
  if (tr.kind === 'linear' && !tr.states.includes(t.state) && t.state !== tr.running_state) return `it moved to state "${t.state}"`;
  return null;
}

/**
 * A pending tracker write for a ticket the listing no longer shows (Linear: `swarm retry` of an issue
 * sitting in failed_state, which is not an eligible state): read it once and heal it like a listed one.
 * Costs a request only while a write is pending, never on an idle poll.
 */
async function healUnlisted(d: ReconcileDeps, ts: TicketState): Promise<void> {
  const t = await d.svc.tracker.fetch(ts.key);
  if (t) return heal(d, ts, t);
  ts.tracker_synced = true; // deleted: nothing left to tell
  d.save();
}

/** Bring tracker labels in line with our state after a failed write; respect a human's later edits. */
async function heal(d: ReconcileDeps, ts: TicketState, t: Ticket): Promise<void> {
  const tr = d.wf.config.tracker;
  const sticky = () => renderSticky(ts, d.wf.config.agent.max_attempts);
  if (ts.status === 'failed' && ts.tracker_synced && !hasLabel(t, tr.failed_label)) {
    // A human removed the failed label (Linear: or moved the issue out of failed_state back into an
    // eligible state): that is a retry (SPEC §4). The listing may predate our own markFailed write, so
    // confirm with a fresh read before acting. History stays; the count restarts.
    const fresh = await d.svc.tracker.fetch(ts.key);
    if (!fresh || !fresh.open || hasLabel(fresh, tr.failed_label)) return;
    if (tr.kind === 'linear' && (!tr.states.includes(fresh.state) || fresh.state === tr.failed_state)) return;
    ts.status = 'released';
    ts.failures = 0;
    const why = tr.kind === 'linear' && tr.failed_state !== null ? `moved from ${tr.failed_state} back to ${fresh.state}` : `${tr.failed_label} was removed`;
    d.rt.log.event('retry_requested', { ticket: ts.identifier }, `${why}: will try again`);
    d.save();
    return;
  }
  if (ts.tracker_synced) return;
  if (ts.status === 'review') await d.svc.tracker.release(t, ts.pr ? { ...ts.pr, state: 'open', branch: ts.branch } : null, sticky());
  else if (ts.status === 'failed') await d.svc.tracker.markFailed(t, sticky());
  else if (ts.status === 'released') {
    await d.svc.tracker.unclaim(t, sticky());
    // `swarm retry` of a failed ticket: the failed mark (label, or Linear's failed_state) must go too,
    // or it stays handed off.
    if (hasLabel(t, tr.failed_label) || (tr.kind === 'linear' && tr.failed_state !== null && t.state === tr.failed_state)) await d.svc.tracker.clearFailed?.(t);
  }
  else await d.svc.tracker.updateSticky(t, sticky());
  ts.tracker_synced = true;
  d.save();
}

function hasLabel(t: Ticket, l: string): boolean {
  return t.labels.some((x) => x.toLowerCase() === l.toLowerCase());
}
