// Rebuilds the state from `.swarm/events.jsonl` (and its rotated `.1`) when state.json could not be used
// (moved aside as corrupt or truncated). The log holds every lifecycle event, written as it happened, so
// replaying it through the same fold the daemon uses (fold.ts) gives back the attempts, counted failures,
// hand-offs, claims and pauses — a lost state file never resets attempt counts. Lines are validated at the
// edge: a torn last line or an unknown type is skipped, fields an older swarm did not write get defaults.
import { existsSync, readFileSync } from 'node:fs';
import type { SwarmEvent } from '../core/events.js';
import type { PauseState, SwarmState, TicketState } from '../core/types.js';
import { applyEvent } from '../core/fold.js';
import { emptyState } from './file-store.js';
import { num, str } from '../util/json.js';
import { pauseInForce } from '../core/pause.js';
import { decodeVerifyEvent } from '../core/verify-decode.js';

export interface RebuildOptions {
  now: number;
  /** Worktree path for a branch, for claims logged by an older swarm without one. */
  worktreeFor?: (branch: string) => string;
}

export interface RebuildResult {
  tickets: Record<string, TicketState>;
  /** A pause that was in force when the log ends and has not expired. */
  pause: PauseState | null;
  /** Event lines read (for the report). */
  events: number;
}

type Raw = Record<string, unknown> & { at: string; type: string };

/** events.jsonl.1 (older) then events.jsonl, whichever exist. */
export function eventFiles(eventsPath: string): string[] {
  return [`${eventsPath}.1`, eventsPath].filter((f) => existsSync(f));
}

export function readEvents(files: readonly string[]): Raw[] {
  const out: Raw[] = [];
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const ev = JSON.parse(line) as unknown;
        if (ev && typeof ev === 'object' && typeof (ev as Raw).type === 'string' && typeof (ev as Raw).at === 'string') out.push(ev as Raw);
      } catch {
        // a torn last line (kill -9 mid-append): skip it
      }
    }
  }
  return out;
}

export function rebuildFromEventFiles(eventsPath: string, opts: RebuildOptions): RebuildResult {
  return rebuildFromEvents(readEvents(eventFiles(eventsPath)), opts);
}

const ACTIVE = new Set<TicketState['status']>(['claimed', 'running', 'retry_wait']);

export function rebuildFromEvents(raws: readonly Raw[], opts: RebuildOptions): RebuildResult {
  const nowIso = new Date(opts.now).toISOString();
  const keyOf = keyResolver(raws);
  const state: SwarmState = emptyState(opts.now);
  for (const raw of raws) {
    const ev = toEvent(raw, keyOf, opts);
    if (ev) applyEvent(state, ev);
  }
  for (const [key, t] of Object.entries(state.tickets)) {
    let ts = t;
    // An attempt that started but never finished was cut off by a crash: interrupted, never counted.
    if (ts.attempts.some((a) => a.outcome === 'running') || ACTIVE.has(ts.status)) {
      ts = applyEvent1(state, { type: 'interrupted', at: nowIso, ticket: ts.identifier, key, attempt: null, reason: 'the daemon stopped while this ticket was being worked on (not counted; rebuilt from the events log)' });
    }
    // The next poll re-tells the tracker what we believe.
    state.tickets[key] = { ...ts, synced_rev: 0, next_retry_at: ACTIVE.has(ts.status) ? nowIso : ts.next_retry_at };
  }
  // Operator and auth pauses have no end; a timed pause that already ended, or the tracker's own, is dropped.
  let pause = pauseInForce(state.pause, opts.now);
  if (pause && pause.kind === 'tracker') pause = null;
  return { tickets: state.tickets, pause, events: raws.length };
}

function applyEvent1(state: SwarmState, ev: SwarmEvent): TicketState {
  applyEvent(state, ev);
  return state.tickets[(ev as { key: string }).key]!;
}

/** A logged line → a typed event, with defaults for what an older swarm did not write; null to skip. */
function toEvent(r: Raw, keyOf: (r: Raw) => string | null, opts: RebuildOptions): SwarmEvent | null {
  const at = r.at;
  const key = keyOf(r);
  const t = key === null ? null : { at, ticket: str(r.ticket) || key, key };
  const reason = str(r.reason);
  switch (r.type) {
    case 'claimed': {
      if (!t) return null;
      const branch = str(r.branch);
      return { ...t, type: 'claimed', branch, worktree: str(r.worktree) || (branch && opts.worktreeFor ? opts.worktreeFor(branch) : ''), title: str(r.title), url: str(r.url) };
    }
    case 'pr_found':
      return t ? { ...t, type: 'pr_found', pr: str(r.pr), number: prNumber(r), branch: str(r.branch), worktree: str(r.worktree), title: str(r.title), url: str(r.url) } : null;
    case 'started':
      return t ? { ...t, type: 'started', attempt: num(r.attempt) || 1, model: str(r.model), run_file: str(r.run_file), failures: num(r.failures), max_attempts: num(r.max_attempts) } : null;
    case 'spawned':
      return t ? { ...t, type: 'spawned', attempt: num(r.attempt), pid: num(r.pid), pid_start: typeof r.pid_start === 'string' ? r.pid_start : null } : null;
    case 'finished': {
      if (!t) return null;
      const tok = (r.tokens ?? {}) as Record<string, unknown>;
      return {
        ...t, type: 'finished', attempt: num(r.attempt), model: str(r.model), outcome: (str(r.outcome) || 'interrupted') as never, counted: r.counted === true,
        reason, summary: str(r.summary), cost_usd: num(r.cost_usd), tokens: { input: num(tok.input), output: num(tok.output), cacheRead: num(tok.cacheRead), cacheCreation: num(tok.cacheCreation) },
        session_id: typeof r.session_id === 'string' ? r.session_id : null, duration_ms: num(r.duration_ms),
      };
    }
    case 'pr_opened':
      return t ? { ...t, type: 'pr_opened', pr: str(r.pr) || null, number: str(r.pr) ? prNumber(r) : null } : null;
    case 'retry_scheduled':
      return t ? { ...t, type: 'retry_scheduled', due: str(r.due) || at, reason } : null;
    case 'waiting':
    case 'held':
      return t ? { ...t, type: r.type, due: typeof r.due === 'string' ? r.due : null, reason } : null;
    case 'ticket_failed':
      return t ? { ...t, type: 'ticket_failed', reason, failures: num(r.failures) } : null;
    case 'cancelled':
      return t ? { ...t, type: 'cancelled', reason, stopping_agent: false, removing_worktree: false } : null;
    case 'released':
      return t ? { ...t, type: 'released', by: r.by === 'claim_failed' ? 'claim_failed' : 'operator', reason: reason || 'released', hold: r.hold === true } : null;
    case 'hold_lifted':
      return t ? { ...t, type: 'hold_lifted', reason } : null;
    case 'retry_requested':
      return t ? { ...t, type: 'retry_requested', by: r.by === 'tracker' ? 'tracker' : 'operator', reason: reason || 'retry requested' } : null;
    case 'interrupted':
      return t ? { ...t, type: 'interrupted', attempt: typeof r.attempt === 'number' ? r.attempt : null, reason } : null;
    case 'paused':
      return { at, type: 'paused', kind: str(r.kind) as PauseState['kind'], until: typeof r.until === 'string' ? r.until : null, reason: reason || 'restored from the events log', limit_type: typeof r.limit_type === 'string' ? r.limit_type : null };
    case 'resumed':
      return { at, type: 'resumed', kind: str(r.kind) as PauseState['kind'], reason, canary: r.canary === true };
    case 'canary_passed':
      return { at, type: 'canary_passed', ticket: str(r.ticket) };
    default:
      // Verification after merge (its decoders sit beside its events); daemon events change no record.
      return decodeVerifyEvent(r, t);
  }
}

function prNumber(r: Raw): number {
  return typeof r.number === 'number' ? r.number : Number(/\/pull\/(\d+)/.exec(str(r.pr))?.[1] ?? 0);
}

/** Events carry `key` (newer logs) or only the identifier: map identifiers to keys where we can. */
function keyResolver(events: readonly Raw[]): (ev: Raw) => string | null {
  const byIdent = new Map<string, string>();
  for (const ev of events) if (typeof ev.key === 'string' && typeof ev.ticket === 'string') byIdent.set(ev.ticket, ev.key);
  return (ev) => {
    if (typeof ev.key === 'string' && ev.key !== '') return ev.key;
    const id = ev.ticket;
    if (typeof id !== 'string' || id === '') return null;
    return byIdent.get(id) ?? (/^#\d+$/.test(id) ? id.slice(1) : id);
  };
}
