// PURE decisions about the Claude account this daemon shares with others: what its record means here —
// a usage-limit pause another daemon hit (mirrored into this daemon's own pause, so eligibility, the spawn
// gate, the wake-up, status and explain all see it), whose turn the one canary run after it is, and the
// usage-window figures the lane rules pace on. No I/O and no clock reads: the record (as last read) and
// `now` are passed in.
import { MEMBER_STALE_MS, modelLimitInForce, pauseInForce, windowFigures, type AccountRecord, type WindowFigures } from './account-record.js';
import { familyName, modelFamily } from './limits.js';
import type { PauseState } from './types.js';
import { outlasts, pauseInForce as inForcePause } from './pause.js';

/** The account as the loop sees it: the record last read, and this daemon's id in it (null: not a member, e.g. `swarm explain`). */
export interface AccountView {
  record: AccountRecord;
  self: string | null;
}

/**
 * Whose turn the canary after a usage limit is: none pending; this daemon's (it holds it); open (nobody
 * holds it, or its holder went silent — the next daemon to ask takes it); elsewhere (a live daemon runs it).
 */
export type CanaryTurn = 'none' | 'mine' | 'open' | 'elsewhere';

export function canaryTurn(view: AccountView | null | undefined, now: number): CanaryTurn {
  const c = view?.record.canary;
  if (!view || !c?.pending) return 'none';
  if (c.holder === null) return 'open';
  if (c.holder === view.self) return 'mine';
  const m = view.record.members[c.holder];
  return m !== undefined && now - Date.parse(m.heartbeat_at) <= MEMBER_STALE_MS ? 'elsewhere' : 'open';
}

/** "host pid 123 (owner/repo)" for a member id, or the id itself when it is not (or no longer) a member. */
export function memberLabel(rec: AccountRecord, id: string, self: string | null = null): string {
  if (id === self) return 'this daemon';
  const m = rec.members[id];
  return m ? `${m.host} pid ${m.pid}${m.repo ? ` (${m.repo})` : ''}` : id || 'another daemon';
}

/** Why nothing may start on the account now (its usage-limit pause is in force), or null. */
export function accountPauseReason(view: AccountView | null | undefined, now: number): string | null {
  const p = view ? pauseInForce(view.record, now) : null;
  if (!view || !p) return null;
  return `usage limit on Claude account ${view.record.name} until ${p.until}, hit by ${memberLabel(view.record, p.by, view.self)}: ${p.reason}`;
}

/**
 * Why an attempt on `model` may not start: the account's weekly limit on that model family (seven_day_opus
 * for an Opus attempt) is in force. Attempts on other families are not concerned. null: it may start.
 */
export function modelLimitReason(view: AccountView | null | undefined, model: string, now: number): string | null {
  const family = modelFamily(model);
  const p = view ? modelLimitInForce(view.record, family, now) : null;
  if (!view || !p || family === null) return null;
  return `the weekly ${familyName(family)} limit (${p.limit_type ?? `seven_day_${family}`}) on Claude account ${view.record.name} holds ${model} attempts until ${p.until}, hit by ${memberLabel(view.record, p.by, view.self)}`;
}

/** Why this daemon may not start a run because of the account's canary, or null. `live`: its other running agents. */
export function canaryWaitReason(view: AccountView | null | undefined, now: number, live: number): string | null {
  const turn = canaryTurn(view, now);
  if (turn === 'none') return null;
  const name = view!.record.name;
  if (turn === 'elsewhere') return `after the usage limit on Claude account ${name} one canary run goes first; it runs on ${memberLabel(view!.record, view!.record.canary.holder!)}`;
  if (turn === 'open') return `after the usage limit on Claude account ${name} one canary run goes first; this daemon has not taken it`;
  return live > 0 ? `after the usage limit on Claude account ${name} this daemon runs the one canary run first` : null;
}

/**
 * The pause this daemon must record so that it honours the account's: the account's usage-limit pause in
 * force when the local one does not already last as long (an open-ended local pause always does). null:
 * nothing to record.
 */
export function mirroredPause(local: PauseState | null, view: AccountView | null | undefined, now: number): Omit<PauseState, 'since'> | null {
  const p = view ? pauseInForce(view.record, now) : null;
  if (!view || !p) return null;
  if (outlasts(inForcePause(local, now), p)) return null;
  return { kind: 'rate_limit', until: p.until, reason: accountPauseReason(view, now)!, limit_type: p.limit_type };
}

/** The usage-window figures to pace on: the account's latest (another daemon's agent may have reported them). */
export function accountWindow(view: AccountView | null | undefined): WindowFigures | null {
  return view ? windowFigures(view.record) : null;
}

/** Times the loop should wake at, after `now`: the account's pause ending and its window resetting. */
export function accountWakeTimes(view: AccountView | null | undefined, now: number): number[] {
  if (!view) return [];
  const out: number[] = [];
  const p = pauseInForce(view.record, now);
  if (p) out.push(Date.parse(p.until));
  const w = windowFigures(view.record);
  if (w?.resetsAt != null && w.resetsAt > now) out.push(w.resetsAt);
  for (const l of Object.values(view.record.model_limits)) if (inForcePause(l, now)) out.push(Date.parse(l.until));
  return out;
}
