// Fleet mode (issue #13) on a real PostgreSQL started like the suite starts it:
//  (a) claim → spawn with 3 daemons on one database vs 1: from the arrival of the listing request of the poll
//      that claimed a ticket (the claiming daemon's own, told apart by its token) to the agent process's
//      creation (the fake claude's t0, from /proc). Both fleets run side by side the whole time (4 daemons,
//      so the background load is the same) and take turns. The target is measured on rounds of one
//      labelled ticket: what a claim costs when three daemons race for it. Rounds of 3 tickets at once are
//      also run and printed, not judged: there a daemon's claims go one after another (GitHub asks for
//      serial requests), and whether the third ticket goes to a second daemon at once (3 daemons) or waits
//      for a free slot and a later poll (1 daemon, max_concurrent 2, not measured) depends on where the
//      other daemons are in their poll cycle, so their median jumps between the fast first claims and the
//      queued second ones from run to run (1.1×–1.6× seen on one machine in one hour).
//  (b) takeover after kill -9: a daemon on "another machine" (its own UTS namespace and host name, so the
//      others cannot see that its pid is gone and must wait for the lease) holds a running ticket; it and
//      its agent are killed with SIGKILL, as a machine dies; from the kill to a survivor's taken_over event.
//  (c) database round trips per idle poll, per daemon: swarm's own counter (/metrics) over ~25 polls of 3
//      idle daemons, cross-checked by the server's transaction count for that database (pg_stat_database).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { startFakeGitHub } from '../lib/fake-github.mjs';
import { makeFleet, fromMember } from '../lib/fleet.mjs';
import { isListing, sleep, startDaemon, waitFor } from '../lib/harness.mjs';
import { runSql, startPostgres } from '../lib/postgres.mjs';
import { fmt, median, percentile } from '../lib/stats.mjs';

const POLL_MS = 1000;
const ROUNDS = 10; // single-ticket rounds per fleet (the target)
const BURST_ROUNDS = 4; // rounds of BURST tickets per fleet (printed only)
const BURST = 3;
const TTL_MS = 10_000;
const TAKEOVERS = 3;

const COMMON = { polling: { interval: '1s' }, agent: { max_concurrent: 2 }, server: { port: 0 } };

export async function benchFleet(log) {
  const pg = await startPostgres();
  log(`PostgreSQL up in ${pg.startupMs} ms (port ${pg.port})`);
  const rows = [];
  try {
    rows.push(...(await claimToSpawnAndIdle(pg, log)));
    rows.push(...(await takeover(pg, log)));
  } finally {
    await pg.close();
  }
  return rows;
}

/** Start a member's daemon and wait for its first poll; returns the daemon with its dashboard URL. */
async function up(gh, m, opts = {}) {
  const d = startDaemon(m, opts);
  await d.waitForOutput(/swarm started/);
  const url = /dashboard and API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(d.stdout)?.[1] ?? null;
  await waitFor(() => gh.requests.some((r) => isListing(gh, r) && fromMember(r, m)), { what: `${m.name}'s first poll` });
  return Object.assign(d, { url });
}

async function metric(url, name) {
  const text = await (await fetch(`${url}metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} missing from ${url}metrics`);
  return Number(line.split(' ')[1]);
}

async function claimToSpawnAndIdle(pg, log) {
  const ghs = [await startFakeGitHub(), await startFakeGitHub()];
  const fleets = [];
  const daemons = [];
  try {
    for (const [i, n] of [[0, 1], [1, 3]]) {
      const f = await makeFleet(ghs[i], { url: await pg.createDatabase(`bench_claim_${n}`), n, config: COMMON, scenario: 'commit_and_pr' });
      fleets.push({ n, f, gh: ghs[i], issues: Array.from({ length: ROUNDS + BURST_ROUNDS * BURST }, (_, k) => ghs[i].addIssue({ title: `Fleet of ${n}, task ${k + 1}`, labels: ['bug'] })), latencies: [], burst: [] });
    }
    for (const { f, gh } of fleets) for (const m of f.members) daemons.push({ m, d: await up(gh, m) });

    const rounds = [...Array.from({ length: 2 * BURST_ROUNDS }, () => BURST), ...Array.from({ length: 2 * ROUNDS }, () => 1)];
    for (const [round, size] of rounds.entries()) {
      const fl = fleets[round % 2 === 0 ? 1 : 0];
      const batch = fl.issues.splice(0, size);
      await sleep(Math.floor(Math.random() * POLL_MS)); // label at any moment of the poll cycle
      const labelledAt = Date.now();
      for (const n of batch) fl.gh.setLabels(n, ['bug', 'agent']);
      await waitFor(() => batch.every((n) => fl.gh.labelsOf(n).includes('agent:review') && !fl.gh.labelsOf(n).includes('agent:running')), { timeoutMs: 60_000, what: `round ${round + 1} handed off` });
      const calls = new Map(fl.f.claudeCalls().map((c) => [Number(c.env.SWARM_TICKET_NUMBER), c]));
      for (const n of batch) {
        const winner = fl.f.members.find((m) => m.events().some((e) => e.type === 'claimed' && e.key === String(n)));
        const claimedAt = Date.parse(winner.events().find((e) => e.type === 'claimed' && e.key === String(n)).at);
        const poll = fl.gh.requests.filter((r) => isListing(fl.gh, r) && fromMember(r, winner) && r.at >= labelledAt && r.at <= claimedAt).at(-1);
        if (!poll) throw new Error(`no poll by ${winner.name} between the label and the claim of #${n}`);
        (size === 1 ? fl.latencies : fl.burst).push({ ms: calls.get(n).t0 - poll.at, by: winner.name });
      }
    }
    const [one, three] = fleets.map((x) => x.latencies.map((l) => l.ms));
    const m1 = median(one);
    const m3 = median(three);
    const spread = new Set(fleets[1].latencies.map((l) => l.by));
    log(`claim → spawn, 1 daemon: p50 ${fmt(m1, 0)} ms, p90 ${fmt(percentile(one, 90), 0)} ms; 3 daemons: p50 ${fmt(m3, 0)} ms, p90 ${fmt(percentile(three, 90), 0)} ms (claims made by ${[...spread].join(', ')}) over ${one.length} + ${three.length} single-ticket rounds`);
    const [b1, b3] = fleets.map((x) => x.burst.map((l) => l.ms));
    const burstNote = `bursts of ${BURST}: p50 ${fmt(median(b3), 0)} vs ${fmt(median(b1), 0)} ms (${fmt(median(b3) / median(b1), 2)}×, not judged)`;
    log(`claim → spawn in ${burstNote} over ${b1.length} + ${b3.length} tickets`);

    // (c) the three-daemon fleet idles now: round trips per poll, by swarm's counter and by the server.
    await daemons.find((x) => x.m === fleets[0].f.members[0]).d.stop();
    const idle = daemons.filter((x) => fleets[1].f.members.includes(x.m));
    const stat = async () => Number((await runSql(pg.adminUrl, 'SELECT xact_commit + xact_rollback AS x FROM pg_stat_database WHERE datname = $1', ['bench_claim_3']))[0].x);
    const read = async () => Promise.all(idle.map(async ({ d }) => ({ polls: await metric(d.url, 'swarm_polls_total'), trips: await metric(d.url, 'swarm_fleet_db_round_trips_total') })));
    // The server publishes each backend's counts about once a second: read it that long after each end of
    // the window, so both ends lag alike and it counts the same span as the daemons' own poll counters.
    const LAG_MS = 1500;
    await sleep(2500); // the hand-offs' last writes settle
    const before = await read();
    await sleep(LAG_MS);
    const x0 = await stat();
    await waitFor(async () => (await read()).every((r, i) => r.polls - before[i].polls >= 25), { timeoutMs: 60_000, intervalMs: 500, what: '25 idle polls per daemon' });
    const after = await read();
    await sleep(LAG_MS);
    const x1 = await stat();
    const perDaemon = after.map((a, i) => (a.trips - before[i].trips) / (a.polls - before[i].polls));
    const polls = after.reduce((s, a, i) => s + a.polls - before[i].polls, 0);
    const byServer = (x1 - x0) / polls;
    const worst = Math.max(...perDaemon);
    log(`idle: round trips per poll ${perDaemon.map((v) => v.toFixed(2)).join(', ')} (swarm's counter, per daemon); ${byServer.toFixed(2)} (server's transactions / all polls)`);
    return [
      { target: '#13 fleet: claim → spawn, 3 daemons vs 1 (p50)', measured: m3, baseline: m1, limit: '≤ 1.5×', pass: m3 <= 1.5 * m1, unit: 'ms', baselineNote: '1 daemon', note: `${ROUNDS} single-ticket rounds per fleet, alternating; p90 ${fmt(percentile(three, 90), 0)} vs ${fmt(percentile(one, 90), 0)} ms; claims by ${[...spread].join(', ')}; ${burstNote}` },
      { target: '#13 fleet: database round trips per idle poll, per daemon (worst of 3)', measured: worst, baseline: null, limit: '≤ 2', pass: worst <= 2, unit: '', note: `swarm's counter per daemon ${perDaemon.map((v) => v.toFixed(2)).join(', ')}; the server counted ${byServer.toFixed(2)} transactions per poll (pg_stat_database, ${polls} polls)` },
    ];
  } finally {
    await Promise.all(daemons.map(({ d }) => d.stop()));
    for (const gh of ghs) await gh.close();
    for (const { f } of fleets) f.cleanup();
  }
}

async function takeover(pg, log) {
  const other = spawnSync('unshare', ['-u', 'true']).status === 0 ? 'bench-peer' : null;
  if (!other) log('unshare -u is not available (not root?): the victim runs on this host, where a dead pid is seen at once');
  const gh = await startFakeGitHub();
  const f = await makeFleet(gh, {
    url: await pg.createDatabase('bench_takeover'),
    n: 3,
    config: { ...COMMON, server: { port: null }, state: { lease_ttl: `${TTL_MS / 1000}s` } },
    // The survivors leave a ticket marked victim-only alone, so the victim is the one that claims it.
    perMember: (i) => (i === 0 ? {} : { tracker: { exclude_labels: ['blocked', 'victim-only'] } }),
    scenario: 'commit_and_pr',
  });
  const [victimClone, ...survivors] = f.members;
  const running = [];
  const times = [];
  const respawns = [];
  try {
    for (const m of survivors) running.push(await up(gh, m));
    for (let rep = 0; rep < TAKEOVERS; rep++) {
      const n = gh.addIssue({ title: `Outlives its daemon ${rep + 1}`, labels: ['agent', 'victim-only'] });
      fs.writeFileSync(f.scenariosFile, JSON.stringify({ [n]: [[{ init: true }, { sleep: 600_000 }], 'commit_and_pr'], default: ['commit_and_pr'] }));
      const victim = await up(gh, victimClone, { hostname: other });
      await waitFor(() => f.claudeCalls().find((c) => Number(c.env.SWARM_TICKET_NUMBER) === n), { what: `the victim's agent on #${n}` });
      gh.setLabels(n, gh.labelsOf(n).filter((l) => l !== 'victim-only'));
      await sleep(2 * POLL_MS + Math.floor(Math.random() * POLL_MS)); // the survivors see it; kill at any moment of the cycle
      const killedAt = Date.now();
      victim.proc.kill('SIGKILL'); // the machine is gone: its PID namespace, and its agent with it
      await victim.exited;
      const taken = await waitFor(() => survivors.flatMap((m) => m.events()).find((e) => e.type === 'taken_over' && e.key === String(n)), { timeoutMs: TTL_MS + 30_000, what: `#${n} taken over` });
      times.push(Date.parse(taken.at) - killedAt);
      // The second call for the ticket (the victim's pids were its namespace's: not comparable with ours).
      const again = await waitFor(() => f.claudeCalls().filter((c) => Number(c.env.SWARM_TICKET_NUMBER) === n)[1], { timeoutMs: 30_000, what: `#${n} running again` });
      respawns.push(again.t0 - killedAt);
      await waitFor(() => gh.labelsOf(n).includes('agent:review'), { timeoutMs: 60_000, what: `#${n} handed off after the takeover` });
    }
    const worst = Math.max(...times);
    const limit = TTL_MS + POLL_MS;
    log(`takeover after kill -9 (${other ? 'holder on another host' : 'holder on this host'}, lease_ttl ${TTL_MS / 1000} s, poll ${POLL_MS / 1000} s): ${times.map((t) => `${fmt(t, 0)} ms`).join(', ')}; agent running again after ${respawns.map((t) => `${fmt(t, 0)} ms`).join(', ')}`);
    return [
      { target: `#13 fleet: takeover after kill -9, holder on ${other ? 'another host' : 'this host'} (worst of ${TAKEOVERS})`, measured: worst, baseline: TTL_MS, limit: `≤ lease_ttl + 1 poll (${limit / 1000} s)`, pass: worst <= limit, unit: 'ms', baselineNote: 'lease_ttl', note: `kill → taken_over ${times.map((t) => fmt(t, 0)).join(', ')} ms; kill → agent running again ${respawns.map((t) => fmt(t, 0)).join(', ')} ms` },
    ];
  } finally {
    await Promise.all(running.map((d) => d.stop()));
    await gh.close();
    f.cleanup();
  }
}
