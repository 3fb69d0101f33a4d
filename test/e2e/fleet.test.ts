// Fleet mode (issue #13): several daemons — three clones of one origin, as on three machines — on one real
// PostgreSQL (started by the suite), one fake GitHub, the fake claude. Daemons run as real processes.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useFleetSuite, type Member } from '../helpers/fleet.js';
import { isAlive, waitFor } from '../helpers/daemon.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const suite = useFleetSuite();
const { start, cli } = suite;

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
    const w = await suite.world(3, await suite.pg.createDatabase(), { agent: { max_concurrent: 2 } });
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
    const w = await suite.world(3, await suite.pg.createDatabase(), { agent: { max_concurrent: 1 } });
    const busy = [1, 2, 3].map((i) => w.gh.addIssue({ title: `Long ${i}`, labels: ['agent'] }));
    w.setScenarios({ default: [[{ sleep: 6000 }, 'commit_and_pr']] });
    for (const m of w.members) start(m);
    await waitFor(() => w.claudeCalls().length === 3, { timeoutMs: 60_000, what: 'three agents running, one per daemon' });
    for (const m of w.members) {
      const snap = await waitFor(async () => {
        const j = JSON.parse((await cli(m, ['status', '--json'])).stdout);
        return j.fleet?.daemons.filter((d: any) => !d.stopped).length === 3 && j.fleet.leases.length === 3 ? j : null;
      }, { timeoutMs: 20_000, what: `${m.name}'s status showing the whole fleet` });
      expect(new Set(snap.fleet.leases.map((l: any) => l.key))).toEqual(new Set(busy.map(String)));
      expect(snap.fleet.daemons.filter((d: any) => d.self)).toHaveLength(1);
      expect(snap.fleet.daemons.every((d: any) => d.heartbeat_age_s < 10 && d.max_concurrent === 1)).toBe(true);
      const text = (await cli(m, ['status'])).stdout;
      expect(text).toMatch(/Fleet \(3 daemon\(s\), 3 lease\(s\)\)/);
    }
    // Pause from one clone: no daemon claims anything new until resumed.
    const paused = await cli(w.members[1]!, ['pause']);
    expect(paused.code, paused.stderr).toBe(0);
    const waiting = [4, 5, 6].map((i) => w.gh.addIssue({ title: `Waits ${i}`, labels: ['agent'] }));
    await waitFor(() => busy.every((n) => w.gh.labelsOf(n).includes('agent:review')), { timeoutMs: 60_000, what: 'the running three handed off' });
    await new Promise((r) => setTimeout(r, 3000)); // several polls on every daemon
    expect(w.claudeCalls()).toHaveLength(3);
    for (const n of waiting) expect(w.gh.labelsOf(n)).not.toContain('agent:running');
    for (const m of w.members) expect(JSON.parse((await cli(m, ['status', '--json'])).stdout).pause?.kind).toBe('operator');
    const resumed = await cli(w.members[2]!, ['resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    await waitFor(() => waiting.every((n) => w.gh.labelsOf(n).includes('agent:review')), { timeoutMs: 60_000, what: 'the waiting three worked after the resume' });
  }, 180_000);

  it('a usage limit one daemon meets pauses all three until the reset: no agent starts anywhere before it', async () => {
    const w = await suite.world(3, await suite.pg.createDatabase(), { agent: { max_concurrent: 1 } });
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

  it('kill -9 of a daemon running two agents: its orphans are killed, its leases taken over within lease_ttl + one poll; one PR each, exact counts', async () => {
    const ttl = 6_000;
    const w = await suite.world(3, await suite.pg.createDatabase(), { state: { lease_ttl: '6s' }, agent: { max_concurrent: 2 } });
    const issues = Array.from({ length: 4 }, (_, i) => w.gh.addIssue({ title: `Survives ${i + 1}`, labels: ['agent'] }));
    // Long enough to be cut: every first run sleeps (its sleep grandchild shows an orphan), later ones are quick.
    const scenarios: Record<string, unknown> = {};
    for (const n of issues) scenarios[n] = [[{ init: true }, { spawnSleep: 300, pidFile: `orphan-${n}.pid` }, { sleep: 7000 }, 'commit_and_pr'], 'commit_and_pr'];
    w.setScenarios(scenarios);
    // The victim first (it takes two), then the others, which keep free slots for the takeover.
    const victim = w.members[0]!;
    const ds = [start(victim)];
    await waitFor(() => victim.events().filter((e) => e.type === 'started').length === 2, { timeoutMs: 60_000, what: `${victim.name} running two agents` });
    ds.push(...w.members.slice(1).map((m) => start(m)));
    await waitFor(() => w.claudeCalls().length === 4, { timeoutMs: 60_000, what: 'the other two tickets started elsewhere' });
    const held = victim.events().filter((e) => e.type === 'started').map((e) => e.key as string);
    const orphanPid = (n: string) => Number(fs.readFileSync(`${w.origin.base}/orphan-${n}.pid`, 'utf8'));
    await waitFor(() => held.every((k) => fs.existsSync(`${w.origin.base}/orphan-${k}.pid`)), { what: 'both agents running their tools' });
    const orphans = held.map(orphanPid);
    ds[0]!.kill('SIGKILL');
    const killedAt = Date.now();
    await ds[0]!.exited;
    for (const p of orphans) expect(isAlive(p), `orphan ${p} alive right after the kill (agents are detached)`).toBe(true);

    // The others take both over — the dead holder is on this host, so at once — killing its orphans first.
    const survivors = w.members.slice(1);
    const takeovers = await waitFor(() => {
      const t = survivors.flatMap((m) => m.events()).filter((e) => e.type === 'taken_over' && held.includes(e.key));
      return t.length === 2 ? t : null;
    }, { timeoutMs: ttl + 10_000, what: 'both leases taken over' });
    for (const t of takeovers) expect(Date.parse(t.at) - killedAt).toBeLessThanOrEqual(ttl + 2_000);
    // …and the orphans are killed before their tickets run again (TERM, then KILL after a grace).
    await waitFor(() => orphans.every((p) => !isAlive(p)), { timeoutMs: 15_000, what: 'the orphans killed by the daemons that took over' });
    // The event logs are appended asynchronously: wait until each held ticket shows its kill and its rerun.
    const seen = await waitFor(() => {
      const evs = survivors.flatMap((m) => m.events());
      const pairs = held.map((k) => ({
        k,
        killed: evs.find((e) => e.type === 'orphan_killed' && e.ticket === `#${k}`),
        rerun: evs.find((e) => e.type === 'started' && e.key === k),
      }));
      return pairs.every((p) => p.killed && p.rerun) ? pairs : null;
    }, { timeoutMs: 30_000, what: 'each orphan killed by a survivor and its ticket run again' });
    for (const { k, killed, rerun } of seen) {
      expect(Date.parse(rerun.at), `#${k} ran again only after its orphan was killed`).toBeGreaterThanOrEqual(Date.parse(killed.at));
    }

    await waitFor(() => issues.every((n) => w.gh.labelsOf(n).includes('agent:review') && !w.gh.labelsOf(n).includes('agent:running')), { timeoutMs: 90_000, what: 'all four handed off' });
    expect(w.gh.pulls).toHaveLength(4);
    for (const n of issues) expect(w.gh.pulls.filter((p) => new RegExp(`#${n}\\b`).test(p.body)), `PRs for #${n}`).toHaveLength(1);
    const records = await waitFor(() => {
      const s = survivors[0]!.state();
      return issues.every((n) => s.tickets[String(n)]?.status === 'review') ? s.tickets : null;
    }, { what: 'the shared records all handed off' });
    for (const n of issues) {
      const t = records[String(n)];
      expect(t.failures, `#${n}`).toBe(0);
      expect(t.attempts.filter((a: any) => a.counted), `#${n}`).toEqual([]);
      if (held.includes(String(n))) expect(t.attempts.map((a: any) => a.outcome), `#${n}`).toEqual(['interrupted', 'pr_opened']);
    }
  }, 180_000);

  it('PostgreSQL stopped for 20 s mid-run: no daemon exits, every result is recorded once it is back, no PR lost or doubled, claims resume', async () => {
    const w = await suite.world(2, await suite.pg.createDatabase(), { agent: { max_concurrent: 2 } });
    const issues = Array.from({ length: 6 }, (_, i) => w.gh.addIssue({ title: `Outage ${i + 1}`, labels: ['agent'] }));
    w.setScenarios({ default: [[{ sleep: 4000 }, 'commit_and_pr']] });
    const ds = w.members.map((m) => start(m));
    await waitFor(() => w.claudeCalls().length === 4, { timeoutMs: 60_000, what: 'four agents running' });
    await suite.pg.stop();
    const downAt = Date.now();
    try {
      // Running agents finish and hand off meanwhile; nothing new is claimed.
      await waitFor(() => w.gh.pulls.length === 4, { timeoutMs: 15_000, what: 'the four running tickets handed off while the database is down' });
      await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - downAt))));
      expect(w.claudeCalls()).toHaveLength(4);
      for (const d of ds) expect(d.proc.exitCode, d.stdout).toBeNull();
      for (const m of w.members) {
        const status = JSON.parse((await cli(m, ['status', '--json'])).stdout);
        expect(status.fleet.db.status).toBe('unreachable');
      }
    } finally {
      await suite.pg.start();
    }
    await waitFor(() => issues.every((n) => w.gh.labelsOf(n).includes('agent:review')), { timeoutMs: 60_000, what: 'the other two claimed and handed off once it is back' });
    expect(w.gh.pulls).toHaveLength(6);
    expect(w.claudeCalls()).toHaveLength(6);
    // The results reached the database: a fresh look from either member shows every ticket handed off.
    for (const m of w.members) {
      await waitFor(() => {
        const t = m.state().tickets;
        return issues.every((n) => t[String(n)]?.status === 'review' && t[String(n)].attempts.length === 1 && t[String(n)].failures === 0);
      }, { timeoutMs: 20_000, what: `${m.name} seeing every result` });
    }
    for (const d of ds) expect(d.stdout).toMatch(/fleet database unreachable/);
    for (const d of ds) expect(d.stdout).toMatch(/fleet database reachable again/);
  }, 180_000);

  it('a daemon cut off from the database: its lease expires, another takes the ticket over, and the cut-off one writes nothing more for it', async () => {
    const db = await suite.pg.createDatabase();
    const proxy = await startTcpProxy(suite.pg.port);
    try {
      const w = await suite.world(2, db, { state: { lease_ttl: '6s' }, agent: { max_concurrent: 1 } });
      const [cut, other] = w.members as [Member, Member];
      cut.writeWorkflow({ state: { url: db.replace(`:${suite.pg.port}/`, `:${proxy.port}/`) } });
      const n = w.gh.addIssue({ title: 'Partitioned', labels: ['agent'] });
      w.setScenarios({ [n]: [[{ init: true }, { sleep: 15000 }, 'commit_and_pr'], 'commit_and_pr'] });
      start(cut);
      await waitFor(() => cut.events().some((e) => e.type === 'started' && e.key === String(n)), { timeoutMs: 60_000, what: 'the cut-off daemon working the ticket' });
      start(other);
      await waitFor(() => other.events().some((e) => e.type === 'daemon_started'), { what: 'the other daemon up' });
      proxy.cut('blackhole');
      const cutAt = Date.now();
      const lost = await waitFor(() => cut.events().find((e) => e.type === 'lease_lost' && e.key === String(n)), { timeoutMs: 15_000, what: 'the cut-off daemon letting go' });
      expect(Date.parse(lost.at) - cutAt).toBeLessThan(6_000); // before the database would let anyone take it
      const taken = await waitFor(() => other.events().find((e) => e.type === 'taken_over' && e.key === String(n)), { timeoutMs: 20_000, what: 'the other daemon taking over' });
      expect(Date.parse(taken.at)).toBeGreaterThan(Date.parse(lost.at));
      await waitFor(() => w.gh.labelsOf(n).includes('agent:review'), { timeoutMs: 60_000, what: 'handed off by the other daemon' });
      // Nothing from the cut-off daemon (its own token) for that issue once the other took it over, and its
      // agent was stopped before it could open a PR.
      const late = w.gh.requests.filter((r) => r.at > Date.parse(taken.at) && r.headers.authorization?.endsWith(cut.token) && r.method !== 'GET');
      expect(late.map((r) => `${r.method} ${r.path}`)).toEqual([]);
      expect(w.gh.requests.some((r) => r.headers.authorization?.endsWith(other.token) && r.method !== 'GET' && r.path.includes(`/issues/${n}/`))).toBe(true);
      expect(w.gh.pulls).toHaveLength(1);
      expect(w.claudeCalls().filter((c) => c.env.SWARM_TICKET_ID === String(n))).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  }, 180_000);
});
