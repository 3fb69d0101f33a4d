// Fleet mode's Coordinator, over PostgreSQL. A claim is a lease (a one-statement compare-and-set, db.ts)
// held by this daemon's id (host:pid:start:instance; the instance is random), renewed by every poll and a
// heartbeat, taken over once not renewed for `state.lease_ttl` by the database's clock. `holds()`: renewed
// lately enough to start an agent; every external write also passes the fence (`check()`, fence.ts).
// `owns()`: no answer said otherwise — while the database does not answer, agents run on and results wait
// (nobody can take a lease from a database nobody reaches); an answer without the lease stops the agent.
// A holder is dead when it stops renewing, or at once if it provably ran in this machine's boot and PID
// namespace (identity.ts) and its process is gone — never judged by its host name.
import type { Logger } from '../log/logger.js';
import type { SwarmState } from '../core/types.js';
import { isSameProcess } from '../agent/procs.js';
import type { ControlResult, TicketControlKind } from '../core/controls.js';
import type { Coordinator, Takeover } from './coordinator.js';
import type { FleetView } from '../core/views.js';
import type { AccountRow, ControlRow, DaemonRow, FleetDb, LeaseRow, Me } from './db.js';
import type { PgStateStore } from './pg-store.js';
import type { Fence, FenceVerdict } from './fence.js';
import { samePidSpace, type Place } from './identity.js';
import { LeaseBook } from './lease-book.js';

/** Changed rows are read again this far back, so a row committed late by another daemon is never missed. */
const OVERLAP_MS = 5_000;

export interface PgCoordinatorOptions {
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

export type ControlHandler = (c: { kind: string; key: string }) => Promise<ControlResult>;

export class PgCoordinator implements Coordinator, Fence {
  readonly shared = true;
  readonly fence: Fence = this;
  store!: PgStateStore;
  /** The shared Claude account's store: each poll's snapshot carries its row. */
  account: { absorb(row: AccountRow | null): void } | null = null;
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
  private handler: ControlHandler | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;

  constructor(private readonly o: PgCoordinatorOptions) {
    this.now = o.now ?? Date.now;
    this.book = new LeaseBook(o.ttlMs, o.mono, this.now);
    this.db = { status: 'ok', since: new Date(this.now()).toISOString(), error: null };
  }

  /** Begin: the state to fold the fleet's picture into, the first full snapshot, the heartbeat. */
  async start(state: SwarmState): Promise<void> {
    this.state = state;
    await this.refresh();
    if (this.db.status !== 'ok') throw new Error(this.db.error ?? 'the fleet database is unreachable');
    const beat = Math.max(1_000, Math.min(10_000, Math.floor(this.o.ttlMs / 6)));
    const heartbeat = setInterval(() => void this.renew(), beat);
    heartbeat.unref();
    this.timers.push(heartbeat);
  }

  onControl(fn: ControlHandler): void {
    this.handler = fn;
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
    this.account?.absorb(snap.account ?? null);
    this.since = new Date(Date.parse(snap.now) - OVERLAP_MS).toISOString();
    this.refreshedAt = snap.now;
    await this.store.flush(); // whatever waited while the database was away
    for (const key of [...this.releasing]) await this.release(key);
    await this.answer(snap.controls);
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

  /**
   * Ask the daemon holding `key` to apply an operator request, and wait up to `waitMs` for its answer;
   * null when no other live daemon holds it (the caller applies it itself).
   */
  async ask(key: string, kind: TicketControlKind, waitMs: number): Promise<ControlResult | null> {
    const holder = this.heldElsewhere(key);
    if (holder === null) return null;
    const id = await this.o.db.requestControl(this.o.me, key, kind);
    const deadline = this.book.mono() + waitMs;
    while (this.book.mono() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const row = await this.o.db.controlAnswer(id).catch(() => null);
      if (row) return (row.result ?? { ok: false, message: `daemon ${row.done_by} gave no answer` }) as ControlResult;
    }
    return { ok: true, message: `asked daemon ${holder}, which holds ${key}, to ${kind} it; it applies the request at its next poll` };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.store.flush();
    await this.o.db.stopped(this.o.me).catch(() => undefined);
  }

  view(): FleetView {
    const nowIso = new Date(this.dbNow()).toISOString();
    return {
      self: this.o.me.id,
      db: this.db,
      daemons: this.daemons.map((d) => ({ id: d.id, host: d.host, pid: d.pid, heartbeat_at: d.heartbeat_at, running: d.running, max_concurrent: d.max_concurrent, draining: d.draining, stopped: d.stopped_at !== null, repo_dir: d.repo_dir })),
      leases: this.leases.filter((l) => l.expires_at > nowIso || l.holder === this.o.me.id).map((l) => ({ key: l.key, holder: l.holder, expires_at: l.expires_at, agent_pid: l.agent_pid })),
      unconfirmed: this.book.unconfirmed(),
      refreshed_at: this.refreshedAt,
      db_round_trips: this.o.db.roundTrips,
    };
  }

  // --- internals ---------------------------------------------------------------------------------

  /** The heartbeat between polls: keep the leases (and notice the database going away, or coming back). */
  private async renew(): Promise<void> {
    if (this.book.size === 0 || this.book.quietFor() < 900) return;
    const sent = this.book.mono();
    try {
      const kept = await this.o.db.renew(this.o.me, this.o.ttlMs);
      this.reachable();
      this.lose(this.book.renewed(new Set(kept), sent));
    } catch (err) {
      this.unreachable(err as Error);
    }
  }

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

  /** Operator requests waiting for this daemon: the ones for tickets it holds, or that nobody holds. */
  private async answer(controls: readonly ControlRow[]): Promise<void> {
    if (!this.handler) return;
    for (const c of controls) {
      const mine = this.holds(c.key);
      if (!mine && (this.heldElsewhere(c.key) !== null || (await this.acquire(c.key)) === null)) continue;
      const result = await this.handler({ kind: c.kind, key: c.key }).catch((err: Error) => ({ ok: false, message: err.message }));
      await this.o.db.answerControl(this.o.me, c.id, result).catch(() => undefined);
    }
  }
}
