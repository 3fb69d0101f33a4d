// Operator requests (pause a ticket, retry, release…) for a ticket another daemon of the fleet holds: passed
// to that daemon, its answer awaited. The embedded backend has no other daemon: every request is applied here.
import type { ControlResult, TicketControlKind } from '../core/controls.js';

export type ControlHandler = (c: { kind: string; key: string }) => Promise<ControlResult>;

export interface ControlRelay {
  /**
   * An operator request for a ticket another live daemon holds: ask it, wait up to `waitMs` for its
   * answer. null: no other daemon holds it (apply it here).
   */
  ask(key: string, kind: TicketControlKind, waitMs: number): Promise<ControlResult | null>;
  /** Who applies operator requests other daemons pass on for tickets this one holds (or nobody does). */
  onControl(fn: ControlHandler): void;
}
