// The embedded backend's fleet parts: one daemon, every ticket its own, no one to pass a request to and no
// fleet to show.
import { NO_FENCE } from '../../fleet/fence.js';
import type { Leases } from '../../fleet/leases.js';
import type { ControlRelay } from '../../fleet/control-relay.js';
import type { FleetViewSource } from '../../fleet/view.js';

export class LocalLeases implements Leases {
  readonly shared = false;
  readonly fence = NO_FENCE;
  async refresh(): Promise<void> {}
  canClaim(): boolean {
    return true;
  }
  async acquire(): Promise<'free'> {
    return 'free';
  }
  holds(): boolean {
    return true;
  }
  owns(): boolean {
    return true;
  }
  heldElsewhere(): string | null {
    return null;
  }
  async release(): Promise<void> {}
  agentStarted(): void {}
  async beforeSpawn(): Promise<void> {}
  onLost(): void {}
}

/** Every operator request is applied here. */
export const NO_RELAY: ControlRelay = { ask: async () => null, onControl: () => undefined };

export const NO_FLEET_VIEW: FleetViewSource = { view: () => null };

/** The three fleet parts of a single daemon (the embedded backend; tests that build a Runtime by hand). */
export function localFleet(): { leases: Leases; controls: ControlRelay; fleetView: FleetViewSource } {
  return { leases: new LocalLeases(), controls: NO_RELAY, fleetView: NO_FLEET_VIEW };
}
