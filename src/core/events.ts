// Every transition swarm records, as one typed union: what `.swarm/events.jsonl` holds (one JSON object per
// line, `at` first), what the lifecycle fold replays when state.json is lost, what notifications and
// metrics switch over. Ticket events carry the ticket's identifier (`ticket`) and state key (`key`);
// everything a replay needs is in the event itself. The human log line for each lives in event-lines.ts;
// the daemon's operational events (nothing to replay) and their decoder lines live in daemon-events.ts.
// decodeEvent() (below) reads a logged line back into this union, keyed by every event type, so a type
// added here without its decoder does not compile — the events-log rebuild can never silently drop one.
import type { AttemptOutcome, FollowupCheck, FollowupComment, PauseKind } from './types.js';
import type { TokenUsage } from '../agent/types.js';
import { num, str } from '../util/json.js';
import { decodeVerifyEvent, type VerifyEvent } from './verify-decode.js';
import { DAEMON_DECODERS, type DaemonEvent } from './daemon-events.js';

export type { DaemonEvent } from './daemon-events.js';

interface At {
  /** ISO time of the transition. */
  at: string;
}
interface T extends At {
  ticket: string;
  key: string;
}

export type TicketEvent =
  | (T & { type: 'claimed'; branch: string; worktree: string; title: string; url: string })
  /** The dedup guard found an open PR for the branch: handed off without a run. */
  | (T & { type: 'pr_found'; pr: string; number: number; branch: string; worktree: string; title: string; url: string })
  | (T & { type: 'started'; attempt: number; model: string; run_file: string; failures: number; max_attempts: number })
  | (T & { type: 'spawned'; attempt: number; pid: number; pid_start: string | null })
  | (T & {
      type: 'finished'; attempt: number; model: string; outcome: AttemptOutcome; counted: boolean; reason: string;
      summary: string; cost_usd: number; tokens: TokenUsage; session_id: string | null; duration_ms: number;
    })
  /** `commits`: the branch's commits this run made (PR follow-through tells a human's push from ours). */
  | (T & { type: 'pr_opened'; pr: string | null; number: number | null; commits?: string[] })
  /** PR follow-through: a follow-up attempt for a failed check or a change request on `head_sha`. */
  | (T & { type: 'followup_started'; pr: number; round: number; kind: 'ci' | 'review'; head_sha: string; triggers: string[]; checks: FollowupCheck[]; comments: FollowupComment[] })
  /** The follow-up pushed to the PR's branch: back to review, watched again. */
  | (T & { type: 'followup_pushed'; round: number; head_sha: string; commits: string[] })
  /** Follow-ups stop until a human removes the needs-human label: max_followups reached, a run that pushed nothing, a human's push. */
  | (T & { type: 'needs_human'; why: 'needs_human' | 'human_push'; reason: string; label: string })
  /** The needs-human label was removed: follow-ups may start again (rounds counted afresh from here). */
  | (T & { type: 'followups_resumed'; reason: string; head_sha: string | null })
  /** Commits on the branch known to be swarm's (a PR found without a run of ours in this state). */
  | (T & { type: 'commits_seen'; commits: string[] })
  /** The PR was merged or closed: the ticket is done. */
  | (T & { type: 'pr_closed'; merged: boolean; pr: string })
  /**
   * Before an attempt: origin's branch is not an ancestor of the local one (someone rewrote or force-pushed
   * it). No agent runs on the stale branch; the ticket stops for a human (`failed`, with the needs-human
   * label). `backup_ref` keeps the local commits.
   */
  | (T & { type: 'branch_diverged'; branch: string; local_head: string; remote_head: string; ahead: number; behind: number; backup_ref: string | null; reason: string; label: string })
  | (T & { type: 'retry_scheduled'; due: string; reason: string })
  /** After a usage limit or an auth failure: the ticket waits for the pause to end (null: an operator). */
  | (T & { type: 'waiting'; due: string | null; reason: string })
  /** A claim that was about to start its agent when a pause began: it waits, nothing ran. */
  | (T & { type: 'held'; due: string | null; reason: string })
  | (T & { type: 'ticket_failed'; reason: string; failures: number })
  | (T & { type: 'cancelled'; reason: string; stopping_agent: boolean; removing_worktree: boolean })
  /**
   * The claim was dropped: `swarm release` (or an operator cancelling the running attempt), or the tracker
   * refused the claim's write. `hold`: the operator's release — not picked up again until the trigger label
   * is applied afresh or `swarm retry`.
   */
  | (T & { type: 'released'; by: 'operator' | 'claim_failed'; reason: string; hold?: boolean })
  /** An operator's release no longer holds the ticket back (its label was applied afresh). */
  | (T & { type: 'hold_lifted'; reason: string })
  | (T & { type: 'retry_requested'; by: 'operator' | 'tracker'; reason: string })
  /** The daemon stopped under a running or claimed ticket (shutdown, crash): not counted, resumes. */
  | (T & { type: 'interrupted'; attempt: number | null; reason: string })
  | VerifyEvent;

/**
 * Verification after merge, each step written before the next one starts: verifying → verified, or
 * verify_red → reverted (the revert PR or push, a report, a record, or why not) → reopened (the re-attempt)
 * or verify_settled (the ticket stays done: reported, recorded, not charged, left to a human).
 */
export type ScopeEvent =
  | (At & { type: 'paused'; kind: PauseKind; until: string | null; reason: string; limit_type: string | null })
  | (At & { type: 'resumed'; kind: PauseKind; reason: string; canary: boolean })
  | (At & { type: 'canary_passed'; ticket: string })
  | (At & { type: 'budget_reached'; daily_usd: number; spent_usd: number; reason: string });

export type SwarmEvent = TicketEvent | ScopeEvent | DaemonEvent;
export type EventType = SwarmEvent['type'];
/** An event before the logger stamps its time. */
export type Unstamped<E extends SwarmEvent = SwarmEvent> = E extends SwarmEvent ? Omit<E, 'at'> & { at?: string } : never;

// A record, not a list: a ticket event type added to the union and missing here does not compile.
const TICKET_TYPE_RECORD: Record<TicketEvent['type'], true> = {
  claimed: true, pr_found: true, started: true, spawned: true, finished: true, pr_opened: true, retry_scheduled: true, waiting: true, held: true,
  ticket_failed: true, cancelled: true, released: true, hold_lifted: true, retry_requested: true, interrupted: true,
  followup_started: true, followup_pushed: true, needs_human: true, followups_resumed: true, commits_seen: true, pr_closed: true,
  verify_started: true, verified: true, verify_red: true, reverted: true, reopened: true, verify_settled: true,
  branch_diverged: true,
};
const TICKET_TYPES: ReadonlySet<string> = new Set(Object.keys(TICKET_TYPE_RECORD));

export function isTicketEvent(ev: SwarmEvent): ev is TicketEvent {
  return TICKET_TYPES.has(ev.type);
}

// --- reading a logged line back --------------------------------------------------------------------

/** One line of events.jsonl as parsed JSON (validated only as far as `type` and `at`). */
export type RawEvent = Record<string, unknown> & { at: string; type: string };

export interface DecodeContext {
  /** The state key of a ticket event (older logs carry only the identifier); null when it cannot be told. */
  keyOf: (r: RawEvent) => string | null;
  /** Worktree path for a branch, for claims logged by an older swarm without one. */
  worktreeFor?: (branch: string) => string;
}

type Decoder<K extends EventType> = (r: RawEvent, c: DecodeContext) => Extract<SwarmEvent, { type: K }> | null;
type TicketHead = { at: string; ticket: string; key: string };

// Keyed by PauseKind: a pause kind added to the type without a line here does not compile (a replayed pause keeps its kind).
const PAUSE_KIND_SET: { [K in PauseKind]: true } = { rate_limit: true, auth: true, breaker: true, operator: true, tracker: true, containment: true, disk_full: true };
const PAUSE_KINDS = Object.keys(PAUSE_KIND_SET) as PauseKind[];
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const objs = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)) : []);
const pauseKind = (v: unknown): PauseKind => (PAUSE_KINDS.includes(v as PauseKind) ? (v as PauseKind) : 'operator');
const prNumber = (r: RawEvent): number => (typeof r.number === 'number' ? r.number : Number(/\/pull\/(\d+)/.exec(str(r.pr))?.[1] ?? 0));
const tokens = (v: unknown): TokenUsage => {
  const t = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  return { input: num(t.input), output: num(t.output), cacheRead: num(t.cacheRead), cacheCreation: num(t.cacheCreation) };
};

/** A ticket event's decoder: null when the line names no ticket we can key. */
function ticket<K extends TicketEvent['type']>(type: K, body: (r: RawEvent, head: TicketHead, c: DecodeContext) => Omit<Extract<TicketEvent, { type: K }>, keyof TicketHead | 'type'>): Decoder<K> {
  return (r, c) => {
    const key = c.keyOf(r);
    if (key === null) return null;
    const head = { at: r.at, ticket: str(r.ticket) || key, key };
    return { ...head, type, ...body(r, head, c) } as unknown as Extract<SwarmEvent, { type: K }>;
  };
}

/** A verification event's decoder: its own table (state/verify-decode.ts) checks the merge commit it is about. */
function verify<K extends VerifyEvent['type']>(): Decoder<K> {
  return (r, c) => {
    const key = c.keyOf(r);
    if (key === null) return null;
    return decodeVerifyEvent(r, { at: r.at, ticket: str(r.ticket) || key, key }) as Extract<SwarmEvent, { type: K }> | null;
  };
}

/**
 * Every event type's decoder, with defaults for what an older swarm did not write. A mapped type over
 * EventType: an event type added to the union without a line here is a compile error (a daemon event's
 * line is in daemon-events.ts, keyed by DaemonEvent's types the same way).
 */
const DECODERS: { [K in EventType]: Decoder<K> } = {
  claimed: ticket('claimed', (r, _h, c) => {
    const branch = str(r.branch);
    return { branch, worktree: str(r.worktree) || (branch && c.worktreeFor ? c.worktreeFor(branch) : ''), title: str(r.title), url: str(r.url) };
  }),
  pr_found: ticket('pr_found', (r) => ({ pr: str(r.pr), number: prNumber(r), branch: str(r.branch), worktree: str(r.worktree), title: str(r.title), url: str(r.url) })),
  started: ticket('started', (r) => ({ attempt: num(r.attempt) || 1, model: str(r.model), run_file: str(r.run_file), failures: num(r.failures), max_attempts: num(r.max_attempts) })),
  spawned: ticket('spawned', (r) => ({ attempt: num(r.attempt), pid: num(r.pid), pid_start: strOrNull(r.pid_start) })),
  finished: ticket('finished', (r) => ({
    attempt: num(r.attempt), model: str(r.model), outcome: (str(r.outcome) || 'interrupted') as AttemptOutcome, counted: r.counted === true, reason: str(r.reason),
    summary: str(r.summary), cost_usd: num(r.cost_usd), tokens: tokens(r.tokens), session_id: strOrNull(r.session_id), duration_ms: num(r.duration_ms),
  })),
  pr_opened: ticket('pr_opened', (r) => ({ pr: str(r.pr) || null, number: str(r.pr) ? prNumber(r) : null, ...(Array.isArray(r.commits) ? { commits: strs(r.commits) } : {}) })),
  followup_started: ticket('followup_started', (r) => ({
    pr: num(r.pr), round: num(r.round) || 1, kind: r.kind === 'review' ? 'review' : 'ci', head_sha: str(r.head_sha), triggers: strs(r.triggers),
    checks: objs(r.checks).map((x) => ({ name: str(x.name), conclusion: str(x.conclusion), summary: str(x.summary), log_excerpt: str(x.log_excerpt) })),
    comments: objs(r.comments).map((x) => ({ author: str(x.author), body: str(x.body), path: strOrNull(x.path), line: numOrNull(x.line) })),
  })),
  followup_pushed: ticket('followup_pushed', (r) => ({ round: num(r.round), head_sha: str(r.head_sha), commits: strs(r.commits) })),
  needs_human: ticket('needs_human', (r) => ({ why: r.why === 'human_push' ? 'human_push' : 'needs_human', reason: str(r.reason), label: str(r.label) })),
  followups_resumed: ticket('followups_resumed', (r) => ({ reason: str(r.reason), head_sha: strOrNull(r.head_sha) })),
  commits_seen: ticket('commits_seen', (r) => ({ commits: strs(r.commits) })),
  pr_closed: ticket('pr_closed', (r) => ({ merged: r.merged === true, pr: str(r.pr) })),
  branch_diverged: ticket('branch_diverged', (r) => ({
    branch: str(r.branch), local_head: str(r.local_head), remote_head: str(r.remote_head), ahead: num(r.ahead), behind: num(r.behind),
    backup_ref: strOrNull(r.backup_ref), reason: str(r.reason), label: str(r.label),
  })),
  verify_started: verify(),
  verified: verify(),
  verify_red: verify(),
  reverted: verify(),
  reopened: verify(),
  verify_settled: verify(),
  retry_scheduled: ticket('retry_scheduled', (r) => ({ due: str(r.due) || r.at, reason: str(r.reason) })),
  waiting: ticket('waiting', (r) => ({ due: strOrNull(r.due), reason: str(r.reason) })),
  held: ticket('held', (r) => ({ due: strOrNull(r.due), reason: str(r.reason) })),
  ticket_failed: ticket('ticket_failed', (r) => ({ reason: str(r.reason), failures: num(r.failures) })),
  cancelled: ticket('cancelled', (r) => ({ reason: str(r.reason), stopping_agent: r.stopping_agent === true, removing_worktree: r.removing_worktree === true })),
  released: ticket('released', (r) => ({ by: r.by === 'claim_failed' ? 'claim_failed' : 'operator', reason: str(r.reason) || 'released', hold: r.hold === true })),
  hold_lifted: ticket('hold_lifted', (r) => ({ reason: str(r.reason) })),
  retry_requested: ticket('retry_requested', (r) => ({ by: r.by === 'tracker' ? 'tracker' : 'operator', reason: str(r.reason) || 'retry requested' })),
  interrupted: ticket('interrupted', (r) => ({ attempt: numOrNull(r.attempt), reason: str(r.reason) })),
  paused: (r) => ({ at: r.at, type: 'paused', kind: pauseKind(r.kind), until: strOrNull(r.until), reason: str(r.reason) || 'restored from the events log', limit_type: strOrNull(r.limit_type) }),
  resumed: (r) => ({ at: r.at, type: 'resumed', kind: pauseKind(r.kind), reason: str(r.reason), canary: r.canary === true }),
  canary_passed: (r) => ({ at: r.at, type: 'canary_passed', ticket: str(r.ticket) }),
  budget_reached: (r) => ({ at: r.at, type: 'budget_reached', daily_usd: num(r.daily_usd), spent_usd: num(r.spent_usd), reason: str(r.reason) }),
  ...DAEMON_DECODERS,
};

/** A logged line → its typed event for the fold, or null: an unknown type, a ticket it cannot key, or an operational event. */
export function decodeEvent(r: RawEvent, c: DecodeContext): SwarmEvent | null {
  if (!Object.hasOwn(DECODERS, r.type)) return null;
  return (DECODERS as Record<string, Decoder<EventType>>)[r.type]!(r, c);
}
