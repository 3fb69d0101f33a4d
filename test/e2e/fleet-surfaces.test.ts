// Fleet mode on a running daemon's operator surfaces (issue #13): /metrics and the dashboard (in headless
// Chromium) show every daemon of the fleet with its heartbeat, slots and leases, the database's status —
// also while PostgreSQL is down — and the statements this daemon sends it. Two real daemons, a real
// PostgreSQL started by the suite, the fake GitHub and the fake claude.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useFleetSuite } from '../helpers/fleet.js';
import { waitFor } from '../helpers/daemon.js';
import { parsePrometheus, sampleValue, type PromFamily } from '../helpers/prometheus.js';
import { appHtml, CHROMIUM, renderedDom } from '../helpers/chromium.js';

const suite = useFleetSuite();
const { start } = suite;

async function metrics(url: string): Promise<Map<string, PromFamily>> {
  return parsePrometheus(await (await fetch(`${url}metrics`)).text());
}

describe('fleet on /metrics and the dashboard', () => {
  it('every daemon with heartbeat, slots and leases; database status through an outage; round trips counted', async () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const w = await suite.world(2, await suite.pg.createDatabase(), { server: { port: 0 }, agent: { max_concurrent: 2 } });
    const n = w.gh.addIssue({ title: 'Holds a lease', labels: ['agent'] });
    w.setScenarios({ [n]: [[{ init: true }, { sleep: 120_000 }]] });
    const urls: string[] = [];
    const started = w.members.map((m) => start(m));
    for (const d of started) {
      urls.push((await d.waitForOutput(/dashboard and API on (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000))[1]!);
    }
    const pids = started.map((d) => String(d.proc.pid));
    const f = await waitFor(async () => {
      const fams = await metrics(urls[0]!);
      return sampleValue(fams, 'swarm_fleet_daemons', { state: 'live' }) === 2 && sampleValue(fams, 'swarm_fleet_leases') === 1 && (fams.get('swarm_fleet_daemon_slots_used')?.samples.reduce((s, x) => s + x.value, 0) ?? 0) === 1 ? fams : null;
    }, { timeoutMs: 60_000, what: 'both daemons and the one lease on /metrics' });
    expect(sampleValue(f, 'swarm_fleet_db_reachable')).toBe(1);
    const byPid = (name: string) => Object.fromEntries(f.get(name)!.samples.map((s) => [s.labels.pid, s.value]));
    expect(Object.keys(byPid('swarm_fleet_daemon_slots_max')).sort()).toEqual([...pids].sort());
    expect(Object.values(byPid('swarm_fleet_daemon_slots_max'))).toEqual([2, 2]);
    // Its own events say which daemon started the agent (every clone's state.json mirrors the shared ticket row).
    const holder = w.members.findIndex((m) => m.events().some((e) => e.type === 'started' && String(e.key) === String(n)));
    expect(holder).toBeGreaterThanOrEqual(0);
    expect(byPid('swarm_fleet_daemon_leases')).toEqual({ [pids[holder]!]: 1, [pids[1 - holder]!]: 0 });
    expect(byPid('swarm_fleet_daemon_slots_used')).toEqual({ [pids[holder]!]: 1, [pids[1 - holder]!]: 0 });
    for (const age of Object.values(byPid('swarm_fleet_daemon_heartbeat_age_seconds'))) expect(age).toBeLessThan(15);
    const trips = sampleValue(f, 'swarm_fleet_db_round_trips_total')!;
    expect(trips).toBeGreaterThan(0);
    await waitFor(async () => sampleValue(await metrics(urls[0]!), 'swarm_fleet_db_round_trips_total')! > trips, { what: 'round trips counted as the daemon polls' });

    // The dashboard, as a browser renders it (its live view comes from /api/v1/state).
    const dom = appHtml(await renderedDom(urls[1]!));
    expect(dom).toContain('Fleet · 2 daemon(s) · database ok');
    for (const pid of pids) expect(dom).toContain(`</td><td>${pid}</td>`);
    expect(dom).toMatch(new RegExp(`<b class="ticket">#${n}</b></td><td>[^<]+ pid ${pids[holder]}</td>`));
    expect(dom).not.toContain('fleet-db-banner');

    await suite.pg.stop();
    try {
      await waitFor(async () => sampleValue(await metrics(urls[1]!), 'swarm_fleet_db_reachable') === 0, { timeoutMs: 30_000, what: 'the outage on /metrics' });
      const down = appHtml(await renderedDom(urls[1]!));
      expect(down).toContain('id="fleet-db-banner"');
      expect(down).toContain('database unreachable');
    } finally {
      await suite.pg.start();
    }
    await waitFor(async () => sampleValue(await metrics(urls[1]!), 'swarm_fleet_db_reachable') === 1, { timeoutMs: 30_000, what: 'the database back on /metrics' });
  }, 180_000);
});
