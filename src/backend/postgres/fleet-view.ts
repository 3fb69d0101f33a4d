// The fleet as this daemon last saw it in the database, for `swarm status`, the dashboard and /metrics:
// every daemon of the scope, the leases in force (and this daemon's own, even expired), what the database
// said last and when.
import type { FleetView } from '../../core/views.js';
import type { FleetViewSource } from '../../fleet/view.js';
import type { PgLeases } from './leases.js';

export class PgFleetView implements FleetViewSource {
  constructor(private readonly leases: PgLeases) {}

  view(): FleetView {
    const p = this.leases.picture();
    const self = this.leases.self;
    const nowIso = new Date(this.leases.dbNow()).toISOString();
    return {
      self,
      db: p.db,
      daemons: p.daemons.map((d) => ({ id: d.id, host: d.host, pid: d.pid, heartbeat_at: d.heartbeat_at, running: d.running, max_concurrent: d.max_concurrent, draining: d.draining, stopped: d.stopped_at !== null, repo_dir: d.repo_dir })),
      leases: p.leases.filter((l) => l.expires_at > nowIso || l.holder === self).map((l) => ({ key: l.key, holder: l.holder, expires_at: l.expires_at, agent_pid: l.agent_pid })),
      unconfirmed: p.unconfirmed,
      refreshed_at: p.refreshedAt,
      db_round_trips: p.roundTrips,
    };
  }
}
