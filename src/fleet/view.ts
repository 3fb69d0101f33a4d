// Who else is working: the fleet as this daemon last saw it, shown by `swarm status`, the dashboard and
// /metrics. The embedded backend has no fleet (null).
import type { FleetView } from '../core/views.js';

export interface FleetViewSource {
  /** The fleet as last seen; null outside fleet mode. */
  view(): FleetView | null;
}
