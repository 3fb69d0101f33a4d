// Fleet mode (issue #13): several daemons — three clones of one origin, as on three machines — on one real
// PostgreSQL (started by the suite), one fake GitHub, the fake claude. Daemons run as real processes.
import * as fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { fleetWorld, type FleetWorld, type Member } from '../helpers/fleet.js';
import { runCli, startDaemon, waitFor, type Daemon } from '../helpers/daemon.js';

let pgServer: PostgresServer;
let world: FleetWorld | null = null;
const daemons: Daemon[] = [];

beforeAll(async () => {
  pgServer = await startPostgres();
}, 120_000);
afterAll(async () => {
  await pgServer?.close();
});
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  await world?.close();
  world = null;
});

const start = (m: Member, args: string[] = ['start']) => {
  const d = startDaemon({ dir: m.dir, env: m.env }, args);
  daemons.push(d);
  return d;
};

/** Agents alive now, per ticket: distinct process groups whose environment names the ticket. */
function liveAgents(base: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (!env.some((kv) => kv.startsWith('SWARM_WORKSPACE=') && kv.includes(base))) continue;
      const ticket = env.find((kv) => kv.startsWith('SWARM_TICKET_ID='))?.slice('SWARM_TICKET_ID='.length);
      if (!ticket) continue;
      if (!out.has(ticket)) out.set(ticket, new Set());
      out.get(ticket)!.add(Number(fields[2])); // the process group: one agent, whatever it spawned
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('fleet mode', () => {
  it('three daemons, twelve tickets: twelve PRs, never two agents on one ticket, at most six at once, each daemon works', async () => {
    world = await fleetWorld(3, await pgServer.createDatabase(), { agent: { max_concurrent: 2 } });
    const w = world;
    const issues = Array.from({ length: 12 }, (_, i) => w.gh.addIssue({ title: `Fleet task ${i + 1}`, labels: ['agent'] }));
    w.setScenarios({ default: [[{ sleep: 1500 }, 'commit_and_pr']] });
    for (const m of w.members) start(m);

    let maxAll = 0;
    let sampled = 0;
    const twice: string[] = [];
    const sampler = setInterval(() => {
      const live = liveAgents(w.origin.base);
      sampled++;
      let all = 0;
      for (const [ticket, groups] of live) {
        all += groups.size;
        if (groups.size > 1) twice.push(`${ticket}: ${[...groups].join(', ')}`);
      }
      maxAll = Math.max(maxAll, all);
    }, 50);
    try {
      await waitFor(() => issues.every((n) => w.gh.labelsOf(n).includes('agent:review') && !w.gh.labelsOf(n).includes('agent:running')), { timeoutMs: 120_000, what: 'all twelve handed off' });
    } finally {
      clearInterval(sampler);
    }
    expect(twice, 'two agents alive on one ticket').toEqual([]);
    expect(w.gh.pulls).toHaveLength(12);
    for (const n of issues) expect(w.gh.pulls.filter((p) => new RegExp(`#${n}\\b`).test(p.body)), `PRs for #${n}`).toHaveLength(1);
    expect(maxAll).toBeLessThanOrEqual(6);
    expect(sampled).toBeGreaterThan(20);
    // Each daemon worked at least two tickets (its own events say which).
    for (const m of w.members) {
      const mine = new Set(m.events().filter((e) => e.type === 'started').map((e) => e.key));
      expect(mine.size, `${m.name} worked ${[...mine].join(', ')}`).toBeGreaterThanOrEqual(2);
    }
    // Every attempt ran exactly once across the fleet.
    const calls = w.claudeCalls();
    expect(calls).toHaveLength(12);
    expect(new Set(calls.map((c) => c.env.SWARM_TICKET_ID)).size).toBe(12);
  }, 180_000);

  it('status --json from every clone lists all three daemons and every lease; swarm pause in one clone stops claims in all', async () => {
    world = await fleetWorld(3, await pgServer.createDatabase(), { agent: { max_concurrent: 1 } });
    const w = world;
    const busy = [1, 2, 3].map((i) => w.gh.addIssue({ title: `Long ${i}`, labels: ['agent'] }));
    w.setScenarios({ default: [[{ sleep: 6000 }, 'commit_and_pr']] });
    for (const m of w.members) start(m);
    await waitFor(() => w.claudeCalls().length === 3, { timeoutMs: 60_000, what: 'three agents running, one per daemon' });
    for (const m of w.members) {
      const snap = await waitFor(async () => {
        const j = JSON.parse((await runCli({ dir: m.dir, env: m.env }, ['status', '--json'])).stdout);
        return j.fleet?.daemons.filter((d: any) => !d.stopped).length === 3 && j.fleet.leases.length === 3 ? j : null;
      }, { timeoutMs: 20_000, what: `${m.name}'s status showing the whole fleet` });
      expect(new Set(snap.fleet.leases.map((l: any) => l.key))).toEqual(new Set(busy.map(String)));
      expect(snap.fleet.daemons.filter((d: any) => d.self)).toHaveLength(1);
      expect(snap.fleet.daemons.every((d: any) => d.heartbeat_age_s < 10 && d.max_concurrent === 1)).toBe(true);
      const text = (await runCli({ dir: m.dir, env: m.env }, ['status'])).stdout;
      expect(text).toMatch(/Fleet \(3 daemon\(s\), 3 lease\(s\)\)/);
    }
    // Pause from one clone: no daemon claims anything new until resumed.
    const paused = await runCli({ dir: w.members[1]!.dir, env: w.members[1]!.env }, ['pause']);
    expect(paused.code, paused.stderr).toBe(0);
    const waiting = [4, 5, 6].map((i) => w.gh.addIssue({ title: `Waits ${i}`, labels: ['agent'] }));
    await waitFor(() => busy.every((n) => w.gh.labelsOf(n).includes('agent:review')), { timeoutMs: 60_000, what: 'the running three handed off' });
    await new Promise((r) => setTimeout(r, 3000)); // several polls on every daemon
    expect(w.claudeCalls()).toHaveLength(3);
    for (const n of waiting) expect(w.gh.labelsOf(n)).not.toContain('agent:running');
    for (const m of w.members) expect(JSON.parse((await runCli({ dir: m.dir, env: m.env }, ['status', '--json'])).stdout).pause?.kind).toBe('operator');
    const resumed = await runCli({ dir: w.members[2]!.dir, env: w.members[2]!.env }, ['resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    await waitFor(() => waiting.every((n) => w.gh.labelsOf(n).includes('agent:review')), { timeoutMs: 60_000, what: 'the waiting three worked after the resume' });
  }, 180_000);

  it('a usage limit one daemon meets pauses all three until the reset: no agent starts anywhere before it', async () => {
    world = await fleetWorld(3, await pgServer.createDatabase(), { agent: { max_concurrent: 1 } });
    const w = world;
    const issues = Array.from({ length: 6 }, (_, i) => w.gh.addIssue({ title: `Limited ${i + 1}`, labels: ['agent'] }));
    // The account's window is exhausted for the next 8 s; the first ticket's session meets it first.
    const windowEnds = Date.now() + 8_000;
    const scenarios: Record<string, unknown> = { default: [[{ sleep: 300 }, { usageLimitUntil: windowEnds }, 'commit_and_pr']] };
    scenarios[issues[0]!] = [[{ usageLimitUntil: windowEnds }, 'commit_and_pr']];
    w.setScenarios(scenarios);
    for (const m of w.members) start(m);
    await waitFor(() => issues.every((n) => w.gh.labelsOf(n).includes('agent:review')), { timeoutMs: 120_000, what: 'all six handed off' });
    const pauses = w.members.flatMap((m) => m.events()).filter((e) => e.type === 'paused' && e.kind === 'rate_limit').map((e) => ({ from: Date.parse(e.at), until: Date.parse(e.until) }));
    expect(pauses.length).toBeGreaterThanOrEqual(1);
    const first = pauses.reduce((a, b) => (a.from < b.from ? a : b));
    // The agents' own start times: none between the first pause and its reset, on any daemon.
    const inside = w.claudeCalls().filter((c) => c.t0 > first.from + 50 && c.t0 < first.until);
    if (inside.length > 0 && process.env.SWARM_DEBUG_FLEET) {
      for (const m of w.members) for (const e of m.events().filter((x) => ['paused', 'resumed', 'started', 'held', 'claimed', 'finished'].includes(x.type))) console.log(m.name, e.at, e.type, e.key ?? '', e.until ?? '', e.outcome ?? '');
      for (const c of w.claudeCalls()) console.log('call', c.env.SWARM_TICKET_ID, new Date(c.t0).toISOString());
    }
    expect(inside.map((c) => `${c.env.SWARM_TICKET_ID} at ${new Date(c.t0).toISOString()}`), `pause ${new Date(first.from).toISOString()} – ${new Date(first.until).toISOString()}`).toEqual([]);
    // Every daemon knew: each one's status showed the shared pause (its own state.json, written each poll).
    const limited = w.members.flatMap((m) => Object.values<any>(m.state().tickets)).flatMap((t) => t.attempts).filter((a) => a.outcome === 'rate_limited');
    expect(limited.length).toBeGreaterThanOrEqual(1);
    for (const m of w.members) for (const t of Object.values<any>(m.state().tickets)) expect(t.failures).toBe(0);
  }, 180_000);
});
