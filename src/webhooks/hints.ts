// What a webhook delivery may tell the loop: which tickets, pull requests or commits to look at again. A
// delivery is a hint to look, never an order — nothing here says what the object now is, only which one
// to re-read through the API. Shared by the payload mappers (github-events.ts, linear-events.ts), the
// receivers, the dirty set and the fleet bus.
import type { WebhookSource } from '../core/views.js';
export type { WebhookSource };

/** Objects a delivery names. Tickets are tracker keys or, for Linear, an issue id the re-read resolves. */
export interface Hints {
  tickets: string[];
  prs: number[];
  commits: string[];
}

/** The mapping of one verified delivery. */
export type Mapped =
  | { kind: 'ping'; event: string }
  | { kind: 'hints'; event: string; action: string | null; hints: Hints }
  | { kind: 'ignored'; event: string; action: string | null; reason: string };

/** At most this many objects are taken from one delivery (a check suite may list many PRs): the rest waits for the poll. */
export const MAX_HINTS_PER_DELIVERY = 20;

export const emptyHints = (): Hints => ({ tickets: [], prs: [], commits: [] });

export function hintCount(h: Hints): number {
  return h.tickets.length + h.prs.length + h.commits.length;
}

/** Short words for a log line: "#12, PR #7, commit 1a2b3c4". */
export function describeHints(h: Hints, ticketPrefix = ''): string {
  const parts = [
    ...h.tickets.map((t) => `${ticketPrefix}${t}`),
    ...h.prs.map((n) => `PR #${n}`),
    ...h.commits.map((c) => `commit ${c.slice(0, 7)}`),
  ];
  return parts.join(', ');
}

// --- tolerant readers for payloads that may be hostile: wrong types read as absent ----------------------

export type Json = Record<string, unknown>;

export function obj(v: unknown): Json | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

export function str(v: unknown, max = 200): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

/** A positive issue/PR number. */
export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null;
}

/** A git object id: 40 hex (SHA-1) or 64 hex (SHA-256 repositories). */
export function sha(v: unknown): string | null {
  return typeof v === 'string' && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(v) ? v : null;
}

/** Add without duplicates, up to the per-delivery cap. */
export function push<T>(list: T[], v: T | null, total: () => number): void {
  if (v === null || list.includes(v) || total() >= MAX_HINTS_PER_DELIVERY) return;
  list.push(v);
}
