// The ledger: the one writer of the daemon's state. A lifecycle step is committed here — its events folded
// into the state, appended to events.jsonl, and the state written through the store — before the commit
// resolves. Callers send tracker writes only after that (write-ahead): a kill -9 at any moment leaves a
// state that either does not know of the change or knows it and knows the tracker has not confirmed it.
import type { Logger } from '../log/logger.js';
import type { FollowupSeen, SwarmState, TicketState } from '../core/types.js';
import { emptyFollowup } from '../core/followup-record.js';
import type { Step } from '../core/lifecycle.js';
import { applyEvent, changesScope } from '../core/fold.js';
import { isTicketEvent, type SwarmEvent } from '../core/events.js';
import { emptyDaily, localDate } from '../core/records.js';

/** What changed since the last save: the tickets touched and the scope events folded (fleet mode merges them). */
export interface Change {
  tickets: ReadonlySet<string>;
  scope: readonly SwarmEvent[];
}

/** Where the state is kept: the embedded file (default) or the fleet's journal plus database. */
export interface StateStore {
  save(state: SwarmState, change: Change): void | Promise<void>;
}

export class Ledger {
  private saveTimer: NodeJS.Timeout | null = null;
  private touched = new Set<string>();
  private scopeEvents: SwarmEvent[] = [];

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
      if (isTicketEvent(ev)) this.touched.add(ev.key);
      if (changesScope(ev)) this.scopeEvents.push(ev);
    }
  }

  /** The tracker confirmed every write for revision `rev` of the ticket. */
  async confirm(key: string, rev: number): Promise<void> {
    const ts = this.state.tickets[key];
    if (!ts || ts.synced_rev >= rev) return;
    this.state.tickets[key] = { ...ts, synced_rev: rev };
    this.touched.add(key);
    await this.save();
  }

  /** The tracker no longer shows what it confirmed (someone or something changed it): show it again. */
  async drifted(key: string): Promise<void> {
    const ts = this.state.tickets[key];
    if (!ts || ts.synced_rev < ts.rev) return;
    this.state.tickets[key] = { ...ts, synced_rev: ts.rev - 1 };
    this.touched.add(key);
    await this.save();
  }

  /** The running agent's latest activity in words (for status): not a transition, saved soon. */
  note(key: string, lastEvent: string): void {
    const ts = this.state.tickets[key];
    if (!ts || ts.last_event === lastEvent) return;
    this.state.tickets[key] = { ...ts, last_event: lastEvent };
    this.touched.add(key);
    this.saveSoon();
  }

  /** What the PR watcher last saw of a handed-off ticket's PR (for status and explain): not a transition, saved soon. */
  noteWatch(key: string, seen: FollowupSeen): void {
    const ts = this.state.tickets[key];
    if (!ts) return;
    const f = ts.followup ?? emptyFollowup();
    const was = f.seen;
    if (was && was.head_sha === seen.head_sha && was.checks === seen.checks && was.decision === seen.decision) return;
    this.state.tickets[key] = { ...ts, followup: { ...f, seen } };
    this.touched.add(key);
    this.saveSoon();
  }

  /** An operator's hold saw its ticket gone from the listing (a note, not a transition; see orchestrator/holds.ts). */
  noteHold(key: string, hold: NonNullable<TicketState['hold']>): void {
    const ts = this.state.tickets[key];
    if (!ts) return;
    this.state.tickets[key] = { ...ts, hold };
    this.touched.add(key);
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
    const change: Change = { tickets: this.touched, scope: this.scopeEvents };
    this.touched = new Set();
    this.scopeEvents = [];
    try {
      await this.store.save(this.state, change);
    } catch (err) {
      // Not written: the next save carries this change too.
      for (const k of change.tickets) this.touched.add(k);
      this.scopeEvents = [...change.scope, ...this.scopeEvents];
      throw err;
    }
  }

  /** Coalesce frequent updates (agent activity) into at most one write per second. */
  saveSoon(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.save().catch(() => undefined); // the next save retries
    }, 1000);
    this.saveTimer.unref();
  }
}
