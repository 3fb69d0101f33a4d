// Operator actions (`swarm pause`, `resume`, `retry`, `release`, the console's cancel) as lifecycle steps plus
// a one-line answer. Pure: the running daemon (through its control channel) and a stopped one (editing
// state.json under the lock) commit the same step through a ledger, so both behave — and log — identically.
import type { SwarmState, TicketState } from './types.js';
import { dropClaim, pause, resume, retry, type Step } from './lifecycle.js';
import { needsCanary } from './policy.js';

export type ControlResult = { ok: true; message: string } | { ok: false; message: string };

/** A request about one ticket, as daemons pass it to the one holding the ticket (fleet mode). */
export type TicketControlKind = 'retry' | 'retry-force' | 'release' | 'cancel';

export interface Control {
  result: ControlResult;
  /** What to commit; null when nothing changes. */
  step: Step | null;
}

export function pauseControl(_state: SwarmState, untilMs: number | null, now: number): Control {
  const until = untilMs === null ? null : new Date(untilMs).toISOString();
  const step = pause({ kind: 'operator', reason: 'paused by an operator (swarm pause)', until, limit_type: null }, now);
  return { step, result: { ok: true, message: until ? `dispatch paused until ${until}; running agents continue` : 'dispatch paused until `swarm resume`; running agents continue' } };
}

export function resumeControl(state: SwarmState, now: number): Control {
  const p = state.pause;
  if (!p) return { step: null, result: { ok: true, message: 'dispatch was not paused' } };
  return { step: resume(p, 'an operator resumed dispatch (swarm resume)', now), result: { ok: true, message: `resumed (was paused: ${p.kind}${needsCanary(p.kind) ? '; one canary run goes first' : ''})` } };
}

export interface RetryOptions {
  /** Run it again although it is handed off, closed or not failed. */
  force?: boolean;
  /** Whether the tracker shows the ticket open (null: not known here). */
  open?: boolean | null;
}

/**
 * Clear a failed (or held) ticket's count so it is picked up again. A ticket that is handed off, closed, or
 * merely waiting for its retry is refused with the reason unless `force`: retrying those would strip a
 * review mark from a closed ticket or run a second agent beside a pull request.
 */
export function retryControl(state: SwarmState, key: string, now: number, opts: RetryOptions = {}): Control {
  const ts = state.tickets[key];
  if (!ts) return { step: null, result: { ok: false, message: `ticket ${key} is not known to swarm (it was never claimed); nothing to retry` } };
  if (ts.status === 'running' || ts.status === 'claimed') return { step: null, result: { ok: false, message: `ticket ${ts.identifier} is running now; wait for it or \`swarm release ${key}\` first` } };
  const refusal = opts.force ? null : retryRefusal(ts, opts.open ?? null);
  if (refusal) return { step: null, result: { ok: false, message: `${refusal}; \`swarm retry ${key} --force\` runs it again anyway` } };
  return {
    step: retry(ts, 'operator', 'retry requested by an operator (swarm retry)', now),
    result: { ok: true, message: `ticket ${ts.identifier} will be picked up again with a fresh attempt count (history kept; its failed label or state is cleared at the next poll)` },
  };
}

function retryRefusal(ts: TicketState, open: boolean | null): string | null {
  if (open === false) return `ticket ${ts.identifier} is closed on the tracker: there is nothing to run`;
  if (ts.status === 'review' || ts.status === 'done') {
    return `ticket ${ts.identifier} is handed off (${ts.pr?.url ?? `branch ${ts.branch}`}${ts.status === 'done' ? ', finished' : ''}): a retry would run another agent beside its pull request`;
  }
  if (ts.status === 'retry_wait') return `ticket ${ts.identifier} has not failed: it already waits for its next attempt (${ts.next_retry_at ?? 'after the pause'}: ${ts.retry_reason ?? 'backoff'})`;
  return null; // failed, or released (an operator's hold is lifted by a retry)
}

export function releaseControl(state: SwarmState, key: string, now: number): Control {
  const ts = state.tickets[key];
  if (!ts) return { step: null, result: { ok: false, message: `ticket ${key} is not known to swarm; nothing to release` } };
  if (ts.status === 'released') return { step: null, result: { ok: true, message: `ticket ${ts.identifier} was not claimed` } };
  // Handed off or failed: there is no claim to drop, and dropping the mark would hide the outcome.
  if (ts.status === 'review' || ts.status === 'failed' || ts.status === 'done') return { step: null, result: { ok: true, message: `ticket ${ts.identifier} is not claimed (it is ${ts.status === 'review' ? 'in review' : ts.status}); \`swarm retry ${key}\` to run it again` } };
  const why = `released by an operator (swarm release): left alone until its label is applied afresh or \`swarm retry ${key}\``;
  return { step: dropClaim(ts, 'operator', why, now, true), result: { ok: true, message: `released ${ts.identifier}; its worktree and branch are kept; it is not picked up again until its label is applied afresh or \`swarm retry ${key}\`` } };
}

/** Stop the running attempt (its process group is killed; not counted) and leave the ticket alone like a release. */
export function cancelControl(state: SwarmState, key: string, now: number, running: boolean): Control {
  const ts = state.tickets[key];
  if (!ts) return { step: null, result: { ok: false, message: `ticket ${key} is not known to swarm; nothing to cancel` } };
  const live = ts.attempts.find((a) => a.outcome === 'running');
  if (!running || (ts.status !== 'running' && ts.status !== 'claimed')) return { step: null, result: { ok: false, message: `no attempt of ${ts.identifier} is running on this daemon; nothing to cancel` } };
  const what = live ? `attempt ${live.number}` : 'the attempt being prepared';
  const why = `${what} cancelled by an operator (not counted): left alone until its label is applied afresh or \`swarm retry ${key}\``;
  return { step: dropClaim(ts, 'operator', why, now, true), result: { ok: true, message: `cancelling ${what} of ${ts.identifier}: its process group is stopped; not counted` } };
}

/** An operator's control as `swarm pause/resume/retry/release` sends it, and the answer it gets. */
export type ControlAction = { kind: 'pause'; untilMs: number | null } | { kind: 'resume' } | { kind: 'retry'; ticket: string; force?: boolean } | { kind: 'release'; ticket: string };

export interface ControlAnswer extends Record<string, unknown> {
  ok: boolean;
  message: string;
  /** Who acted: the running daemon, swarm editing state.json directly, or the fleet database (fleet mode). */
  via: 'daemon' | 'state' | 'fleet';
  /** The ticket was not known (exit 2 for the CLI). */
  unknown?: boolean;
}
