// Reading a ticket's follow-through record (TicketState.followup) from untrusted JSON — state.json, a
// fleet database row — leniently: a malformed part reads as its default, never discarding the ticket.
import type { FollowupCheck, FollowupComment, FollowupState, FollowupStop, PendingFollowup } from './types.js';
import { isObj, str } from '../util/json.js';

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const intOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const STOPS: readonly FollowupStop[] = ['needs_human', 'human_push', 'merged', 'closed', 'diverged'];

/** How many trigger keys and own commits a record keeps (oldest dropped first). */
export const FOLLOWUP_LIST_MAX = 200;

export function parseFollowup(raw: unknown): FollowupState | null {
  if (!isObj(raw)) return null;
  const stopped = isObj(raw.stopped) && STOPS.includes(raw.stopped.why as FollowupStop)
    ? { why: raw.stopped.why as FollowupStop, detail: str(raw.stopped.detail), at: str(raw.stopped.at) }
    : null;
  return {
    rounds: intOrNull(raw.rounds) ?? 0,
    handled: strs(raw.handled).slice(-FOLLOWUP_LIST_MAX),
    ours: strs(raw.ours).slice(-FOLLOWUP_LIST_MAX),
    pending: parsePending(raw.pending),
    stopped,
    seen: isObj(raw.seen) && typeof raw.seen.at === 'string'
      ? { at: raw.seen.at, head_sha: str(raw.seen.head_sha), checks: str(raw.seen.checks), decision: str(raw.seen.decision), ...(typeof raw.seen.human === 'string' ? { human: raw.seen.human } : {}) }
      : null,
  };
}

function parsePending(raw: unknown): PendingFollowup | null {
  if (!isObj(raw) || (raw.kind !== 'ci' && raw.kind !== 'review') || typeof raw.head_sha !== 'string') return null;
  const checks: FollowupCheck[] = (Array.isArray(raw.checks) ? raw.checks : []).filter(isObj).map((c) => ({
    name: str(c.name), conclusion: str(c.conclusion), summary: str(c.summary), log_excerpt: str(c.log_excerpt),
  }));
  const comments: FollowupComment[] = (Array.isArray(raw.comments) ? raw.comments : []).filter(isObj).map((c) => ({
    author: str(c.author), body: str(c.body), path: typeof c.path === 'string' ? c.path : null, line: intOrNull(c.line),
  }));
  return { kind: raw.kind, round: intOrNull(raw.round) ?? 1, head_sha: raw.head_sha, triggers: strs(raw.triggers), checks, comments };
}

/** A fresh record: nothing watched yet. */
export function emptyFollowup(): FollowupState {
  return { rounds: 0, handled: [], ours: [], pending: null, stopped: null, seen: null };
}

/** `list` with `add` appended (no duplicates), capped at FOLLOWUP_LIST_MAX. */
export function appendCapped(list: readonly string[], add: readonly string[]): string[] {
  const out = [...list];
  for (const x of add) if (!out.includes(x)) out.push(x);
  return out.slice(-FOLLOWUP_LIST_MAX);
}
