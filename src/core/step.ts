// A lifecycle transition's result and how one is made: the drafts (events before the logger stamps their
// time) are stamped in order and the ticket's own are folded through its record (fold.ts, the same fold
// that replays events.jsonl). lifecycle.ts, finish.ts and verify-lifecycle.ts build every Step with these.
import type { ScopeEvent, SwarmEvent, TicketEvent, Unstamped } from './events.js';
import type { TicketState } from './types.js';
import { applyTicket } from './fold.js';

/** A transition's result: the events to log (in order) and, for a ticket, its record after them. */
export interface Step {
  key: string | null;
  ticket: TicketState | null;
  events: SwarmEvent[];
}

export type TicketDraft = Unstamped<TicketEvent>;
export type Draft = TicketDraft | Unstamped<ScopeEvent>;
export const iso = (ms: number) => new Date(ms).toISOString();

/** Stamp the drafts (in order) and fold the ticket's own through its record. */
export function ticketStep(ts: TicketState | undefined, key: string, drafts: Draft[], now: number): Step {
  const at = iso(now);
  const events = drafts.map((d) => ({ ...d, at: d.at ?? at }) as SwarmEvent);
  let ticket = ts;
  for (const ev of events) if ('key' in ev && ev.key === key) ticket = applyTicket(ticket, ev as TicketEvent);
  return { key, ticket: ticket ?? null, events };
}

export const ids = (t: { key: string; identifier: string }) => ({ ticket: t.identifier, key: t.key });

/** Stamp scope events (pause, resume, canary): they change no ticket record. */
export function scopeStep(events: Unstamped<ScopeEvent>[], now: number): Step {
  return { key: null, ticket: null, events: events.map((e) => ({ ...e, at: e.at ?? iso(now) }) as SwarmEvent) };
}
