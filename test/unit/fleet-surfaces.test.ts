// Fleet mode on the daemon's pure surfaces: /metrics (Prometheus text) says how the database is, how many
// statements this daemon sent it, and each live daemon's heartbeat age, slots and leases; the dashboard's
// renderBody shows the fleet, an unreachable database, the shared account and the lane waiting list.
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../src/state/empty-state.js';
import type { ViewedState } from '../../src/core/types.js';
import { buildSnapshot, renderStatus } from '../../src/report/status.js';
import { renderMetrics } from '../../src/report/metrics.js';
import { renderBody } from '../../src/server/dashboard.js';
import { emptyAccount, withLimit, withMember, withWindow } from '../../src/core/account-record.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { sampleFleetView } from '../helpers/fleet-view.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');

function input(db: 'ok' | 'unreachable' = 'ok', roundTrips: number | null = 42) {
  const state: ViewedState = emptyState(NOW);
  state.fleet = sampleFleetView(NOW, db);
  return { snapshot: buildSnapshot(state, null, NOW), state, tracker: { kind: 'github', requests: 0, rateLimitRemaining: null }, poll: { count: 1, lastDurationMs: 5 }, eligibleWaiting: 0, fleetDbRoundTrips: roundTrips };
}

describe('/metrics in fleet mode', () => {
  it('exports the database status, round trips, and per live daemon its heartbeat age, slots and leases', () => {
    const f = parsePrometheus(renderMetrics(input()));
    expect(sampleValue(f, 'swarm_fleet_db_reachable')).toBe(1);
    expect(sampleValue(f, 'swarm_fleet_db_round_trips_total')).toBe(42);
    expect(f.get('swarm_fleet_db_round_trips_total')?.type).toBe('counter');
    expect(sampleValue(f, 'swarm_fleet_daemons', { state: 'live' })).toBe(2);
    expect(sampleValue(f, 'swarm_fleet_daemons', { state: 'stopped' })).toBe(1);
    expect(sampleValue(f, 'swarm_fleet_leases')).toBe(3);
    const alpha = { daemon: 'alpha:101:900', host: 'alpha', pid: '101' };
    const beta = { daemon: 'beta:202:901', host: 'beta', pid: '202' };
    expect(sampleValue(f, 'swarm_fleet_daemon_heartbeat_age_seconds', alpha)).toBe(2);
    expect(sampleValue(f, 'swarm_fleet_daemon_heartbeat_age_seconds', beta)).toBe(7);
    expect(sampleValue(f, 'swarm_fleet_daemon_slots_used', alpha)).toBe(2);
    expect(sampleValue(f, 'swarm_fleet_daemon_slots_max', alpha)).toBe(3);
    expect(sampleValue(f, 'swarm_fleet_daemon_slots_used', beta)).toBe(1);
    expect(sampleValue(f, 'swarm_fleet_daemon_leases', alpha)).toBe(2);
    expect(sampleValue(f, 'swarm_fleet_daemon_leases', beta)).toBe(1);
    // A stopped daemon has no per-daemon series.
    expect(f.get('swarm_fleet_daemon_slots_max')?.samples.map((s) => s.labels.host)).toEqual(['alpha', 'beta']);
  });

  it('says 0 when the database is unreachable; nothing fleet-related outside fleet mode', () => {
    expect(sampleValue(parsePrometheus(renderMetrics(input('unreachable'))), 'swarm_fleet_db_reachable')).toBe(0);
    const noCounter = parsePrometheus(renderMetrics(input('ok', null)));
    expect(noCounter.has('swarm_fleet_db_round_trips_total')).toBe(false);
    const state: ViewedState = emptyState(NOW);
    const text = renderMetrics({ ...input(), state, snapshot: buildSnapshot(state, null, NOW), fleetDbRoundTrips: null });
    expect(text).not.toMatch(/swarm_fleet_/);
  });
});

describe('dashboard body in fleet mode', () => {
  it('lists every daemon (this one marked) with heartbeat, slots and leases, and every lease with its holder', () => {
    const state: ViewedState = emptyState(NOW);
    state.fleet = sampleFleetView(NOW);
    state.tickets['11'] = { ...blank('11'), identifier: '#11' };
    const html = renderBody(buildSnapshot(state, null, NOW));
    expect(html).toContain('Fleet · 2 daemon(s) · database ok');
    expect(html).toMatch(/<b class="daemon-host">alpha<\/b> <span class="self">\(this daemon\)<\/span><\/td><td>101<\/td><td>2s ago<\/td><td>2\/3<\/td><td>2<\/td><td>running<\/td>/);
    expect(html).toMatch(/<b class="daemon-host">beta<\/b><\/td><td>202<\/td><td>7s ago<\/td><td>1\/2<\/td><td>1<\/td><td>draining<\/td>/);
    expect(html).toMatch(/<b class="daemon-host">gamma<\/b><\/td><td>303<\/td><td>6m 40s ago<\/td><td>–<\/td><td>0<\/td><td>stopped<\/td>/);
    expect(html).toMatch(/<b class="ticket">#11<\/b><\/td><td>alpha pid 101<\/td><td>5001<\/td><td>1m 40s<\/td>/);
    expect(html).toMatch(/<b class="ticket">13<\/b><\/td><td>beta pid 202<\/td><td>–<\/td>/);
    expect(html).not.toContain('fleet-db-banner');
    const down: ViewedState = emptyState(NOW);
    down.fleet = { ...sampleFleetView(NOW, 'unreachable'), unconfirmed: ['11'] };
    down.tickets['11'] = { ...blank('11'), identifier: '#11' };
    // The banner, `swarm status` and the README say the same thing about an outage (agents go on, their
    // publication waits, nothing new starts), naming the tickets whose writes wait.
    const meaning = 'running agents continue; their pushes, pull requests and tracker updates wait until the database confirms their leases (waiting: #11); no new claims';
    expect(renderBody(buildSnapshot(down, null, NOW))).toContain(`id="fleet-db-banner"><b>Fleet database unreachable</b> since 2025-03-01T11:59:40.000Z: ${meaning} (connect ECONNREFUSED 10.0.0.5:5432)`);
    expect(renderStatus(buildSnapshot(down, null, NOW), undefined, 400)).toContain(`FLEET DATABASE UNREACHABLE since 2025-03-01T11:59:40.000Z: ${meaning} (connect ECONNREFUSED 10.0.0.5:5432)`);
    expect(renderBody(buildSnapshot(emptyState(NOW), null, NOW))).not.toMatch(/Fleet|Leases/);
  });

  it('shows the shared account and the lane waiting list when the snapshot carries them, escaped', () => {
    let rec = withMember(emptyAccount('ada@example.com-1a2b3c'), 'box:4242', { host: 'box', pid: 4242, repo: 'acme/widgets' }, NOW - 3000);
    rec = withWindow(rec, { status: 'allowed_warning', utilization: 0.93, type: 'five_hour', resetsAt: NOW + 3_720_000 }, NOW - 60_000, 'box:4242');
    const waiting = [{ ticket: '#7', key: '7', title: '<script>x</script>', lane: 'background' as const, waiting_because: 'background work runs 01:00-06:00' }];
    const html = renderBody(buildSnapshot(emptyState(NOW), null, NOW, { account: rec, waiting }));
    expect(html).toContain('Account ada@example.com-1a2b3c <span class="n">1 daemon(s)</span>');
    expect(html).toContain('<b id="account-window">93% used</b> (five_hour, allowed_warning)');
    expect(html).toMatch(/<td>box<\/td><td>4242<\/td><td>acme\/widgets<\/td><td>3s ago<\/td>/);
    expect(html).toContain('Waiting for their lane');
    expect(html).toMatch(/<a class="tl" href="\/tickets\/7"><b class="ticket">#7<\/b><\/a><\/td><td>&lt;script&gt;x&lt;\/script&gt;<\/td><td><span class="lane background">background<\/span><\/td><td>background work runs 01:00-06:00<\/td>/);
    expect(html).not.toContain('account-pause-banner');
    const limited = withLimit(rec, { until: new Date(NOW + 600_000).toISOString(), reason: "You've hit your 5-hour limit", limit_type: 'five_hour', by: 'box:4242' }, NOW);
    expect(renderBody(buildSnapshot(emptyState(NOW), null, NOW, { account: limited }))).toMatch(/id="account-pause-banner"><b>Account ada@example\.com-1a2b3c paused<\/b> \(five_hour limit\) until 2025-03-01T12:10:00\.000Z \(10m 00s left\)/);
    const plain = renderBody(buildSnapshot(emptyState(NOW), null, NOW));
    expect(plain).not.toMatch(/Account|Waiting for their lane/);
  });
});

function blank(key: string) {
  return { key, identifier: key, title: 'T', url: '', branch: '', worktree: '', status: 'running' as const, attempts: [], failures: 0, next_retry_at: null, retry_reason: null, pr: null, cost_usd: 0, claimed_at: null, updated_at: '', last_event: '', rev: 1, synced_rev: 1, cleared: false };
}

// (Was test/integration/dashboard-browser.test.ts: the overview is now rendered on the server and re-fetched
// on each event, so what the browser shows is renderBody's output, checked here.)
describe('the overview: watched pull requests', () => {
  it('lists a handed-off PR with its checks and follow-up round, linking the ticket page and the PR', () => {
    const state: ViewedState = emptyState(NOW);
    state.daemon = { max_followups: 3 } as any;
    state.tickets['7'] = {
      key: '7', identifier: '#7', title: 'Fix the parser', url: '', branch: 'swarm/7', worktree: '', status: 'review', attempts: [], failures: 0, next_retry_at: null, retry_reason: null,
      pr: { number: 12, url: 'https://github.example/acme/widgets/pull/12' }, cost_usd: 0, claimed_at: null, updated_at: '', last_event: '', rev: 1, synced_rev: 1, cleared: false,
      followup: { rounds: 1, handled: [], ours: [], pending: null, stopped: null, seen: { at: new Date(NOW).toISOString(), head_sha: 'abc123', checks: '2 passed, 1 failing', decision: 'already followed up on this head' } },
    } as any;
    const html = renderBody(buildSnapshot(state, null, NOW));
    expect(html).toContain('Watched pull requests');
    expect(html).toMatch(/<a class="tl" href="\/tickets\/7"><b class="ticket">#7<\/b><\/a><\/td><td><a class="pr" href="https:\/\/github\.example\/acme\/widgets\/pull\/12">[^<]+<\/a><\/td><td>2 passed, 1 failing<\/td><td>1\/3<\/td>/);
  });
});
