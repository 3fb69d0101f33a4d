// Linear webhooks end to end (issue #28): `swarm webhooks setup` creates the team's webhook on the fake
// Linear (webhookCreate), which then delivers its issue changes signed as Linear signs them. A label added
// in Linear wakes the daemon (polling.interval 30s), which re-reads exactly that issue and starts the agent
// without a candidates poll; a signed delivery naming another team's issue is re-read and, being outside
// the team, never claimed; doctor finds the webhook and compares its secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { startFakeLinear, type FakeLinear } from '../helpers/fake-linear.js';
import { makeProject, merge, runCli, startDaemon, waitFor, type Daemon, type Project } from '../helpers/daemon.js';
import { postLinear } from '../helpers/webhook-signing.js';
import { freePort, untilStill } from '../helpers/quiet.js';

const KEY = 'lin_api_webhookE2eKey0123456789abcdef';
const SECRET = 'linear-webhook-secret-000111';
let gh: FakeGitHub;
let lin: FakeLinear;
let project: Project;
let daemon: Daemon;
let base: string;

const candidatesPolls = () => lin.requests.filter((r) => /\bquery\s+SwarmCandidates\b/.test(r.query)).length;
const issueReads = (id: string, from: number) => lin.requests.slice(from).filter((r) => /\bquery\s+SwarmIssue\b/.test(r.query) && r.variables.id === id);
const started = (key: string) => project.events().some((e) => e.type === 'started' && e.ticket === key);

beforeAll(async () => {
  project = await makeProject();
  gh = await startFakeGitHub({ gitDir: project.origin });
  lin = await startFakeLinear({ apiKey: KEY, teams: ['ENG', 'OPS'] });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  Object.assign(project.env, { SWARM_TEST_GH_TOKEN: gh.token, LINEAR_API_KEY: KEY, GITHUB_API_URL: gh.url, SWARM_TEST_LINEAR_HOOK: SECRET });
  project.writeWorkflow(merge({
    tracker: { kind: 'linear', api_url: lin.url, team: 'ENG', labels: ['agent'], states: ['Todo'], repo: gh.fullName, token: '$SWARM_TEST_GH_TOKEN' },
    agent: { max_concurrent: 2, env: { FAKE_GITHUB_TOKEN: '$SWARM_TEST_GH_TOKEN', FAKE_GITHUB_API: gh.url } },
    polling: { interval: '30s' },
    server: { port },
    webhooks: { linear_secret: '$SWARM_TEST_LINEAR_HOOK', public_url: base, poll_interval: '1h' },
  }, {}));
  project.setScenarios({ default: ['commit_and_pr'] });
  daemon = startDaemon(project);
  await daemon.waitForOutput(/dashboard and API on/);
  await waitFor(() => candidatesPolls() > 0, { what: 'the first poll' });
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await lin.close();
  await gh.close();
  project?.cleanup();
});

describe('Linear webhooks', () => {
  it('setup creates the team webhook once; doctor finds it and its secret matches', async () => {
    const setup = await runCli(project, ['webhooks', 'setup']);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toMatch(/Linear: created the webhook \S+ of team ENG → .*\/webhooks\/linear/);
    expect(lin.webhooks.hooks).toEqual([expect.objectContaining({ url: `${base}/webhooks/linear`, secret: SECRET, enabled: true, resourceTypes: ['Issue', 'Comment'] })]);
    expect((await runCli(project, ['webhooks', 'setup'])).stdout).toContain('Linear: updated the webhook');
    expect(lin.webhooks.hooks).toHaveLength(1);
    const doctor = await runCli(project, ['doctor']);
    expect(doctor.stdout).toMatch(/✓ Linear webhook: \S+ → .*\/webhooks\/linear, enabled, Issue, Comment/);
    expect(doctor.stdout).toContain('✓ Linear webhook secret: matches webhooks.linear_secret');
  }, 60_000);

  it('a label added in Linear → the delivery wakes swarm, which re-reads that issue and starts the agent before the next poll', async () => {
    const key = lin.addIssue({ title: 'Woken by Linear', labels: ['bug'] });
    await lin.webhooks.idle();
    await waitFor(() => /linear webhooks healthy/.test(daemon.stdout), { what: 'healthy' });
    const polls = candidatesPolls();
    const from = lin.requests.length;
    lin.setLabels(key, ['bug', 'agent']);
    await waitFor(() => started(key), { timeoutMs: 25_000, what: `the agent for ${key}` });
    expect(candidatesPolls()).toBe(polls);
    expect(issueReads(key, from).length).toBeGreaterThanOrEqual(1);
    expect(lin.webhooks.deliveries.filter((d) => d.status === 200).length).toBeGreaterThanOrEqual(2);
    // Handed off (an issue swarm does not know is re-read only when it could start now).
    await waitFor(() => lin.issue(key).state === 'In Review' && !project.state().tickets[key]?.attempts.some((a: any) => a.outcome === 'running'), { timeoutMs: 30_000, what: `${key} in review` });
  }, 60_000);

  it('a signed delivery naming another team\'s issue (its payload claiming team ENG) is re-read and never claimed', async () => {
    const other = lin.addIssue({ title: 'Another team', team: 'OPS', labels: ['agent'] }); // no hook for OPS: nothing delivered
    const id = lin.issue(other).id;
    // Let the poll an agent's end brings come and go: a poll serves (drops) ticket hints, as it read them all.
    await untilStill(() => lin.requests.length, 'the daemon to settle', 700);
    const from = lin.requests.length;
    const res = await postLinear(`${base}/webhooks/linear`, { payload: { type: 'Issue', action: 'update', data: { id, identifier: other, team: { key: 'ENG' } } }, secret: SECRET });
    expect(res.status).toBe(200);
    await waitFor(() => issueReads(other, from).length > 0, { what: 'the re-read' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(started(other)).toBe(false);
    expect(lin.issue(other).state).toBe('Todo');
  }, 30_000);
});
