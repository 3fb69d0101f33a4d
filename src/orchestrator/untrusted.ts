// The tickets whose text may not reach an agent now (tracker.trust() refused it, at a claim or a follow-up):
// each refusal is said once per ticket and reason, at info level — an operator must see why a labelled
// ticket never starts — and a refused ticket is not read again while the listing shows it unchanged.
import type { Ticket } from '../tracker/types.js';
import type { Runtime } from './runtime.js';

/**
 * How long a refusal stands while the ticket's `updated_at` is unchanged (any edit, label or comment moves
 * it): the permissions it rests on may change. An idle poll stays one request with held tickets listed.
 */
export const UNTRUSTED_RECHECK_MS = 10 * 60_000;

export class UntrustedTickets {
  private readonly held = new Map<string, { reason: string; updated_at: string; at: number }>();

  constructor(private readonly rt: Pick<Runtime, 'log' | 'now'>) {}

  has(key: string): boolean {
    return this.held.has(key);
  }

  /** Why `key` is refused (for status and the console), or undefined when it is not. */
  get(key: string): string | undefined {
    return this.held.get(key)?.reason;
  }

  /** Refused before, and the listing shows it as it was then: not worth reading again yet. */
  unchanged(t: Ticket): boolean {
    const h = this.held.get(t.key);
    return h !== undefined && h.updated_at === t.updated_at && this.rt.now() - h.at < UNTRUSTED_RECHECK_MS;
  }

  /** The verdict on `t` just taken: why it is refused, or null when its text may reach an agent. */
  note(t: Ticket, reason: string | null): void {
    if (reason === null) {
      this.held.delete(t.key);
      return;
    }
    if (this.held.get(t.key)?.reason !== reason) this.rt.log.event({ type: 'ignored', ticket: t.identifier, reason });
    this.held.set(t.key, { reason, updated_at: t.updated_at, at: this.rt.now() });
  }
}
