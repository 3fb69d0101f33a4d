// Operator requests between the daemons of a fleet, through swarm_controls: a request for a ticket another
// live daemon holds is written for that daemon and its answer awaited; the requests each poll's snapshot
// carries for this daemon (for tickets it holds, or that nobody holds) are applied here and answered.
import type { ControlResult, TicketControlKind } from '../../core/controls.js';
import type { ControlHandler, ControlRelay } from '../../fleet/control-relay.js';
import type { ControlRow, FleetDb, Me } from './db.js';
import type { PgLeases } from './leases.js';

export class PgControlRelay implements ControlRelay {
  private handler: ControlHandler | null = null;

  constructor(
    private readonly db: FleetDb,
    private readonly me: Me,
    private readonly leases: PgLeases,
  ) {
    leases.onSnapshot((snap) => this.answer(snap.controls));
  }

  onControl(fn: ControlHandler): void {
    this.handler = fn;
  }

  /**
   * Ask the daemon holding `key` to apply an operator request, and wait up to `waitMs` for its answer;
   * null when no other live daemon holds it (the caller applies it itself).
   */
  async ask(key: string, kind: TicketControlKind, waitMs: number): Promise<ControlResult | null> {
    const holder = this.leases.heldElsewhere(key);
    if (holder === null) return null;
    const id = await this.db.requestControl(this.me, key, kind);
    const deadline = this.leases.mono() + waitMs;
    while (this.leases.mono() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const row = await this.db.controlAnswer(id).catch(() => null);
      if (row) return (row.result ?? { ok: false, message: `daemon ${row.done_by} gave no answer` }) as ControlResult;
    }
    return { ok: true, message: `asked daemon ${holder}, which holds ${key}, to ${kind} it; it applies the request at its next poll` };
  }

  /** Operator requests waiting for this daemon: the ones for tickets it holds, or that nobody holds. */
  private async answer(controls: readonly ControlRow[]): Promise<void> {
    if (!this.handler) return;
    const leases = this.leases;
    for (const c of controls) {
      const mine = leases.holds(c.key);
      if (!mine && (leases.heldElsewhere(c.key) !== null || (await leases.acquire(c.key)) === null)) continue;
      const result = await this.handler({ kind: c.kind, key: c.key }).catch((err: Error) => ({ ok: false, message: err.message }));
      await this.db.answerControl(this.me, c.id, result).catch(() => undefined);
    }
  }
}
