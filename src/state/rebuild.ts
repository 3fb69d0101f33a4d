// Rebuilds ticket records from `.swarm/events.jsonl` (and its rotated `.1`) when state.json could not be
// used (moved aside as corrupt/truncated). The events log is append-only and written before/after every
// transition, so it still knows which attempts ran, which counted, which ticket was handed off or failed,
// and which claims this daemon held. Counted failures therefore survive a lost state file.
// Pure over the event records; reading the files is the only I/O.
import { existsSync, readFileSync } from 'node:fs';
import type { AttemptOutcome, AttemptRecord, PauseState, TicketState } from './types.js';
import { blankTicketState, newAttemptRecord } from './records.js';
import { num, str } from './validate.js';

export interface RebuildOptions {
  /** Worktree path for a branch (the same rule the orchestrator uses). */
  worktreeFor: (branch: string) => string;
  now: number;
}

export interface RebuildResult {
  tickets: Record<string, TicketState>;
  /** A pause that was in force when the log ends and has not expired. */
  pause: PauseState | null;
  /** Event lines read (for the report). */
  events: number;
}

type Ev = Record<string, unknown> & { at: string; type: string };

/** events.jsonl.1 (older) then events.jsonl, whichever exist. */
export function eventFiles(eventsPath: string): string[] {
  return [`${eventsPath}.1`, eventsPath].filter((f) => existsSync(f));
}

export function readEvents(files: readonly string[]): Ev[] {
  const out: Ev[] = [];
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const ev = JSON.parse(line) as unknown;
        if (ev && typeof ev === 'object' && typeof (ev as Ev).type === 'string' && typeof (ev as Ev).at === 'string') out.push(ev as Ev);
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

export function rebuildFromEvents(events: readonly Ev[], opts: RebuildOptions): RebuildResult {
  const nowIso = new Date(opts.now).toISOString();
  const keyOf = keyResolver(events);
  const tickets: Record<string, TicketState> = {};
  let pause: PauseState | null = null;

  const ticket = (ev: Ev): TicketState | null => {
    const key = keyOf(ev);
    if (key === null) return null;
    const t = (tickets[key] ??= blankTicketState(key, typeof ev.ticket === 'string' ? ev.ticket : key, ev.at));
    t.updated_at = ev.at;
    return t;
  };

  for (const ev of events) {
    switch (ev.type) {
      case 'claimed': {
        const t = ticket(ev);
        if (!t) break;
        if (typeof ev.branch === 'string' && ev.branch !== '') {
          t.branch = ev.branch;
          t.worktree = opts.worktreeFor(ev.branch);
        }
        t.status = 'claimed';
        t.claimed_at ??= ev.at;
        t.last_event = 'claimed';
        break;
      }
      case 'started': {
        const t = ticket(ev);
        if (!t) break;
        const n = num(ev.attempt) || t.attempts.length + 1;
        if (!t.attempts.some((a) => a.number === n)) t.attempts.push(newAttemptRecord(n, str(ev.model), ev.at, ''));
        t.status = 'running';
        t.last_event = 'running';
        break;
      }
      case 'finished': {
        const t = ticket(ev);
        if (!t) break;
        const n = num(ev.attempt);
        let a = t.attempts.find((x) => x.number === n);
        if (!a) t.attempts.push((a = newAttemptRecord(n, str(ev.model), ev.at, '')));
        a.outcome = (str(ev.outcome) || 'interrupted') as AttemptOutcome;
        a.counted = ev.counted === true;
        a.reason = str(ev.reason);
        a.cost_usd = num(ev.cost_usd);
        a.ended_at = ev.at;
        a.duration_ms = Math.max(0, Date.parse(ev.at) - Date.parse(a.started_at)) || 0;
        t.cost_usd += a.cost_usd;
        if (a.counted) t.failures += 1;
        t.last_event = a.outcome;
        if (a.outcome.startsWith('pr_')) {
          t.status = 'review'; // the pr_opened event that follows (if it was written) adds the URL
        } else if (a.outcome === 'cancelled') {
          t.status = 'released';
        } else {
          t.status = 'retry_wait';
          t.next_retry_at = nowIso;
          t.retry_reason = a.reason;
        }
        break;
      }
      case 'pr_opened':
      case 'pr_found': {
        const t = ticket(ev);
        if (!t) break;
        t.status = 'review';
        t.next_retry_at = null;
        const url = str(ev.pr);
        if (url) t.pr = { number: Number(/\/pull\/(\d+)/.exec(url)?.[1] ?? 0), url };
        t.last_event = url ? `PR ${url}` : 'handed off';
        break;
      }
      case 'ticket_failed': {
        const t = ticket(ev);
        if (!t) break;
        t.status = 'failed';
        t.next_retry_at = null;
        t.last_event = 'failed';
        break;
      }
      case 'cancelled':
      case 'released': {
        const t = ticket(ev);
        if (!t) break;
        t.status = 'released';
        t.next_retry_at = null;
        t.last_event = ev.type;
        break;
      }
      case 'retry_requested': {
        const t = ticket(ev);
        if (!t) break;
        t.failures = 0; // swarm retry / failed label removed: history stays, the count restarts
        if (t.status === 'failed') t.status = 'released';
        break;
      }
      case 'paused':
        pause = {
          kind: str(ev.kind) as PauseState['kind'],
          reason: str(ev.reason) || 'restored from the events log',
          since: ev.at,
          until: typeof ev.until === 'string' ? ev.until : null,
          limit_type: typeof ev.limit_type === 'string' ? ev.limit_type : null,
        };
        break;
      case 'resumed':
        pause = null;
        break;
    }
  }

  for (const t of Object.values(tickets)) {
    // An attempt that started but never finished was cut off by a crash: interrupted, never counted.
    for (const a of t.attempts) {
      if (a.outcome !== 'running') continue;
      a.outcome = 'interrupted';
      a.reason = 'the daemon stopped while this attempt was running (not counted; rebuilt from the events log)';
    }
    // Claims this daemon held are ours to resume (the running label on the ticket is ours).
    if (ACTIVE.has(t.status)) {
      t.status = 'retry_wait';
      t.next_retry_at = nowIso;
      t.retry_reason ??= 'resuming after the state file was rebuilt';
    }
    t.tracker_synced = false; // the next poll re-tells the tracker what we believe
  }
  // Operator and auth pauses have no end; a timed pause that already ended is dropped.
  if (pause && pause.until !== null && Date.parse(pause.until) <= opts.now) pause = null;
  if (pause && (pause.kind === 'tracker' || !pause.kind)) pause = null;
  return { tickets, pause, events: events.length };
}

/** Events carry `key` (newer logs) or only the identifier: map identifiers to keys where we can. */
function keyResolver(events: readonly Ev[]): (ev: Ev) => string | null {
  const byIdent = new Map<string, string>();
  for (const ev of events) if (typeof ev.key === 'string' && typeof ev.ticket === 'string') byIdent.set(ev.ticket, ev.key);
  return (ev) => {
    if (typeof ev.key === 'string' && ev.key !== '') return ev.key;
    const id = ev.ticket;
    if (typeof id !== 'string' || id === '') return null;
    return byIdent.get(id) ?? (/^#\d+$/.test(id) ? id.slice(1) : id);
  };
}

