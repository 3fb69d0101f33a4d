// Rebuilds the state from `.swarm/events.jsonl` (and its rotated `.1`) when state.json could not be used
// (moved aside as corrupt or truncated, or missing). The log holds every lifecycle event, written as it
// happened, so replaying it through the same fold the daemon uses (fold.ts) gives back the attempts, counted
// failures, hand-offs, claims, follow-up rounds, needs-human stops and pauses — a lost state file never
// resets attempt counts or follow-up bounds. Lines are decoded by events.ts (one decoder per event type: a
// new type without one does not compile); a torn line or an unknown type is skipped.
import { existsSync, readFileSync } from 'node:fs';
import { decodeEvent, type RawEvent, type SwarmEvent } from '../core/events.js';
import type { PauseState, SwarmState, TicketState } from '../core/types.js';
import { applyEvent } from '../core/fold.js';
import { emptyState } from './empty-state.js';
import { pauseInForce } from '../core/pause.js';

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

type Raw = RawEvent;

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
  const ctx = { keyOf: keyResolver(raws), worktreeFor: opts.worktreeFor };
  const state: SwarmState = emptyState(opts.now);
  for (const raw of raws) {
    const ev = decodeEvent(raw, ctx);
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
  // Operator and auth pauses have no end; a timed pause that already ended, the tracker's own, or a full
  // disk (the daemon's own, over once it writes again) is dropped.
  let pause = pauseInForce(state.pause, opts.now);
  if (pause && (pause.kind === 'tracker' || pause.kind === 'disk_full')) pause = null;
  return { tickets: state.tickets, pause, events: raws.length };
}

function applyEvent1(state: SwarmState, ev: SwarmEvent): TicketState {
  applyEvent(state, ev);
  return state.tickets[(ev as { key: string }).key]!;
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
