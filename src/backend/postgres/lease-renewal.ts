// Lease renewal between polls (like BullMQ's LockManager): a heartbeat that extends every lease this
// daemon holds, so a long poll or a slow tracker never lets one lapse, and that notices the database going
// away or coming back. Each poll renews the leases too (leases.ts, through its snapshot); the heartbeat
// stays quiet while those answers come often enough.
import type { LeaseBook } from '../../fleet/lease-book.js';
import type { FleetDb, Me } from './db.js';

export interface LeaseRenewalOptions {
  db: FleetDb;
  me: Me;
  ttlMs: number;
  book: LeaseBook;
  /** The database answered / did not answer. */
  reachable(): void;
  unreachable(err: Error): void;
  /** Leases the renewal did not keep (another daemon holds them now, or nobody). */
  lose(keys: string[]): void;
}

/** The database was heard from this recently: no heartbeat needed yet. */
const QUIET_MS = 900;

export class LeaseRenewal {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: LeaseRenewalOptions) {}

  /** Beat every sixth of the ttl (1–10 s), so a lease is renewed several times before it could expire. */
  start(): void {
    if (this.timer) return;
    const beat = Math.max(1_000, Math.min(10_000, Math.floor(this.o.ttlMs / 6)));
    this.timer = setInterval(() => void this.renew(), beat);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One heartbeat: keep the leases (and notice the database going away, or coming back). */
  async renew(): Promise<void> {
    const { book } = this.o;
    if (book.size === 0 || book.quietFor() < QUIET_MS) return;
    const sent = book.mono();
    try {
      const kept = await this.o.db.renew(this.o.me, this.o.ttlMs);
      this.o.reachable();
      this.o.lose(book.renewed(new Set(kept), sent));
    } catch (err) {
      this.o.unreachable(err as Error);
    }
  }
}
