// Fleet mode (issue #13): several daemons — three clones of one origin, as on three machines — on one real
// PostgreSQL (started by the suite), one fake GitHub, the fake claude. Daemons run as real processes.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveAgents, useFleetSuite, type Member } from '../helpers/fleet.js';
import { waitFor } from '../helpers/daemon.js';
import { lifelineFor } from '../../src/agent/lifeline.js';
import { groupHasLiveMember } from '../../src/agent/procs.js';
import { dbDownMeaning } from '../../src/core/views.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const suite = useFleetSuite();

const { start, cli } = suite;

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

  it('kill -9 of a daemon on another host (its own PID namespace, same host name) running two agents: its supervisors stop both at once, where nobody else could; its leases are taken over within lease_ttl + one poll; one PR each, exact counts', async () => {
    const ttl = 6_000;
    const w = await suite.world(3, await suite.pg.createDatabase(), { state: { lease_ttl: '6s' }, agent: { max_concurrent: 2 } });
    const issues = Array.from({ length: 4 }, (_, i) => w.gh.addIssue({ title: `Survives ${i + 1}`, labels: ['agent'] }));
    // Long enough to be cut: every first run sleeps (with a tool grandchild in its group), later ones are quick.
    const scenarios: Record<string, unknown> = {};
    for (const n of issues) scenarios[n] = [[{ init: true }, { spawnSleep: 300, pidFile: `tool-${n}.pid` }, { sleep: 7000 }, 'commit_and_pr'], 'commit_and_pr'];
    w.setScenarios(scenarios);
    // The victim first (it takes two), then the others, which keep free slots for the takeover.
    const victim = w.members[0]!;
    const vd = suite.startElsewhere(victim);
    await waitFor(() => victim.events().filter((e) => e.type === 'started').length === 2, { timeoutMs: 60_000, what: `${victim.name} running two agents` });
    const survivors = w.members.slice(1);
    for (const m of survivors) start(m);
    await waitFor(() => w.claudeCalls().length === 4, { timeoutMs: 60_000, what: 'the other two tickets started elsewhere' });
    const held = victim.events().filter((e) => e.type === 'started').map((e) => e.key as string);
    await waitFor(() => held.every((k) => fs.existsSync(`${w.origin.base}/tool-${k}.pid`)), { what: 'both agents running their tools' });
    // The victim's agent groups as this machine sees them (their own pids are the namespace's).
    const groups = held.flatMap((k) => [...(liveAgents(w.origin.base).get(k) ?? [])]);
    expect(groups).toHaveLength(2);
    vd.kill('SIGKILL');
    const killedAt = Date.now();
    await vd.exited;
    // Its namespace lives on (its init sleeps), so nothing but the agents' own supervisors can stop them.
    await waitFor(() => groups.every((g) => !groupHasLiveMember(g)), { timeoutMs: lifelineFor(ttl).killGraceMs + 2_000, intervalMs: 20, what: 'both agent groups stopped by their supervisors within the kill grace' });
    const stoppedIn = Date.now() - killedAt;
    console.log(`kill -9 of a daemon on another host: its two agent groups were gone ${stoppedIn} ms later (kill grace ${lifelineFor(ttl).killGraceMs} ms)`);

    // The others take both over once the leases run out (the dead holder's pid means nothing to them).
    const takeovers = await waitFor(() => {
      const t = survivors.flatMap((m) => m.events()).filter((e) => e.type === 'taken_over' && held.includes(e.key));
      return t.length === 2 ? t : null;
    }, { timeoutMs: ttl + 10_000, what: 'both leases taken over' });
    for (const t of takeovers) expect(Date.parse(t.at) - killedAt).toBeLessThanOrEqual(ttl + 2_000);
    expect(survivors.flatMap((m) => m.events()).filter((e) => e.type === 'orphan_killed')).toEqual([]);

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

  it('PostgreSQL stopped for 3 × lease_ttl with two agents running: they run on past the ttl, their publication waits, status and the dashboard say so; once it is back: published once each, nothing taken over, claims resume', async () => {
    const ttl = 5_000;
    const w = await suite.world(2, await suite.pg.createDatabase(), { state: { lease_ttl: '5s' }, agent: { max_concurrent: 1 } });
    w.members[0]!.writeWorkflow({ server: { port: 0 } });
    const issues = Array.from({ length: 3 }, (_, i) => w.gh.addIssue({ title: `Outage ${i + 1}`, labels: ['agent'] }));
    // swarm publishes (the agent only commits): what must wait for the database is swarm's own writing.
    w.setScenarios({ default: [[{ init: true }, { sleep: 12_000 }, 'commit_only']] });
    const ds = w.members.map((m) => start(m));
    await waitFor(() => w.claudeCalls().length === 2, { timeoutMs: 60_000, what: 'two agents running, one per daemon' });
    const running = w.claudeCalls().map((c) => c.env.SWARM_TICKET_ID!);
    await suite.pg.stop();
    const downAt = Date.now();
    let upAt = 0;
    try {
      // Past the ttl (and past any margin): both agents are still alive, nobody has let go of anything.
      await new Promise((r) => setTimeout(r, ttl + 1_500));
      const live = liveAgents(w.origin.base);
      for (const k of running) expect(live.get(k)?.size, `#${k}'s agent alive ${ttl + 1_500} ms into the outage`).toBe(1);
      // They finish; what they made waits: no PR, no tracker write.
      const waiting = () => new Set(w.members.flatMap((m) => m.events()).filter((e) => e.type === 'fenced' && e.verdict === 'unreachable').map((e) => e.key));
      await waitFor(() => running.every((k) => waiting().has(k)), { timeoutMs: 15_000, what: 'both publications waiting at the fence' });
      expect(w.gh.pulls).toEqual([]);
      // status and the dashboard say what is happening, in the same words as the README.
      for (const m of w.members) {
        const json = JSON.parse((await cli(m, ['status', '--json'])).stdout);
        expect(json.fleet.db.status).toBe('unreachable');
        expect(json.fleet.unconfirmed.length, `${m.name}: its ticket waits`).toBe(1);
        const text = (await cli(m, ['status'])).stdout.replace(/\s+/g, ' ');
        expect(text).toContain(`FLEET DATABASE UNREACHABLE since ${json.fleet.db.since}: ${dbDownMeaning(json.fleet.unconfirmed)}`);
      }
      const url = w.members[0]!.events().find((e) => e.type === 'server_started')!.url as string;
      const html = await (await fetch(url)).text();
      expect(html).toContain('id="fleet-db-banner"><b>Fleet database unreachable</b>');
      expect(html).toContain(dbDownMeaning(JSON.parse((await cli(w.members[0]!, ['status', '--json'])).stdout).fleet.unconfirmed));
      await new Promise((r) => setTimeout(r, Math.max(0, 3 * ttl - (Date.now() - downAt))));
      for (const d of ds) expect(d.proc.exitCode, d.stdout).toBeNull();
      expect(w.claudeCalls()).toHaveLength(2);
    } finally {
      await suite.pg.start();
      upAt = Date.now();
    }
    const writesDuring = w.gh.requests.filter((r) => r.at > downAt + 500 && r.at < upAt && r.method !== 'GET');
    expect(writesDuring.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    await waitFor(() => issues.every((n) => w.gh.labelsOf(n).includes('agent:review')), { timeoutMs: 60_000, what: 'all three handed off once it is back' });
    expect(w.gh.pulls).toHaveLength(3);
    expect(w.claudeCalls()).toHaveLength(3);
    expect(w.members.flatMap((m) => m.events()).filter((e) => e.type === 'taken_over' || e.type === 'lease_lost')).toEqual([]);
    for (const m of w.members) {
      await waitFor(() => {
        const t = m.state().tickets;
        return issues.every((n) => t[String(n)]?.status === 'review' && t[String(n)].attempts.length === 1 && t[String(n)].attempts[0].outcome === 'pr_auto_opened' && t[String(n)].failures === 0);
      }, { timeoutMs: 20_000, what: `${m.name} seeing every result` });
    }
    for (const d of ds) expect(d.stdout).toMatch(/fleet database unreachable/);
    for (const d of ds) expect(d.stdout).toMatch(/fleet database reachable again/);
  }, 180_000);

  it('a daemon cut off from the database keeps its agent while it cannot know; another daemon takes the lease after the ttl; the moment the cut-off one hears "not held" it stops its agent, and it writes nothing for the ticket', async () => {
    const ttl = 6_000;
    const db = await suite.pg.createDatabase();
    const proxy = await startTcpProxy(suite.pg.port);
    try {
      const w = await suite.world(2, db, { state: { lease_ttl: '6s' }, agent: { max_concurrent: 1 } });
      const [cut, other] = w.members as [Member, Member];
      cut.writeWorkflow({ state: { url: db.replace(`:${suite.pg.port}/`, `:${proxy.port}/`) } });
      const n = w.gh.addIssue({ title: 'Partitioned', labels: ['agent'] });
      w.setScenarios({ [n]: [[{ init: true }, { sleep: 25_000 }, 'commit_and_pr'], 'commit_and_pr'] });
      start(cut);
      await waitFor(() => cut.events().some((e) => e.type === 'started' && e.key === String(n)), { timeoutMs: 60_000, what: 'the cut-off daemon working the ticket' });
      start(other);
      await waitFor(() => other.events().some((e) => e.type === 'daemon_started'), { what: 'the other daemon up' });
      proxy.cut('refuse');
      const cutAt = Date.now();
      const taken = await waitFor(() => other.events().find((e) => e.type === 'taken_over' && e.key === String(n)), { timeoutMs: 30_000, what: 'the other daemon taking over' });
      expect(Date.parse(taken.at) - cutAt).toBeGreaterThanOrEqual(ttl - 2_000); // only once the lease ran out
      // The cut-off daemon could not know: its agent ran on, and it let go of nothing.
      expect(cut.events().filter((e) => e.type === 'lease_lost')).toEqual([]);
      proxy.restore();
      const lost = await waitFor(() => cut.events().find((e) => e.type === 'lease_lost' && e.key === String(n)), { timeoutMs: 15_000, what: 'the cut-off daemon hearing "not held"' });
      expect(Date.parse(lost.at)).toBeGreaterThan(Date.parse(taken.at));
      await waitFor(() => w.gh.labelsOf(n).includes('agent:review'), { timeoutMs: 60_000, what: 'handed off by the other daemon' });
      // Its agent was stopped before it could push or open a PR, and the daemon wrote nothing (own token).
      await waitFor(() => (liveAgents(w.origin.base).get(String(n))?.size ?? 0) === 0, { timeoutMs: 15_000, what: 'no agent left on the ticket' });
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
