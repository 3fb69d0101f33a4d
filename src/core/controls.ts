// Operator actions (`swarm pause`, `resume`, `retry`, `release`) as lifecycle steps plus a one-line answer.
// Pure: the running daemon (through its control channel) and a stopped one (editing state.json under the
// lock) commit the same step through a ledger, so both behave — and log — identically.
import type { SwarmState } from './types.js';
import { dropClaim, pause, resume, retry, type Step } from './lifecycle.js';
import { needsCanary } from './policy.js';

export type ControlResult = { ok: true; message: string } | { ok: false; message: string };

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

export function retryControl(state: SwarmState, key: string, now: number): Control {
  const ts = state.tickets[key];
  if (!ts) return { step: null, result: { ok: false, message: `ticket ${key} is not known to swarm (it was never claimed); nothing to retry` } };
  if (ts.status === 'running' || ts.status === 'claimed') return { step: null, result: { ok: false, message: `ticket ${ts.identifier} is running now; wait for it or \`swarm release ${key}\` first` } };
  return {
    step: retry(ts, 'operator', 'retry requested by an operator (swarm retry)', now),
    result: { ok: true, message: `ticket ${ts.identifier} will be picked up again with a fresh attempt count (history kept; its failed label or state is cleared at the next poll)` },
  };
}

export function releaseControl(state: SwarmState, key: string, now: number): Control {
  const ts = state.tickets[key];
  if (!ts) return { step: null, result: { ok: false, message: `ticket ${key} is not known to swarm; nothing to release` } };
  if (ts.status === 'released') return { step: null, result: { ok: true, message: `ticket ${ts.identifier} was not claimed` } };
  // Handed off or failed: there is no claim to drop, and dropping the mark would hide the outcome.
  if (ts.status === 'review' || ts.status === 'failed' || ts.status === 'done') return { step: null, result: { ok: true, message: `ticket ${ts.identifier} is not claimed (it is ${ts.status === 'review' ? 'in review' : ts.status}); \`swarm retry ${key}\` to run it again` } };
  return { step: dropClaim(ts, 'operator', 'released by an operator (swarm release)', now), result: { ok: true, message: `released ${ts.identifier}; its worktree and branch are kept` } };
}

/** An operator's control as `swarm pause/resume/retry/release` sends it, and the answer it gets. */
export type ControlAction = { kind: 'pause'; untilMs: number | null } | { kind: 'resume' } | { kind: 'retry'; ticket: string } | { kind: 'release'; ticket: string };

export interface ControlAnswer extends Record<string, unknown> {
  ok: boolean;
  message: string;
  /** Who acted: the running daemon, swarm editing state.json directly, or the fleet database (fleet mode). */
  via: 'daemon' | 'state' | 'fleet';
  /** The ticket was not known (exit 2 for the CLI). */
  unknown?: boolean;
}
