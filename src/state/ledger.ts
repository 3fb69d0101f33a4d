// The ledger: the one writer of the daemon's state. A lifecycle step is committed here — its events folded
// into the state, appended to events.jsonl, and the state written through the store — before the commit
// resolves. Callers send tracker writes only after that (write-ahead): a kill -9 at any moment leaves a
// state that either does not know of the change or knows it and knows the tracker has not confirmed it.
// A full disk is noticed here too (a save, or an event line, refused for want of room): the ledger marks
// itself disk-full (diskFullSince, in memory only) — the pause dispatch obeys — and lifts it itself once a save and the held event
// lines go through again (probeDisk). A commit that could not be written still rejects (write-ahead), but
// its change stays in memory and goes to disk with the next save that fits: nothing is lost or counted twice.
import type { Logger } from '../log/logger.js';
import type { DiskFull, FollowupSeen, SwarmState, TicketState } from '../core/types.js';
import { emptyFollowup } from '../core/followup-record.js';
import type { Step } from '../core/lifecycle.js';
import { applyEvent, changesScope } from '../core/fold.js';
import { isTicketEvent, type SwarmEvent } from '../core/events.js';
import { emptyDaily, localDate } from '../core/records.js';
import { isDiskFull, DiskFullError } from '../util/atomic-file.js';

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
  /** The disk refused a write and no write has gone through since: dispatch waits (policy.pauseInForce). */
  private full: DiskFull | null = null;
  /** Event lines the logger held in memory during this disk-full episode (for the recovery's report). */
  private heldLines = 0;

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
    const unwritten = this.log.unwritten ?? null;
    if (unwritten) this.diskFull(new DiskFullError(unwritten.file, 'ENOSPC', unwritten.error));
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
      if (isDiskFull(err)) this.diskFull(err as Error);
      throw err;
    }
    if (this.full && (this.log.unwritten ?? null) === null) await this.diskBack();
  }

  /** Since when (and why) the disk refuses swarm's writes, or null (the daemon's view shows it; the rules read it here). */
  get diskFullSince(): DiskFull | null {
    return this.full;
  }

  /**
   * While the disk is full: try to write the held event lines and the state again. True when both went
   * through (the pause is lifted and said so); false while there is still no room.
   */
  async probeDisk(): Promise<boolean> {
    if (!this.full) return true;
    this.heldLines = Math.max(this.heldLines, this.log.unwritten?.lines ?? 0);
    this.log.flushUnwritten?.();
    try {
      await this.save();
    } catch (err) {
      if (isDiskFull(err)) return false;
      throw err;
    }
    return this.full === null;
  }

  /** The disk refused a write: mark the daemon (once per episode) so dispatch waits. */
  private diskFull(err: Error): void {
    if (this.full) return;
    const file = err instanceof DiskFullError ? err.file : 'a state file';
    this.full = { since: new Date().toISOString(), file, error: err.message };
    this.log.event({ type: 'disk_full', file, error: err.message });
  }

  /** Writes go through again: lift the disk-full pause and record that (in the state written next). */
  private async diskBack(): Promise<void> {
    const was = this.full!;
    this.full = null;
    this.log.event({ type: 'disk_recovered', since: was.since, file: was.file, unwritten: this.heldLines });
    this.heldLines = 0;
    try {
      await this.store.save(this.state, { tickets: new Set(), scope: [] });
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.diskFull(err as Error); // full again at once: still paused
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
