// Fleet mode's StateStore: the local state.json stays the write-ahead journal (a commit is durable on
// this machine before anything is sent), then what changed goes to PostgreSQL — ticket rows only while this
// daemon's lease on them is live, the scope row (pause, canary, breaker, daily totals) under a version
// check. When another daemon wrote the scope first, its row is read again and this daemon's own scope
// events are folded onto it (fold.ts: the same fold as everywhere), so no one's breaker step, pause or
// spend is lost. While the database is down, changes wait in the outbox and go out once it is back.
import type { SwarmEvent } from '../../core/events.js';
import type { SwarmState } from '../../core/types.js';
import { STATE_VERSION } from '../../core/types.js';
import type { Change, StateStore } from '../../state/ledger.js';
import type { FileStateStore } from '../embedded/state-store.js';
import { applyScope, type Scope } from '../../core/fold.js';
import { checkTicket, validateState } from '../../state/validate.js';
import type { FleetDb, Me, Snapshot } from './db.js';

export interface PgStoreHooks {
  /** The ticket is this daemon's (its lease not known lost, even while the database is away). */
  owns(key: string): boolean;
  /** Writes for these keys were refused: another daemon holds the lease. */
  lost(keys: string[]): void;
  /** A push failed (the database is unreachable): the coordinator reports it. */
  failed(err: Error): void;
}

export class PgStateStore implements StateStore {
  private readonly pendingTickets = new Set<string>();
  private pendingScope: SwarmEvent[] = [];
  /** The scope row as last read or written, the base own events are folded onto. */
  private scopeBase: { record: Scope; version: number } | null = null;
  private readonly versions = new Map<string, number>();
  private state: SwarmState | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly journal: FileStateStore,
    private readonly db: FleetDb,
    private readonly me: Me,
    private readonly hooks: PgStoreHooks,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Durable in the journal when this returns; the database gets it right after. A pause is waited for:
   * the other daemons look at the database just before each spawn, so the pause must be there when this
   * daemon's commit of it returns.
   */
  save(state: SwarmState, change: Change): void | Promise<void> {
    this.journal.save(state); // the write-ahead: durable here before the database or the tracker hear of it
    this.state = state;
    for (const key of change.tickets) if (this.hooks.owns(key)) this.pendingTickets.add(key);
    this.pendingScope.push(...change.scope);
    const pushed = this.flush();
    return change.scope.some((ev) => ev.type === 'paused') ? pushed : undefined;
  }

  /** Push what is pending, after any push in flight (one at a time; a push with nothing pending costs nothing). */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.push()).catch((err: Error) => this.hooks.failed(err));
    return this.chain;
  }

  get pending(): number {
    return this.pendingTickets.size + this.pendingScope.length;
  }

  /** The ticket has a change the database has not taken yet. */
  isPending(key: string): boolean {
    return this.pendingTickets.has(key);
  }

  private async push(): Promise<void> {
    const state = this.state;
    if (!state || (this.pendingTickets.size === 0 && this.pendingScope.length === 0)) return;
    const keys = [...this.pendingTickets].filter((k) => state.tickets[k] !== undefined);
    const mine = keys.filter((k) => this.hooks.owns(k));
    for (const k of keys) if (!mine.includes(k)) this.pendingTickets.delete(k); // not ours any more: never written
    if (mine.length > 0) {
      const written = await this.db.writeTickets(this.me, mine.map((key) => ({ key, record: state.tickets[key] })));
      const ok = new Set(written.map((w) => w.key));
      for (const w of written) this.versions.set(w.key, Number(w.version));
      for (const k of mine) this.pendingTickets.delete(k);
      const refused = mine.filter((k) => !ok.has(k));
      if (refused.length > 0) this.hooks.lost(refused);
    }
    if (this.pendingScope.length > 0) await this.pushScope(state);
  }

  private async pushScope(state: SwarmState): Promise<void> {
    for (let round = 0; round < 8; round++) {
      const events = this.pendingScope;
      const base = this.scopeBase ?? (await this.readScope());
      // No row yet: the first daemon's own scope (which already holds its events) starts it.
      const next = base ? fold(base.record, events) : scopeOf(state);
      const version = await this.db.writeScope(this.me, next, base?.version ?? 0);
      if (version !== null) {
        this.scopeBase = { record: next, version: Number(version) };
        this.pendingScope = this.pendingScope.slice(events.length);
        Object.assign(state, fold(next, this.pendingScope));
        return;
      }
      this.scopeBase = await this.readScope(); // someone wrote it first: fold ours onto theirs
    }
    throw new Error('could not merge the fleet scope after 8 tries (heavy contention); will try again');
  }

  private async readScope(): Promise<{ record: Scope; version: number } | null> {
    const row = await this.db.readScope(this.me);
    return row ? { record: parseScope(row.record, this.now()), version: Number(row.version) } : null;
  }

  /**
   * Fold the database's picture (a poll's snapshot) into the state: every ticket this daemon does not hold
   * becomes the row's record; the scope becomes the row with this daemon's unsent scope events on top.
   */
  absorb(state: SwarmState, snap: Pick<Snapshot, 'tickets' | 'scope'>): void {
    this.state = state;
    for (const row of snap.tickets) {
      if (this.hooks.owns(row.key)) continue; // ours: this daemon's record is the newest
      const ts = checkTicket(row.key, row.record);
      if (typeof ts === 'string') continue; // a row written by a newer swarm, or damaged: leave ours
      state.tickets[row.key] = ts;
      this.versions.set(row.key, Number(row.version));
    }
    if (snap.scope) {
      this.scopeBase = { record: parseScope(snap.scope.record, this.now()), version: Number(snap.scope.version) };
      Object.assign(state, fold(this.scopeBase.record, this.pendingScope));
    }
  }

  /** Just the scope (right before a spawn: the shared pause as it is now). */
  async refreshScope(state: SwarmState): Promise<void> {
    const row = await this.readScope();
    if (row) this.absorb(state, { tickets: [], scope: { record: row.record, version: row.version } });
  }

  /** The version of the ticket's row this daemon last saw or wrote (0: none). */
  versionOf(key: string): number {
    return this.versions.get(key) ?? 0;
  }

  /** Mark a record this daemon holds (taken over, or newer in the journal than in the database) for sending. */
  mark(key: string): void {
    this.pendingTickets.add(key);
  }
}

function scopeOf(s: Scope): Scope {
  return { pause: s.pause, canary: s.canary, breaker: s.breaker, daily: s.daily };
}

function fold(base: Scope, events: readonly SwarmEvent[]): Scope {
  return scopeOf(events.reduce((s, ev) => applyScope(s, ev), base));
}

/** A scope row validated at the edge, with the same defaults as state.json (a bad field reads as its default). */
export function parseScope(raw: unknown, now: number): Scope {
  const checked = validateState({ ...(typeof raw === 'object' && raw !== null ? raw : {}), version: STATE_VERSION, tickets: {} }, now);
  if (!checked.ok) throw new Error(`unreadable fleet scope: ${checked.error}`); // cannot happen with no tickets
  return scopeOf(checked.state);
}
