// PURE: when the poll loop wakes (the next poll, a due retry, a pause's end, a full disk's probe) and when
// `--until-idle` stops. No I/O and no clock reads: `now` is passed in.
import type { Config } from '../config/types.js';
import type { DiskFull, SwarmState } from './types.js';
import { scopePause } from './policy.js';
import { budgetStop } from './budget.js';

/** How often the loop tries to write again while the disk is full. */
export const DISK_PROBE_MS = 5_000;

/**
 * How long the loop sleeps: until the next poll, a due retry, the end of a timed pause, or one of `also`
 * (the background lane opening, the account's window resetting: laneWakeTimes, accountWakeTimes).
 */
export function nextWakeMs(state: SwarmState, lastPollAt: number, interval: number, now: number, also: readonly number[] = [], disk: DiskFull | null = null): number {
  let next = lastPollAt + interval;
  for (const t of also) if (t > now) next = Math.min(next, t);
  for (const t of Object.values(state.tickets)) {
    if (t.status === 'retry_wait' && t.next_retry_at) next = Math.min(next, Math.max(Date.parse(t.next_retry_at), now + 50));
  }
  const p = state.pause;
  if (p?.until) next = Math.min(next, Math.max(Date.parse(p.until), now + 50));
  // A full disk is probed for room every few seconds: dispatch resumes by itself once a write goes through.
  if (disk) next = Math.min(next, now + DISK_PROBE_MS);
  return Math.max(50, next - now);
}

export type IdleVerdict = { done: false } | { done: true; code: 0 | 1 | 2; message: string | null };

/**
 * `--until-idle`: done once nothing is running, eligible or waiting for a retry that can come. A pause
 * with a known end is waited out; one that waits for an operator ends the run (0 for an operator's own
 * pause, 1 for a dead login). `eligible` is NaN when the poll could not tell (tracker down): not done.
 */
export function idleVerdict(config: Config, state: SwarmState, i: { running: number; eligible: number; listed: ReadonlySet<string>; now: number; refused?: string | null; disk?: DiskFull | null }): IdleVerdict {
  if (i.running > 0) return { done: false };
  // The tracker refuses the poll itself (a setting to change): waiting would never end.
  if (i.refused) return { done: true, code: 2, message: `stopping: ${i.refused}` };
  const pause = scopePause(state, i.now, i.disk);
  // A full disk ends by itself (no operator needed): waited out like a timed pause.
  if (pause?.kind === 'disk_full') return { done: false };
  if (pause && pause.until === null) {
    return { done: true, code: pause.kind === 'operator' ? 0 : 1, message: `stopping: dispatch is paused until an operator acts (${pause.reason})` };
  }
  // A retry that a budget stops will not come today: it is not something to wait for.
  const waiting = Object.values(state.tickets).some((t) => t.status === 'retry_wait' && i.listed.has(t.key) && budgetStop(config, state, t) === null);
  return !pause && i.eligible === 0 && !waiting ? { done: true, code: 0, message: null } : { done: false };
}
