// A fleet as a daemon's poll saw it (state.fleet), for the pure surfaces: two live daemons on two hosts and
// one stopped, three leases — the same shape PgFleetView.view() writes.
import type { FleetView } from '../../src/core/views.js';

export function sampleFleetView(now: number, db: FleetView['db']['status'] = 'ok'): FleetView {
  const at = (s: number) => new Date(now - s * 1000).toISOString();
  return {
    self: 'alpha:101:900',
    db: db === 'ok' ? { status: 'ok', since: at(600), error: null } : { status: 'unreachable', since: at(20), error: 'connect ECONNREFUSED 10.0.0.5:5432' },
    daemons: [
      { id: 'alpha:101:900', host: 'alpha', pid: 101, heartbeat_at: at(2), running: 2, max_concurrent: 3, draining: false, stopped: false, repo_dir: '/srv/a' },
      { id: 'beta:202:901', host: 'beta', pid: 202, heartbeat_at: at(7), running: 1, max_concurrent: 2, draining: true, stopped: false, repo_dir: '/srv/b' },
      { id: 'gamma:303:902', host: 'gamma', pid: 303, heartbeat_at: at(400), running: 0, max_concurrent: 2, draining: false, stopped: true, repo_dir: '/srv/c' },
    ],
    leases: [
      { key: '11', holder: 'alpha:101:900', expires_at: new Date(now + 100_000).toISOString(), agent_pid: 5001 },
      { key: '12', holder: 'alpha:101:900', expires_at: new Date(now + 90_000).toISOString(), agent_pid: 5002 },
      { key: '13', holder: 'beta:202:901', expires_at: new Date(now + 80_000).toISOString(), agent_pid: null },
    ],
    refreshed_at: at(1),
    db_round_trips: 42,
  };
}
