// Operator actions on the state (SPEC §2: pause, resume, retry, release). Pure functions over
// SwarmState so the running daemon (through its control channel) and a stopped one (editing
// state.json under the lock) behave identically. Each returns a one-line answer for the operator.
import type { SwarmState } from '../state/types.js';

export type ControlResult = { ok: true; message: string } | { ok: false; message: string };

export function applyPause(state: SwarmState, untilMs: number | null, now: number): ControlResult {
  const until = untilMs === null ? null : new Date(untilMs).toISOString();
  state.pause = { kind: 'operator', reason: 'paused by an operator (swarm pause)', since: new Date(now).toISOString(), until, limit_type: null };
  return { ok: true, message: until ? `dispatch paused until ${until}; running agents continue` : 'dispatch paused until `swarm resume`; running agents continue' };
}

export function applyResume(state: SwarmState): ControlResult {
  const p = state.pause;
  if (!p) return { ok: true, message: 'dispatch was not paused' };
  state.pause = null;
  // After an infrastructure pause, one canary run goes first; an operator pause needs no canary.
  state.canary = p.kind !== 'operator';
  return { ok: true, message: `resumed (was paused: ${p.kind}${p.kind === 'operator' ? '' : '; one canary run goes first'})` };
}

export function applyRetry(state: SwarmState, key: string): ControlResult {
  const ts = state.tickets[key];
  if (!ts) return { ok: false, message: `ticket ${key} is not known to swarm (it was never claimed); nothing to retry` };
  if (ts.status === 'running' || ts.status === 'claimed') return { ok: false, message: `ticket ${ts.identifier} is running now; wait for it or \`swarm release ${key}\` first` };
  ts.failures = 0;
  ts.next_retry_at = null;
  ts.retry_reason = null;
  if (ts.status === 'failed' || ts.status === 'review') ts.status = 'released';
  ts.tracker_synced = false;
  ts.last_event = 'retry requested by an operator';
  return { ok: true, message: `ticket ${ts.identifier} will be picked up again with a fresh attempt count (history kept; its failed label or state is cleared at the next poll)` };
}

export function applyRelease(state: SwarmState, key: string): ControlResult {
  const ts = state.tickets[key];
  if (!ts) return { ok: false, message: `ticket ${key} is not known to swarm; nothing to release` };
  if (ts.status === 'released') return { ok: true, message: `ticket ${ts.identifier} was not claimed` };
  // Handed off or failed: there is no claim to drop, and dropping the mark would hide the outcome.
  if (ts.status === 'review' || ts.status === 'failed') return { ok: true, message: `ticket ${ts.identifier} is not claimed (it is ${ts.status === 'review' ? 'in review' : 'failed'}); \`swarm retry ${key}\` to run it again` };
  ts.status = 'released';
  ts.next_retry_at = null;
  ts.retry_reason = null;
  ts.tracker_synced = false;
  ts.last_event = 'released by an operator';
  return { ok: true, message: `released ${ts.identifier}; its worktree and branch are kept` };
}
