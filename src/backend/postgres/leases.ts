// Fleet mode's leases, over PostgreSQL. A claim is a lease (a one-statement compare-and-set, db.ts)
// held by this daemon's id (host:pid:start:instance; the instance is random), renewed by every poll and a
// heartbeat, taken over once not renewed for `state.lease_ttl` by the database's clock. `holds()`: renewed
// lately enough to start an agent; every external write also passes the fence (`check()`, fence.ts).
// `owns()`: no answer said otherwise — while the database does not answer, agents run on and results wait
// (nobody can take a lease from a database nobody reaches); an answer without the lease stops the agent.
// A holder is dead when it stops renewing, or at once if it provably ran in this machine's boot and PID
// namespace (identity.ts) and its process is gone — never judged by its host name. Renewal between polls
// is lease-renewal.ts; the operator requests each snapshot carries are control-relay.ts; status's picture
// of the fleet is fleet-view.ts.
import type { Logger } from '../../log/logger.js';
import type { SwarmState } from '../../core/types.js';
import { isSameProcess } from '../../agent/procs.js';
import type { Leases, Takeover } from '../../fleet/leases.js';
import type { FleetView } from '../../core/views.js';
import type { DaemonRow, FleetDb, LeaseRow, Me, Snapshot } from './db.js';
import type { PgStateStore } from './state-store.js';
import type { Fence, FenceVerdict } from '../../fleet/fence.js';
import { samePidSpace, type Place } from '../../fleet/identity.js';
import { LeaseBook } from '../../fleet/lease-book.js';
import { LeaseRenewal } from './lease-renewal.js';

/** Changed rows are read again this far back, so a row committed late by another daemon is never missed. */
const OVERLAP_MS = 5_000;

export interface PgLeasesOptions {
  db: FleetDb;
  me: Me;
  /** Where this daemon runs (its pids mean something only there). */
  place: Place;
  ttlMs: number;
  log: Logger;
  /** Live figures for this daemon's row: agents running, slots, draining. */
  live: () => { running: number; max_concurrent: number; draining: boolean };
  /** Wall clock, ms since the epoch (default Date.now): only for timestamps, never for a deadline. */
  now?: () => number;
  /** Monotonic clock in ms (default performance.now): every local lease deadline. */
  mono?: () => number;
}

/** What else reads each poll's snapshot: the shared account's row, the operator requests waiting. */
export type SnapshotReader = (snap: Snapshot) => void | Promise<void>;

export class PgLeases implements Leases, Fence {
  readonly shared = true;
  readonly fence: Fence = this;
  store!: PgStateStore;
  private state: SwarmState | null = null;
  private readonly book: LeaseBook;
  /** Settled tickets to let go of as soon as their last record is in the database. */
  private readonly releasing = new Set<string>();
  /** Tickets whose fence got no answer (logged once until it answers). */
  private readonly waiting = new Set<string>();
  private leases: LeaseRow[] = [];
  private daemons: DaemonRow[] = [];
  private since: string | null = null;
  private db: FleetView['db'];
  private refreshedAt = '';
  private readonly lostFns: ((keys: string[]) => void)[] = [];
  private readonly readers: SnapshotReader[] = [];
  private readonly renewal: LeaseRenewal;
  private readonly now: () => number;

  constructor(private readonly o: PgLeasesOptions) {
    this.now = o.now ?? Date.now;
    this.book = new LeaseBook(o.ttlMs, o.mono, this.now);
    this.db = { status: 'ok', since: new Date(this.now()).toISOString(), error: null };
    this.renewal = new LeaseRenewal({ db: o.db, me: o.me, ttlMs: o.ttlMs, book: this.book, reachable: () => this.reachable(), unreachable: (err) => this.unreachable(err), lose: (keys) => this.lose(keys) });
  }

  /** This daemon's id in the fleet (host:pid:start:instance). */
  get self(): string {
    return this.o.me.id;
  }

  /** Begin: the state to fold the fleet's picture into, the first full snapshot, the heartbeat. */
  async start(state: SwarmState): Promise<void> {
    this.state = state;
    await this.refresh();
    if (this.db.status !== 'ok') throw new Error(this.db.error ?? 'the fleet database is unreachable');
    this.renewal.start();
  }

  /** `fn` reads every snapshot, after the records and leases in it are taken in. */
  onSnapshot(fn: SnapshotReader): void {
    this.readers.push(fn);
  }

  /** The monotonic clock every local deadline is kept on. */
  mono(): number {
    return this.book.mono();
  }

  /** The database's clock, as far as this daemon can tell (wall clock until the first answer). */
  dbNow(): number {
    return this.book.dbNow();
  }

  async refresh(): Promise<void> {
    if (!this.state) return;
    const sent = this.book.mono();
    const wallSent = this.now();
    let snap;
    try {
      snap = await this.o.db.snapshot(this.o.me, this.o.ttlMs, this.since, this.o.live());
    } catch (err) {
      this.unreachable(err as Error);
      return;
    }
    this.reachable();
    this.book.clock(snap.now, wallSent, this.book.mono() - sent);
    this.lose(this.book.renewed(new Set(snap.held), sent));
    this.leases = snap.leases;
    this.daemons = snap.daemons;
    this.store.absorb(this.state, snap);
    this.since = new Date(Date.parse(snap.now) - OVERLAP_MS).toISOString();
    this.refreshedAt = snap.now;
    await this.store.flush(); // whatever waited while the database was away
    for (const key of [...this.releasing]) await this.release(key);
    for (const read of this.readers) await read(snap);
  }

  canClaim(): boolean {
    return this.db.status === 'ok';
  }

  async acquire(key: string): Promise<Takeover | 'free' | null> {
    if (this.db.status !== 'ok') return null;
    const lease = this.leases.find((l) => l.key === key);
    const deadHere = lease && lease.holder !== this.o.me.id && this.isDeadHere(lease.holder) ? lease.holder : null;
    const sent = this.book.mono();
    let got;
    try {
      got = await this.o.db.acquire(this.o.me, key, this.o.ttlMs, { also: deadHere, takeExpired: this.book.mayTakeExpired() });
    } catch (err) {
      this.unreachable(err as Error);
      return null;
    }
    this.reachable();
    if (!got) return null;
    const wasMine = this.book.owns(key);
    this.book.confirmed(key, sent);
    const at = new Date(this.dbNow()).toISOString();
    this.leases = [...this.leases.filter((l) => l.key !== key), { key, holder: this.o.me.id, acquired_at: at, renewed_at: at, expires_at: new Date(this.dbNow() + this.o.ttlMs).toISOString(), agent_pid: null, agent_pid_start: null }];
    const prev = got.prev;
    // Ours all along: nothing to take over. Ours but given up (lost, then expired): what it left running is
    // interrupted like any other holder's.
    if (!prev || (prev.holder === this.o.me.id && wasMine)) return 'free';
    const self = prev.holder === this.o.me.id;
    const ts = this.state?.tickets[key];
    if (!self) this.o.log.event({ type: 'taken_over', ticket: ts?.identifier ?? key, key, from: prev.holder });
    const row = this.daemons.find((d) => d.id === prev.holder);
    return { holder: prev.holder, host: row?.host ?? (prev.holder.split(':')[0] || null), agentPid: prev.agent_pid, agentPidStart: prev.agent_pid_start, local: self || samePidSpace(this.o.place, prev) };
  }

  holds(key: string): boolean {
    return this.book.holds(key);
  }

  owns(key: string): boolean {
    return this.book.owns(key);
  }

  heldElsewhere(key: string): string | null {
    const l = this.leases.find((x) => x.key === key);
    if (!l || l.holder === this.o.me.id) return null;
    if (Date.parse(l.expires_at) <= this.dbNow()) return this.book.mayTakeExpired() ? null : l.holder;
    return this.isDeadHere(l.holder) ? null : l.holder;
  }

  /** The fence (fence.ts): one round trip that confirms and renews the lease, or says why not. */
  async check(key: string, what: string): Promise<FenceVerdict> {
    const ticket = this.state?.tickets[key]?.identifier ?? key;
    if (!this.book.owns(key)) {
      this.o.log.event({ type: 'fenced', ticket, key, what, verdict: 'lost' });
      return 'lost';
    }
    const sent = this.book.mono();
    let ok: boolean;
    try {
      ok = await this.o.db.fence(this.o.me, key, this.o.ttlMs);
    } catch (err) {
      this.unreachable(err as Error);
      if (!this.waiting.has(key)) this.o.log.event({ type: 'fenced', ticket, key, what, verdict: 'unreachable' });
      this.waiting.add(key); // said once: a publication asks again every second until the database answers
      return 'unreachable';
    }
    this.waiting.delete(key);
    this.reachable();
    if (ok && this.book.owns(key)) {
      this.book.confirmed(key, sent);
      return 'held';
    }
    this.o.log.event({ type: 'fenced', ticket, key, what, verdict: 'lost' });
    this.lose([key]);
    return 'lost';
  }

  keyOfBranch(branch: string): string | null {
    const tickets = Object.values(this.state?.tickets ?? {}).filter((t) => t.branch === branch);
    return (tickets.find((t) => this.book.owns(t.key)) ?? tickets[0])?.key ?? null;
  }

  async release(key: string): Promise<void> {
    if (!this.book.owns(key)) return;
    // The ticket's last record goes out while the lease is still ours; with the database away it waits.
    await this.store.flush();
    if (this.store.isPending(key)) {
      this.releasing.add(key);
      return;
    }
    this.releasing.delete(key);
    this.book.drop([key]);
    this.leases = this.leases.filter((l) => l.key !== key);
    await this.o.db.release(this.o.me, key).catch(() => undefined); // the database went away again: it expires
  }

  agentStarted(key: string, pid: number, pidStart: string | null): void {
    this.leases = this.leases.map((l) => (l.key === key ? { ...l, agent_pid: pid, agent_pid_start: pidStart } : l));
    void this.o.db.agentStarted(this.o.me, key, pid, pidStart).catch(() => undefined);
  }

  async beforeSpawn(): Promise<void> {
    if (this.state) await this.store.refreshScope(this.state);
  }

  onLost(fn: (keys: string[]) => void): void {
    this.lostFns.push(fn);
  }

  async close(): Promise<void> {
    this.renewal.stop();
    await this.store.flush();
    await this.o.db.stopped(this.o.me).catch(() => undefined);
  }

  /** What the fleet view shows (fleet-view.ts): as of the last answer from the database. */
  picture(): { db: FleetView['db']; daemons: readonly DaemonRow[]; leases: readonly LeaseRow[]; unconfirmed: string[]; refreshedAt: string; roundTrips: number } {
    return { db: this.db, daemons: this.daemons, leases: this.leases, unconfirmed: this.book.unconfirmed(), refreshedAt: this.refreshedAt, roundTrips: this.o.db.roundTrips };
  }

  // --- internals ---------------------------------------------------------------------------------

  /** Leases another daemon holds now (or nobody): stop their agents, write nothing more for them. */
  lose(keys: string[]): void {
    const gone = this.book.drop(keys);
    if (gone.length === 0) return;
    this.since = null; // the next poll reads every record again: the new holder's replace anything of ours
    for (const key of gone) this.o.log.event({ type: 'lease_lost', ticket: this.state?.tickets[key]?.identifier ?? key, key });
    for (const fn of this.lostFns) fn(gone);
  }

  private reachable(): void {
    this.book.answered();
    if (this.db.status === 'ok') return;
    this.db = { status: 'ok', since: new Date(this.now()).toISOString(), error: null };
    this.o.log.event({ type: 'fleet_db', status: 'ok', error: null });
  }

  private unreachable(err: Error): void {
    this.book.failed();
    if (this.db.status === 'unreachable') return;
    this.db = { status: 'unreachable', since: new Date(this.now()).toISOString(), error: err.message };
    this.o.log.event({ type: 'fleet_db', status: 'unreachable', error: err.message });
  }

  /**
   * A holder whose process is gone, checked only when it ran in this machine's boot and PID namespace
   * (its row says where); anywhere else a pid means nothing here, and only its missed renewals count.
   */
  private isDeadHere(holder: string): boolean {
    const d = this.daemons.find((x) => x.id === holder);
    if (!d || !samePidSpace(this.o.place, d)) return false;
    return !isSameProcess(d.pid, d.pid_start);
  }
}
