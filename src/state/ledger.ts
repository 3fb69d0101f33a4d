// The ledger: the one writer of the daemon's state. A lifecycle step is committed here — its events folded
// into the state, appended to events.jsonl, and the state written through the store — before the commit
// resolves. Callers send tracker writes only after that (write-ahead): a kill -9 at any moment leaves a
// state that either does not know of the change or knows it and knows the tracker has not confirmed it.
import type { Logger } from '../log.js';
import type { SwarmState, TicketState } from './types.js';
import type { Step } from './lifecycle.js';
import { applyEvent } from './fold.js';
import { emptyDaily, localDate } from './file-store.js';

/** Where the state is kept: the embedded file (default) or the fleet's database. */
export interface StateStore {
  save(state: SwarmState): void | Promise<void>;
}

export class Ledger {
  private saveTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly state: SwarmState,
    private readonly store: StateStore,
    private readonly log: Logger,
  ) {}

  ticket(key: string): TicketState | undefined {
    return this.state.tickets[key];
  }

  /** Fold the step's events into the state, log them, and write the state before resolving. */
  async commit(step: Step): Promise<void> {
    this.record(step);
    await this.save();
  }

  /**
   * Fold and log now, synchronously; the caller writes the state soon after (`save()`). Only for the
   * agent's start, which must happen in the same synchronous step as its gate and its spawn.
   */
  record(step: Step): void {
    for (const ev of step.events) {
      applyEvent(this.state, ev);
      this.log.event(ev);
    }
  }

  /** The tracker confirmed every write for revision `rev` of the ticket. */
  async confirm(key: string, rev: number): Promise<void> {
    const ts = this.state.tickets[key];
    if (!ts || ts.synced_rev >= rev) return;
    this.state.tickets[key] = { ...ts, synced_rev: rev };
    await this.save();
  }

  /** The tracker no longer shows what it confirmed (someone or something changed it): show it again. */
  async drifted(key: string): Promise<void> {
    const ts = this.state.tickets[key];
    if (!ts || ts.synced_rev < ts.rev) return;
    this.state.tickets[key] = { ...ts, synced_rev: ts.rev - 1 };
    await this.save();
  }

  /** The running agent's latest activity in words (for status): not a transition, saved soon. */
  note(key: string, lastEvent: string): void {
    const ts = this.state.tickets[key];
    if (!ts || ts.last_event === lastEvent) return;
    this.state.tickets[key] = { ...ts, last_event: lastEvent };
    this.saveSoon();
  }

  /** A new local day starts today's totals afresh (what `swarm status` shows for "today"). */
  rollDay(now: number): void {
    if (this.state.daily.date !== localDate(now)) this.state.daily = emptyDaily(now);
  }

  /** Keys whose tracker picture lags their record. */
  unsynced(): string[] {
    return Object.values(this.state.tickets).filter((t) => t.synced_rev < t.rev).map((t) => t.key);
  }

  async save(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    await this.store.save(this.state);
  }

  /** Coalesce frequent updates (agent activity) into at most one write per second. */
  saveSoon(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void Promise.resolve(this.store.save(this.state)).catch(() => undefined); // the next save retries
    }, 1000);
    this.saveTimer.unref();
  }
}
