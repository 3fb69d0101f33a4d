// Fleet mode's Coordinator, over PostgreSQL. A claim is a lease (a single-statement compare-and-set, see
// db.ts) held by this daemon's id (host:pid:start), renewed by every poll and by a heartbeat between polls;
// one not renewed within `state.lease_ttl` may be taken over. This daemon counts a lease as its own only
// until its last renewal *request* plus the ttl minus a margin — earlier than the database would let
// anyone else take it — so a daemon cut off from the database stops its agent and writes nothing more for
// the ticket before another can start on it. A holder on this host whose process is gone is dead at once.
import { hostname } from 'node:os';
import type { Logger } from '../log.js';
import type { SwarmState } from '../state/types.js';
import { isSameProcess } from '../agent/procs.js';
import type { ControlResult, TicketControlKind } from '../orchestrator/controls.js';
import type { Coordinator, FleetView, Takeover } from './coordinator.js';
import type { AccountRow, ControlRow, DaemonRow, FleetDb, LeaseRow, Me } from './db.js';
import type { PgStateStore } from './pg-store.js';

/** Changed rows are read again this far back, so a row committed late by another daemon is never missed. */
const OVERLAP_MS = 5_000;

export interface PgCoordinatorOptions {
  db: FleetDb;
  me: Me;
  ttlMs: number;
  log: Logger;
  /** Live figures for this daemon's row: agents running, slots, draining. */
  live: () => { running: number; max_concurrent: number; draining: boolean };
  now?: () => number;
}

export type ControlHandler = (c: { kind: string; key: string }) => Promise<ControlResult>;

export class PgCoordinator implements Coordinator {
  readonly shared = true;
  store!: PgStateStore;
  /** The shared Claude account's store: each poll's snapshot carries its row. */
  account: { absorb(row: AccountRow | null): void } | null = null;
  private state: SwarmState | null = null;
  /** Key → local time the renewal request that last kept the lease was sent. */
  private readonly held = new Map<string, number>();
  /** Settled tickets to let go of as soon as their last record is in the database. */
  private readonly releasing = new Set<string>();
  private leases: LeaseRow[] = [];
  private daemons: DaemonRow[] = [];
  private since: string | null = null;
  private dbOffsetMs = 0;
  private db: FleetView['db'];
  private refreshedAt = '';
  private lastContact = 0;
  private readonly lostFns: ((keys: string[]) => void)[] = [];
  private handler: ControlHandler | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly marginMs: number;

  constructor(private readonly o: PgCoordinatorOptions) {
    this.now = o.now ?? Date.now;
    this.marginMs = Math.min(o.ttlMs * 0.2, 10_000) + 1_000;
    this.db = { status: 'ok', since: new Date(this.now()).toISOString(), error: null };
  }

  /** Begin: the state to fold the fleet's picture into, the first full snapshot, the heartbeat. */
  async start(state: SwarmState): Promise<void> {
    this.state = state;
    await this.refresh();
    if (this.db.status !== 'ok') throw new Error(this.db.error ?? 'the fleet database is unreachable');
    const beat = Math.max(1_000, Math.min(10_000, Math.floor(this.o.ttlMs / 6)));
    const heartbeat = setInterval(() => void this.renew(), beat);
    const expiry = setInterval(() => this.expire(this.now()), 500);
    heartbeat.unref();
    expiry.unref();
    this.timers.push(heartbeat, expiry);
  }

  onControl(fn: ControlHandler): void {
    this.handler = fn;
  }

  async refresh(): Promise<void> {
    if (!this.state) return;
    const sent = this.now();
    let snap;
    try {
      snap = await this.o.db.snapshot(this.o.me, this.o.ttlMs, this.since, this.o.live());
    } catch (err) {
      this.unreachable(err as Error);
      return;
    }
    this.reachable();
    this.dbOffsetMs = Date.parse(snap.now) - sent;
    this.renewed(new Set(snap.held), sent);
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
    const sent = this.now();
    let got;
    try {
      got = await this.o.db.acquire(this.o.me, key, this.o.ttlMs, deadHere);
    } catch (err) {
      this.unreachable(err as Error);
      return null;
    }
    if (!got) return null;
    this.held.set(key, sent);
    this.leases = [...this.leases.filter((l) => l.key !== key), { key, holder: this.o.me.id, acquired_at: new Date(sent).toISOString(), renewed_at: new Date(sent).toISOString(), expires_at: new Date(sent + this.o.ttlMs).toISOString(), agent_pid: null, agent_pid_start: null }];
    if (!got.prev) return 'free';
    const ts = this.state?.tickets[key];
    this.o.log.event({ type: 'taken_over', ticket: ts?.identifier ?? key, key, from: got.prev.holder });
    return { holder: got.prev.holder, host: hostOf(got.prev.holder), agentPid: got.prev.agent_pid, agentPidStart: got.prev.agent_pid_start };
  }

  holds(key: string): boolean {
    const at = this.held.get(key);
    return at !== undefined && this.now() < at + this.o.ttlMs - this.marginMs;
  }

  heldElsewhere(key: string): string | null {
    const l = this.leases.find((x) => x.key === key);
    if (!l || l.holder === this.o.me.id) return null;
    if (Date.parse(l.expires_at) <= this.now() + this.dbOffsetMs) return null;
    return this.isDeadHere(l.holder) ? null : l.holder;
  }

  async release(key: string): Promise<void> {
    if (!this.held.has(key)) return;
    // The ticket's last record goes out while the lease is still ours; with the database away it waits.
    await this.store.flush();
    if (this.store.isPending(key)) {
      this.releasing.add(key);
      return;
    }
    this.releasing.delete(key);
    this.held.delete(key);
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
    const deadline = this.now() + waitMs;
    while (this.now() < deadline) {
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
    const nowIso = new Date(this.now() + this.dbOffsetMs).toISOString();
    return {
      self: this.o.me.id,
      db: this.db,
      daemons: this.daemons.map((d) => ({ id: d.id, host: d.host, pid: d.pid, heartbeat_at: d.heartbeat_at, running: d.running, max_concurrent: d.max_concurrent, draining: d.draining, stopped: d.stopped_at !== null, repo_dir: d.repo_dir })),
      leases: this.leases.filter((l) => l.expires_at > nowIso || l.holder === this.o.me.id).map((l) => ({ key: l.key, holder: l.holder, expires_at: l.expires_at, agent_pid: l.agent_pid })),
      refreshed_at: this.refreshedAt,
      db_round_trips: this.o.db.roundTrips,
    };
  }

  // --- internals ---------------------------------------------------------------------------------

  /** The heartbeat between polls: keep the leases (and notice the database going away). */
  private async renew(): Promise<void> {
    if (this.held.size === 0 || this.now() - this.lastContact < 900) return;
    const sent = this.now();
    try {
      this.renewed(new Set(await this.o.db.renew(this.o.me, this.o.ttlMs)), sent);
      this.reachable();
    } catch (err) {
      this.unreachable(err as Error);
    }
  }

  private renewed(kept: ReadonlySet<string>, sent: number): void {
    this.lastContact = sent;
    const lost: string[] = [];
    for (const key of this.held.keys()) {
      if (kept.has(key)) this.held.set(key, sent);
      else lost.push(key);
    }
    this.lose(lost);
  }

  /** Leases this daemon can no longer count on (no renewal got through in time): let go of them. */
  private expire(now: number): void {
    this.lose([...this.held.keys()].filter((k) => now >= this.held.get(k)! + this.o.ttlMs - this.marginMs));
  }

  private lose(keys: string[]): void {
    if (keys.length === 0) return;
    for (const key of keys) {
      this.held.delete(key);
      this.o.log.event({ type: 'lease_lost', ticket: this.state?.tickets[key]?.identifier ?? key, key });
    }
    for (const fn of this.lostFns) fn(keys);
  }

  private reachable(): void {
    if (this.db.status === 'ok') return;
    this.db = { status: 'ok', since: new Date(this.now()).toISOString(), error: null };
    this.o.log.event({ type: 'fleet_db', status: 'ok', error: null });
  }

  private unreachable(err: Error): void {
    if (this.db.status === 'unreachable') return;
    this.db = { status: 'unreachable', since: new Date(this.now()).toISOString(), error: err.message };
    this.o.log.event({ type: 'fleet_db', status: 'unreachable', error: err.message });
  }

  /** A holder on this host whose process is gone (pid and start time in its id). */
  private isDeadHere(holder: string): boolean {
    const [host, pid, start] = holder.split(':');
    return host === hostname() && !isSameProcess(Number(pid), start && start !== '-' ? start : null);
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

function hostOf(holder: string): string | null {
  return holder.split(':')[0] || null;
}

/** This daemon's id in the fleet: host, pid and process start time (a reused pid is a different daemon). */
export function daemonId(host: string, pid: number, pidStart: string | null): string {
  return `${host}:${pid}:${pidStart ?? '-'}`;
}
