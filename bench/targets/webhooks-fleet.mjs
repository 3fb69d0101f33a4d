// Issue #28, acceptance 6 as a figure: three fleet daemons on one PostgreSQL (polling.interval 30s), each
// with its own server; for each of 10 tickets the label is applied on the fake GitHub and one delivery,
// signed as GitHub signs it (X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the body), is sent to
// daemon 2 only. LISTEN/NOTIFY wakes the fleet; measured: delivery sent → the claim (the winner's `claimed`
// event) and → its agent process (the fake claude's t0), and how many daemons read the ticket.
import { createHmac, randomUUID } from 'node:crypto';
import { startFakeGitHub } from '../lib/fake-github.mjs';
import { makeFleet, fromMember } from '../lib/fleet.mjs';
import { isListing, sleep, startDaemon, waitFor } from '../lib/harness.mjs';
import { startPostgres } from '../lib/postgres.mjs';
import { fmt, median, percentile } from '../lib/stats.mjs';

const SECRET = 'bench-fleet-webhook-secret-01';
const ROUNDS = 10;

async function deliver(url, payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${url}webhooks/github`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
  });
  if (res.status !== 200) throw new Error(`daemon 2 answered the delivery ${res.status}: ${await res.text()}`);
}

export async function benchWebhookFleet(log) {
  const pg = await startPostgres();
  const gh = await startFakeGitHub();
  const daemons = [];
  let f = null;
  try {
    f = await makeFleet(gh, {
      url: await pg.createDatabase('bench_webhooks'), n: 3, scenario: [{ init: true }, { sleep: 600_000 }],
      config: { polling: { interval: '30s' }, agent: { max_concurrent: ROUNDS }, server: { port: 0 }, webhooks: { github_secret: SECRET, poll_interval: '1h' } },
    });
    const issues = Array.from({ length: ROUNDS }, (_, i) => gh.addIssue({ title: `Woken fleet ${i + 1}`, labels: ['bug'] }));
    for (const m of f.members) {
      const d = startDaemon(m);
      await d.waitForOutput(/swarm started/);
      await waitFor(() => gh.requests.some((r) => isListing(gh, r) && fromMember(r, m)), { what: `${m.name}'s first poll` });
      daemons.push(Object.assign(d, { url: /dashboard and API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(d.stdout)[1] }));
    }
    const toClaim = [];
    const toSpawn = [];
    const readers = [];
    const by = new Set();
    const polls0 = gh.requests.filter((r) => isListing(gh, r)).length;
    for (const n of issues) {
      await sleep(300);
      gh.setLabels(n, ['bug', 'agent'], 'octocat');
      const at = Date.now();
      await deliver(daemons[1].url, { action: 'labeled', issue: { number: n }, label: { name: 'agent' }, repository: { full_name: gh.fullName }, sender: { login: 'octocat' } });
      const claim = await waitFor(() => f.members.flatMap((m) => m.events().filter((e) => e.type === 'claimed' && e.key === String(n)).map((e) => ({ m, e })))[0], { timeoutMs: 20_000, intervalMs: 10, what: `#${n} claimed` });
      const call = await waitFor(() => f.claudeCalls().find((c) => Number(c.env.SWARM_TICKET_NUMBER) === n), { timeoutMs: 20_000, intervalMs: 10, what: `#${n}'s agent` });
      toClaim.push(Date.parse(claim.e.at) - at);
      toSpawn.push(call.t0 - at);
      by.add(claim.m.name);
      readers.push(new Set(gh.requests.filter((r) => r.method === 'GET' && r.path === `/repos/${gh.fullName}/issues/${n}` && r.at >= at).map((r) => f.members.find((m) => fromMember(r, m))?.name)).size);
    }
    await sleep(1000);
    const claims = issues.map((n) => f.members.filter((m) => m.events().some((e) => e.type === 'claimed' && e.key === String(n))).length);
    const polls = gh.requests.filter((r) => isListing(gh, r)).length - polls0;
    const p50 = median(toSpawn);
    log(`fleet of 3, delivery to daemon 2 → claim p50 ${fmt(median(toClaim), 0)} ms (p90 ${fmt(percentile(toClaim, 90), 0)}), → agent spawned p50 ${fmt(p50, 0)} ms (p90 ${fmt(percentile(toSpawn, 90), 0)}) over ${ROUNDS} tickets; claimed by ${[...by].join(', ')}; claims per ticket ${[...new Set(claims)].join('/')}; daemons reading each ticket ${[...new Set(readers)].join('/')}; ${polls} poll(s) meanwhile`);
    return [
      { target: `#28 webhooks, fleet of 3: delivery to daemon 2 → agent spawned p50 (${ROUNDS} tickets, polling.interval 30 s)`, measured: p50, baseline: 30_000, ratio: p50 / 30_000, limit: '≤ 1000 ms, one claim and one reader per ticket', pass: p50 <= 1000 && claims.every((c) => c === 1) && readers.every((r) => r === 1), unit: 'ms', baselineNote: 'poll interval', note: `claim p50 ${fmt(median(toClaim), 0)} ms; claims by ${[...by].join(', ')}` },
    ];
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    await gh.close();
    f?.cleanup();
    await pg.close();
  }
}
