// Brings a ticket's tracker picture in line with its record: one idempotent Tracker.show() from the
// record's appearance, then the ledger notes the revision the tracker confirmed. Anything that changed a
// record calls sync(); reconcile calls it every poll for whatever is still behind (after a failed write,
// a crash between the state write and the tracker write, a restart). One sync per ticket at a time: a
// change made while one is in flight is sent right after it.
import type { Ledger } from '../state/ledger.js';
import type { Logger } from '../log/logger.js';
import type { Ticket } from '../tracker/types.js';
import { TrackerError } from '../errors.js';
import { appearanceOf } from '../core/appearance.js';
import type { Leases } from '../fleet/leases.js';
import type { Settings } from './runtime.js';

/** Rounds of show() per call: a record that keeps changing while we write is picked up by the next poll. */
const MAX_ROUNDS = 4;

export class TrackerSync {
  private readonly inFlight = new Map<string, Promise<boolean>>();
  /** Successful show() calls so far, and the count at each key's latest (see changedSince). */
  private writes = 0;
  private readonly lastWrite = new Map<string, number>();
  /** The error of each key's last failed sync (cleared when one succeeds): what the claim reports. */
  private readonly failures = new Map<string, Error>();

  constructor(
    private readonly ledger: Ledger,
    private readonly settings: Settings,
    private readonly log: Logger,
    private readonly leases: Leases,
  ) {}

  isSyncing(key: string): boolean {
    return this.inFlight.has(key);
  }

  /**
   * Resolves true once the tracker shows the record's latest revision, false when a write failed.
   * `view`: the ticket as the tracker reported it moments ago (this poll's listing, a fetch just made);
   * without one, it is read first.
   */
  sync(key: string, view?: Ticket): Promise<boolean> {
    const running = this.inFlight.get(key);
    if (running) return running.then(() => this.sync(key));
    const p = this.run(key, view).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /** Why the last sync of `key` failed, or null when it did not. */
  failure(key: string): Error | null {
    return this.failures.get(key) ?? null;
  }

  /** A mark to pass to changedSince(). */
  mark(): number {
    return this.writes;
  }

  /** Whether the tracker's picture of `key` was changed by this daemon after `mark`. */
  changedSince(key: string, mark: number): boolean {
    return (this.lastWrite.get(key) ?? -1) >= mark;
  }

  /** Wait for every sync in flight (before the daemon exits). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async run(key: string, view: Ticket | undefined): Promise<boolean> {
    let ticket = view;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const ts = this.ledger.ticket(key);
      if (!ts || ts.synced_rev >= ts.rev) return true;
      // Tracker writes for a ticket come only from the daemon holding it (fleet mode).
      if (!this.leases.holds(key)) return false;
      const rev = ts.rev;
      const { svc, wf } = this.settings;
      try {
        ticket ??= (await svc.tracker.fetch(key)) ?? undefined;
        if (ticket === undefined) throw new TrackerError('not_found', `${ts.identifier} no longer exists on the tracker`);
        await svc.tracker.show(ticket, appearanceOf(ts, wf.config.agent.max_attempts));
        this.lastWrite.set(key, this.writes++);
      } catch (err) {
        if (err instanceof TrackerError && err.kind === 'not_found') {
          // Deleted, or transferred to another repository: there is nothing of ours to show any more,
          // and writing to whatever now answers to that number would be wrong.
          this.log.debug(`tracker sync: ${err.message}; nothing to update`, ts.identifier);
          await this.ledger.confirm(key, rev);
          return true;
        }
        this.log.event({ type: 'sync_failed', ticket: ts.identifier, key, error: (err as Error).message });
        if (this.failures.size > 1000) this.failures.clear();
        this.failures.set(key, err instanceof Error ? err : new Error(String(err)));
        return false;
      }
      this.failures.delete(key);
      await this.ledger.confirm(key, rev);
      ticket = undefined; // our own writes changed it: a next round reads it again
    }
    return false;
  }
}
