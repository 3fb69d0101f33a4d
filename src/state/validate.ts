// Validates (and migrates) a parsed state.json. Every field is checked at the edge; a missing optional
// field gets its default so older files keep loading. A future format bumps STATE_VERSION and adds a
// step to MIGRATIONS.
import { parseFollowup } from '../core/followup-record.js';
import { parseBase, parseVerify } from '../core/verify-record.js';
import { STATE_VERSION, type AttemptRecord, type SwarmState, type TicketState } from '../core/types.js';
import { emptyDaily } from '../core/records.js';
import { isObj, num, str } from '../util/json.js';

type Check = { ok: true; state: SwarmState } | { ok: false; error: string };

const MIGRATIONS: Record<number, (raw: Record<string, unknown>) => Record<string, unknown>> = {
  // 1 → 2: `tracker_synced: boolean` became the write-ahead pair rev/synced_rev (and `cleared`).
  1: (raw) => {
    const tickets: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(isObj(raw.tickets) ? raw.tickets : {})) {
      if (!isObj(t)) {
        tickets[k] = t;
        continue;
      }
      const { tracker_synced, ...rest } = t;
      tickets[k] = { ...rest, rev: 1, synced_rev: tracker_synced === false ? 0 : 1, cleared: false };
    }
    const pause = isObj(raw.pause) ? (({ canary_pending: _, ...p }) => p)(raw.pause) : raw.pause;
    return { ...raw, version: 2, tickets, pause };
  },
  // 2 → 3: the daemon's view (its config copy, errors, notes, webhooks; the fleet, account and queue views)
  // left state.json for the report, .swarm/daemon.json, which the running daemon rewrites itself.
  2: (raw) => {
    const { daemon: _d, fleet: _f, account: _a, queue: _q, ...rest } = raw;
    return { ...rest, version: 3 };
  },
};

const TICKET_STATUSES = new Set(['claimed', 'running', 'retry_wait', 'review', 'failed', 'released', 'done', 'verifying', 'red']);

export function validateState(raw: unknown, now: number): Check {
  if (!isObj(raw)) return { ok: false, error: 'the top level is not an object' };
  let doc = raw;
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return { ok: false, error: 'it has no valid "version"' };
  if (version > STATE_VERSION) return { ok: false, error: `it was written by a newer swarm (format ${version}, this one reads ${STATE_VERSION})` };
  for (let v = version; v < STATE_VERSION; v++) doc = MIGRATIONS[v]!(doc);
  if (!isObj(doc.tickets)) return { ok: false, error: '"tickets" is missing' };
  const tickets: Record<string, TicketState> = {};
  for (const [key, t] of Object.entries(doc.tickets)) {
    const ticket = checkTicket(key, t);
    if (typeof ticket === 'string') return { ok: false, error: ticket };
    tickets[key] = ticket;
  }
  const breaker = isObj(doc.breaker) ? doc.breaker : {};
  const daily = isObj(doc.daily) && typeof doc.daily.date === 'string' ? (doc.daily as unknown as SwarmState['daily']) : emptyDaily(now);
  return {
    ok: true,
    state: {
      version: STATE_VERSION,
      tickets,
      pause: isObj(doc.pause) && typeof doc.pause.kind === 'string' ? (doc.pause as unknown as SwarmState['pause']) : null,
      canary: doc.canary === true,
      breaker: {
        recent: Array.isArray(breaker.recent) ? breaker.recent.filter((b): b is boolean => typeof b === 'boolean').slice(-5) : [],
        consecutive: num(breaker.consecutive),
        level: num(breaker.level),
      },
      daily: { ...emptyDaily(now), ...daily },
      base: parseBase(doc.base),
    },
  };
}

/** One ticket record validated at the edge (state.json, or a row of the fleet database): the record or why not. */
export function checkTicket(key: string, t: unknown): TicketState | string {
  if (!isObj(t)) return `ticket ${key} is not an object`;
  if (typeof t.status !== 'string' || !TICKET_STATUSES.has(t.status)) return `ticket ${key} has an unknown status`;
  if (!Array.isArray(t.attempts)) return `ticket ${key} has no attempts list`;
  const attempts: AttemptRecord[] = [];
  for (const a of t.attempts) {
    if (!isObj(a) || typeof a.number !== 'number' || typeof a.outcome !== 'string') return `ticket ${key} has a malformed attempt`;
    attempts.push({
      number: a.number,
      model: str(a.model),
      outcome: a.outcome as AttemptRecord['outcome'],
      counted: a.counted === true,
      reason: str(a.reason),
      summary: str(a.summary),
      started_at: str(a.started_at),
      ended_at: typeof a.ended_at === 'string' ? a.ended_at : null,
      duration_ms: num(a.duration_ms),
      cost_usd: num(a.cost_usd),
      tokens: isObj(a.tokens)
        ? { input: num(a.tokens.input), output: num(a.tokens.output), cacheRead: num(a.tokens.cacheRead), cacheCreation: num(a.tokens.cacheCreation) }
        : { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
      session_id: typeof a.session_id === 'string' ? a.session_id : null,
      pid: typeof a.pid === 'number' ? a.pid : null,
      pid_start: typeof a.pid_start === 'string' ? a.pid_start : null,
      run_file: str(a.run_file),
    });
  }
  return {
    key,
    identifier: str(t.identifier) || key,
    title: str(t.title),
    url: str(t.url),
    branch: str(t.branch),
    worktree: str(t.worktree),
    status: t.status as TicketState['status'],
    attempts,
    failures: num(t.failures),
    next_retry_at: typeof t.next_retry_at === 'string' ? t.next_retry_at : null,
    retry_reason: typeof t.retry_reason === 'string' ? t.retry_reason : null,
    pr: isObj(t.pr) && typeof t.pr.url === 'string' ? { number: num(t.pr.number), url: t.pr.url } : null,
    cost_usd: num(t.cost_usd),
    claimed_at: typeof t.claimed_at === 'string' ? t.claimed_at : null,
    updated_at: str(t.updated_at),
    last_event: str(t.last_event),
    rev: num(t.rev),
    synced_rev: num(t.synced_rev),
    cleared: t.cleared === true,
    followup: parseFollowup(t.followup),
    verify: parseVerify(t.verify),
    ...('hold' in t ? { hold: isObj(t.hold) && typeof t.hold.reason === 'string' ? { reason: t.hold.reason, since: str(t.hold.since), unlisted: t.hold.unlisted === true } : null } : {}),
    ...(typeof t.cancelled_at === 'string' ? { cancelled_at: t.cancelled_at } : {}),
    ...(typeof t.reclaimed_at === 'string' ? { reclaimed_at: t.reclaimed_at } : {}),
  };
}
