// This daemon's handle on the Claude account it shares with every other daemon using the same login: the
// record as last read, and the few changes a daemon makes to it — its heartbeat as a member, a usage limit
// its agent hit, the usage-window figures its agents report, and its part in the one canary run after a
// limit. Every change is one AccountStore.update (atomic against the other daemons) of a pure helper from
// record.ts; this daemon's own changes go out one at a time, in order. A store that fails (a full disk, a
// lock held too long, the database away) never stops the loop: the error is reported once per message and
// the last record read stays in use; a change that could not be written is kept and written with the next
// one that goes through (changes are pure functions of the record, so applying them later is safe).
import type { AccountStore } from './store.js';
import {
  canaryPassed, claimCanary, emptyAccount, pruneMembers, releaseCanary, resumeIfEnded, withLimit, withMember, withModelLimit, withoutMember, withWindow,
  type AccountPause, type AccountRecord, type WindowFigures,
} from '../core/account-record.js';

export interface AccountMemberInfo {
  /** This daemon's id (host:pid:start, as in fleet mode). */
  id: string;
  host: string;
  pid: number;
  /** The repository (or tracker scope) the daemon works on. */
  repo: string;
}

export interface SharedAccountOptions {
  store: AccountStore;
  self: AccountMemberInfo;
  now?: () => number;
  /** How often membership is renewed (well inside record.MEMBER_STALE_MS). Default 15 s. */
  heartbeatMs?: number;
  /** A store failure, once per distinct message. */
  onError?: (message: string) => void;
}

export const HEARTBEAT_MS = 15_000;

export class SharedAccount {
  private rec: AccountRecord;
  private lastBeat = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private lastError: string | null = null;
  /** Changes whose write failed, applied again (in order) before the next change or refresh. */
  private unsent: ((r: AccountRecord) => AccountRecord)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly heartbeatMs: number;

  constructor(private readonly o: SharedAccountOptions) {
    this.now = o.now ?? Date.now;
    this.heartbeatMs = o.heartbeatMs ?? HEARTBEAT_MS;
    this.rec = emptyAccount(o.store.name);
  }

  get name(): string {
    return this.o.store.name;
  }

  get id(): string {
    return this.o.self.id;
  }

  /** The record as last read or written. */
  get record(): AccountRecord {
    return this.rec;
  }

  /** Join the account and renew membership every heartbeatMs until stop(). */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * The record as it is now (each poll, and right before a spawn). Writes only when there is something to
   * write: a heartbeat that is due, a pause that has ended, members gone silent.
   */
  async refresh(): Promise<AccountRecord> {
    const now = this.now();
    if (now - this.lastBeat >= this.heartbeatMs || this.unsent.length > 0) return this.beat();
    const read = await this.attempt(() => this.o.store.read());
    if (read === undefined) return this.rec;
    this.rec = read;
    if (resumeIfEnded(read, now) !== read || pruneMembers(read, now) !== read) return this.change((r) => tidy(r, now));
    return read;
  }

  /** Renew this daemon's membership (and tidy: an ended pause cleared, silent members dropped). */
  beat(): Promise<AccountRecord> {
    const now = this.now();
    this.lastBeat = now;
    const { host, pid, repo } = this.o.self;
    return this.change((r) => withMember(tidy(r, now), this.id, { host, pid, repo }, now));
  }

  /** This daemon's agent hit the account's usage limit: every daemon on it waits until `until`. */
  limitSeen(p: Omit<AccountPause, 'since' | 'by'>): Promise<AccountRecord> {
    const now = this.now();
    return this.change((r) => withLimit(r, { ...p, by: this.id }, now));
  }

  /** This daemon's agent hit a weekly limit scoped to `family`: attempts on that family wait until `until`, on every daemon. */
  modelLimitSeen(family: string, p: Omit<AccountPause, 'since' | 'by'>): Promise<AccountRecord> {
    const now = this.now();
    return this.change((r) => withModelLimit(r, family, { ...p, by: this.id }, now));
  }

  /** Usage-window figures an agent of this daemon just reported. */
  window(f: WindowFigures): Promise<AccountRecord> {
    const now = this.now();
    return this.change((r) => withWindow(r, f, now, this.id));
  }

  /**
   * Ask to start the one canary run after a limit: true when this daemon holds it (or no canary is
   * pending). With the store failing, the last record decides and nothing is written: a broken store must
   * not keep every daemon waiting for a canary nobody can take.
   */
  async claimCanary(): Promise<boolean> {
    let granted = false;
    const ok = await this.change((r) => {
      const c = claimCanary(r, this.id, this.now());
      granted = c.granted;
      return c.rec;
    }, false);
    if (ok === undefined) {
      const c = claimCanary(this.rec, this.id, this.now());
      this.rec = c.rec;
      return c.granted;
    }
    return granted;
  }

  /** The canary this daemon ran proved the way clear: every daemon on the account may start again. */
  canaryPassed(): Promise<AccountRecord> {
    const now = this.now();
    return this.change((r) => canaryPassed(r, this.id, now));
  }

  /** The canary run ended without proving anything: let the next daemon that asks take it. */
  releaseCanary(): Promise<AccountRecord> {
    return this.change((r) => releaseCanary(r, this.id));
  }

  /** A clean stop: leave the account (a canary held is released for another daemon). */
  async leave(): Promise<void> {
    this.stop();
    await this.change((r) => withoutMember(r, this.id));
  }

  /** One update after this daemon's earlier ones; the record it leaves (the last one read when it fails). */
  private change(fn: (r: AccountRecord) => AccountRecord): Promise<AccountRecord>;
  private change(fn: (r: AccountRecord) => AccountRecord, fallback: false): Promise<AccountRecord | undefined>;
  private change(fn: (r: AccountRecord) => AccountRecord, fallback = true): Promise<AccountRecord | undefined> {
    const run = this.chain.then(async () => {
      const earlier = this.unsent;
      this.unsent = [];
      const all = (r: AccountRecord) => fn(earlier.reduce((acc, f) => f(acc), r));
      const rec = await this.attempt(() => this.o.store.update(all));
      // Not written: keep it for the next write (a canary claim was answered from the last record instead).
      if (rec === undefined) this.unsent = fallback ? [...earlier, fn] : earlier;
      return rec;
    });
    this.chain = run;
    return run.then((rec) => {
      if (rec !== undefined) this.rec = rec;
      return rec ?? (fallback ? this.rec : undefined);
    });
  }

  private async attempt(op: () => Promise<AccountRecord>): Promise<AccountRecord | undefined> {
    try {
      const rec = await op();
      this.lastError = null;
      return rec;
    } catch (err) {
      const message = `shared Claude account ${this.name}: ${(err as Error).message}`;
      if (message !== this.lastError) this.o.onError?.(message);
      this.lastError = message;
      return undefined;
    }
  }
}

function tidy(r: AccountRecord, now: number): AccountRecord {
  return pruneMembers(resumeIfEnded(r, now), now);
}
