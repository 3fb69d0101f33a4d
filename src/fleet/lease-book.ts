// This daemon's side of its leases, on the monotonic clock (a wall-clock jump never makes a lease look
// longer or shorter): which tickets it owns, which of them a renewal confirmed recently enough to act on,
// since when the database has answered without a break, and how far the database's clock is from this
// machine's. No I/O and no logging: the coordinator feeds it the database's answers.
import { performance } from 'node:perf_hooks';

/** A lease of this daemon's: when the request that last confirmed it was sent, and when its answer came. */
interface Held {
  sent: number;
  got: number;
}

/** A clock offset to the database that moved less than this is round-trip noise: the one in use is kept. */
const OFFSET_NOISE_MS = 250;

export class LeaseBook {
  private readonly held = new Map<string, Held>();
  /** Monotonic time of the last answer from the database. */
  private lastContact = Number.NEGATIVE_INFINITY;
  /** Since when the database has answered without a failure in between (null: it is failing). */
  private contactSince: number | null;
  private dbOffsetMs: number | null = null;
  /** Confirmed within the ttl less this margin: only then may this daemon start an agent for a ticket. */
  readonly marginMs: number;

  constructor(
    private readonly ttlMs: number,
    readonly mono: () => number = () => performance.now(),
    private readonly now: () => number = Date.now,
  ) {
    this.marginMs = Math.min(ttlMs * 0.2, 10_000) + Math.min(1_000, ttlMs * 0.1);
    this.contactSince = mono();
  }

  /** Ours as far as this daemon knows: no answer from the database said otherwise. */
  owns(key: string): boolean {
    return this.held.has(key);
  }

  /** Ours and confirmed by a request sent less than the ttl (less a margin) ago. */
  holds(key: string): boolean {
    const h = this.held.get(key);
    return h !== undefined && this.mono() < h.sent + this.ttlMs - this.marginMs;
  }

  keys(): string[] {
    return [...this.held.keys()];
  }

  get size(): number {
    return this.held.size;
  }

  /** Owned but not confirmed lately (the database is not answering): publication waits for these. */
  unconfirmed(): string[] {
    return this.keys().filter((k) => !this.holds(k));
  }

  /** Taken, or confirmed by the fence, by a request sent at `sent`. */
  confirmed(key: string, sent: number): void {
    this.held.set(key, { sent, got: this.mono() });
  }

  /**
   * A renewal sent at `sent` kept `kept`: those are confirmed. Returns the ones it did not renew — lost —
   * except a lease got after that request went out (the renewal ran before it existed).
   */
  renewed(kept: ReadonlySet<string>, sent: number): string[] {
    const lost: string[] = [];
    for (const [key, h] of this.held) {
      if (kept.has(key)) this.held.set(key, { sent: Math.max(h.sent, sent), got: this.mono() });
      else if (h.got < sent) lost.push(key);
    }
    return lost;
  }

  /** Let go of `keys`; returns the ones that were owned. */
  drop(keys: readonly string[]): string[] {
    return keys.filter((k) => this.held.delete(k));
  }

  /** The database answered. */
  answered(): void {
    this.lastContact = this.mono();
    this.contactSince ??= this.lastContact;
  }

  /** A request got no answer (connection refused, timed out, reset). */
  failed(): void {
    this.contactSince = null;
  }

  /** ms since the database last answered. */
  quietFor(): number {
    return this.mono() - this.lastContact;
  }

  /**
   * Whether this daemon may take over an expired lease: only after a whole ttl of answers without a
   * break. After an outage that cut everyone off, every holder gets a ttl to renew before anyone takes it.
   */
  mayTakeExpired(): boolean {
    return this.contactSince !== null && this.mono() - this.contactSince >= this.ttlMs;
  }

  /** The database said it was `dbIso` in answer to a request sent at wall time `wallSent`, `rttMs` ago. */
  clock(dbIso: string, wallSent: number, rttMs: number): void {
    const next = Date.parse(dbIso) - (wallSent + rttMs / 2);
    if (!Number.isFinite(next)) return;
    if (this.dbOffsetMs === null || Math.abs(next - this.dbOffsetMs) > OFFSET_NOISE_MS) this.dbOffsetMs = Math.round(next);
  }

  /** The database's clock as far as this daemon can tell (the wall clock until the first answer). */
  dbNow(): number {
    return this.now() + (this.dbOffsetMs ?? 0);
  }
}
