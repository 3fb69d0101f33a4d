// Webhooks in fleet mode (issue #28, acceptance 6): three daemons on one PostgreSQL (state.url), each with
// its own server; one signed `issues.labeled` delivery reaches daemon 2 only. PostgreSQL LISTEN/NOTIFY
// wakes the whole fleet; the ticket is read once — by whichever daemon wins its lease — and claimed exactly
// once, long before the next poll (polling.interval 30s) could have seen it. Each clone talks to GitHub
// with its own token, so the fake's request log says who read what.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useFleetSuite } from '../helpers/fleet.js';
import { waitFor } from '../helpers/daemon.js';
import { postGithub } from '../helpers/webhook-signing.js';

const suite = useFleetSuite();
const SECRET = 'fleet-webhook-secret-0123';

describe('webhooks in a fleet', () => {
  it('one delivery to daemon 2 → every daemon woken, the ticket read once and claimed once, before any poll', async () => {
    const w = await suite.world(3, await suite.pg.createDatabase(), {
      polling: { interval: '30s' },
      server: { port: 0 },
      webhooks: { github_secret: '$SWARM_TEST_WEBHOOK_SECRET', poll_interval: '1h' },
    });
    for (const m of w.members) m.env.SWARM_TEST_WEBHOOK_SECRET = SECRET;
    w.setScenarios({ default: [[{ sleep: 3000 }, 'commit_and_pr']] });
    const daemons = w.members.map((m) => suite.start(m));
    const urls = await Promise.all(daemons.map(async (d) => (await d.waitForOutput(/dashboard and API on (http:\/\/\S+\/)/))[1]!));
    const listing = (r: { method: string; path: string }) => r.method === 'GET' && r.path.startsWith(`/repos/${w.gh.fullName}/issues?`);
    const tokenOf = (r: { headers: Record<string, string> }) => (r.headers.authorization ?? '').replace(/^(token|bearer)\s+/i, '');
    await waitFor(() => w.members.every((m) => w.gh.requests.some((r) => listing(r) && tokenOf(r) === m.token)), { what: 'a first poll by every daemon' });
    // …and finished (the report is written at a poll's end): a delivery during a poll is a case of its own.
    await waitFor(() => w.members.every((m) => fs.existsSync(path.join(m.swarmDir, 'daemon.json'))), { what: 'every first poll finished' });

    const n = w.gh.addIssue({ title: 'One delivery, one claim', labels: ['bug'] });
    w.gh.setLabels(n, ['bug', 'agent']);
    const polls = w.gh.requests.filter(listing).length;
    const at = Date.now();
    const payload = { action: 'labeled', issue: { number: n }, label: { name: 'agent' }, repository: { full_name: w.gh.fullName }, sender: { login: 'octocat' } };
    const res = await postGithub(`${urls[1]}webhooks/github`, { event: 'issues', payload, secret: SECRET });
    expect(res.status).toBe(200);

    await waitFor(() => w.members.some((m) => m.events().some((e) => e.type === 'claimed' && e.key === String(n))), { timeoutMs: 20_000, what: 'the claim' });
    const claimedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_500)); // anyone else would have read or claimed by now
    const claims = w.members.flatMap((m) => m.events().filter((e) => e.type === 'claimed' && e.key === String(n)).map(() => m.name));
    expect(claims).toHaveLength(1);
    const reads = w.gh.requests.filter((r) => r.method === 'GET' && r.path === `/repos/${w.gh.fullName}/issues/${n}` && r.at >= at);
    const claimer = w.members.find((m) => m.name === claims[0])!;
    expect(reads.map((r) => tokenOf(r))).toEqual([claimer.token]);
    // No poll listed the issues between the delivery and the claim: the fleet was woken by NOTIFY.
    expect(w.gh.requests.filter(listing).filter((r) => r.at <= claimedAt)).toHaveLength(polls);
    expect(claimedAt - at).toBeLessThan(30_000);
    // Every daemon heard of it (its own log says the delivery arrived), only daemon 2 received it.
    for (const m of w.members) await waitFor(() => /github webhooks healthy/.test(daemons[w.members.indexOf(m)]!.stdout), { timeoutMs: 5_000, what: `${m.name} woken` });
    expect(w.members.map((m) => m.events().filter((e) => e.type === 'webhook').length)).toEqual([0, 1, 0]);
  }, 120_000);
});
