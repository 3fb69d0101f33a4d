// Webhooks end to end (issue #28, SPEC §13), one shared world: the daemon as a real process with
// polling.interval 30s and webhooks configured, the fake GitHub holding the repository webhook that
// `swarm webhooks setup` creates and delivering its own state changes to it, signed as GitHub signs them.
// Deliveries a test forges itself are signed by test/helpers/webhook-signing.ts (GitHub's and Linear's
// documented schemes). Cases run in order on the same daemon:
//   setup + doctor → a label applied by a trusted user spawns the agent before any poll (acceptance 1) →
//   a failing check run on the handed-off PR starts the follow-up before any watch round (2) → a bad
//   signature, a replayed delivery, a 5-minute-old Linear delivery and a 10 MB body do nothing (3) → a
//   forged but signed "labeled" finds no label on the re-read (4) → the hook goes quiet: status says silent
//   and polling is back at polling.interval (5).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub, LoggedRequest } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, runCli, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';
import { postGithub, postLinear } from '../helpers/webhook-signing.js';
import { parsePrometheus } from '../helpers/prometheus.js';
import { freePort, untilStill } from '../helpers/quiet.js';

const SECRET = 'whsec-test-0123456789abcdef';
const HEALTHY_WITHIN_MS = 10_000; // keep-alive pings go out after 7.5-8.5 s of quiet: room for a loaded machine

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon;
let base: string;

const listing = (r: LoggedRequest) => r.method === 'GET' && r.path.startsWith('/repos/acme/widgets/issues?');
/** Requests about tickets and PRs (the keep-alive's hook pings are not tracker reads). */
const trackerReads = () => gh.requests.filter((r) => !r.path.includes('/hooks'));
const callsFor = (n: number) => project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(n));
const ticket = (n: number) => project.state().tickets[String(n)];
const webhookEvents = () => project.events().filter((e) => e.type === 'webhook');
/** Deliveries answered and the loop settled (an agent's end rings a poll): nothing in flight for 500 ms. */
async function quiet(): Promise<void> {
  await waitFor(() => project.claudeCalls().every((c) => ticket(Number(c.env.SWARM_TICKET_NUMBER))?.status !== 'running') && !Object.values(project.state().tickets).some((t: any) => t.status === 'claimed' || t.status === 'running'), { timeoutMs: 30_000, what: 'no agent running' });
  await gh.webhooks.idle();
  await untilStill(() => gh.requests.length, 'the daemon to settle');
}
const samples = (text: string) => [...parsePrometheus(text).values()].flatMap((f) => f.samples);

beforeAll(async () => {
  ({ project, gh } = await githubWorld());
  gh.setPermission('swarm-bot', 'admin'); // managing repository webhooks needs admin
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  project.env.SWARM_TEST_WEBHOOK_SECRET = SECRET;
  project.writeWorkflow(githubConfig(gh, {
    tracker: { trusted_labelers_only: true },
    polling: { interval: '30s' },
    server: { port },
    webhooks: { github_secret: '$SWARM_TEST_WEBHOOK_SECRET', linear_secret: '$SWARM_TEST_WEBHOOK_SECRET', public_url: base, healthy_within: HEALTHY_WITHIN_MS, poll_interval: '1h' },
  }));
  project.setScenarios({ default: ['commit_and_pr', [{ init: true }, { text: 'Fixing the check.' }, { commit: { file: 'fix.txt' } }, { push: true }, { result: {} }]] });
  daemon = startDaemon(project);
  await daemon.waitForOutput(/dashboard and API on/);
  await waitFor(() => gh.requests.some(listing), { what: 'the first poll' });
}, 60_000);

afterAll(async () => {
  await teardown(daemon, gh, project);
});

describe('webhooks', () => {
  it('`swarm webhooks setup` creates the hook once (then updates it); its ping makes webhooks healthy; doctor checks hook, last delivery and secret', async () => {
    const first = await runCli(project, ['webhooks', 'setup']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`created the webhook`);
    await waitFor(() => gh.webhooks.deliveries.some((d) => d.event === 'ping' && d.status_code === 200), { what: 'the creation ping verified' });
    const hook = gh.webhooks.hooks[0]!;
    expect(hook.config).toMatchObject({ url: `${base}/webhooks/github`, content_type: 'json', secret: SECRET });
    expect(hook.events).toEqual(expect.arrayContaining(['issues', 'issue_comment', 'pull_request', 'pull_request_review', 'check_run', 'check_suite', 'status', 'workflow_run']));
    const again = await runCli(project, ['webhooks', 'setup']);
    expect(again.stdout).toContain(`updated the webhook ${hook.id}`);
    expect(gh.webhooks.hooks).toHaveLength(1);

    await waitFor(() => /github webhooks healthy/.test(daemon.stdout), { what: 'the healthy line' });
    const status = await runCli(project, ['status']);
    expect(status.stdout).toMatch(/Webhooks: github healthy \(last delivery \d+s ago\)\n/);
    expect(status.stdout).toMatch(/ {2}polling every 1h00m, PR watches every 1h00m \(while deliveries arrive\)\n/);

    const doctor = await runCli(project, ['doctor']);
    expect(doctor.stdout).toMatch(/✓ GitHub webhook: hook \d+ of acme\/widgets → .*\/webhooks\/github, active, json/);
    expect(doctor.stdout).toMatch(/✓ GitHub last delivery: answered 200/);
    expect(doctor.stdout).toMatch(/✓ GitHub webhook secret: matches: a ping sent just now was verified/);
  }, 60_000);

  it('acceptance 1: a trusted user labels an issue → the delivery wakes swarm, which re-reads it and spawns the agent before the next poll could have', async () => {
    const n = gh.addIssue({ title: 'Pushed, not polled', labels: ['bug'] });
    await quiet();
    const polls = gh.requests.filter(listing).length;
    const labelledAt = Date.now();
    gh.setLabels(n, ['bug', 'agent'], 'octocat');
    await waitFor(() => callsFor(n).length === 1, { timeoutMs: 25_000, what: `the agent for #${n}` });
    const spawnedAt = callsFor(n)[0]!.t0;
    // No poll listed the issues in between: the targeted re-read (GET /issues/N) did it.
    expect(gh.requests.filter(listing).length).toBe(polls);
    expect(gh.requests.some((r) => r.method === 'GET' && r.path === `/repos/acme/widgets/issues/${n}` && r.at >= labelledAt)).toBe(true);
    expect(spawnedAt - labelledAt).toBeLessThan(30_000); // polling.interval: the next poll could not have come sooner
    expect(webhookEvents().find((e) => e.event === 'issues' && e.action === 'labeled' && e.result === 'accepted')?.detail).toContain(`#${n}`);
    await waitFor(() => ticket(n)?.status === 'review', { timeoutMs: 30_000, what: `#${n} handed off` });
  }, 60_000);

  it('acceptance 2: a failing check_run delivery on the watched PR\'s head starts the follow-up before the next watch interval', async () => {
    const n = Number(Object.keys(project.state().tickets)[0]);
    const pr = gh.pulls.find((p) => (p.body ?? '').includes(`#${n}`))!;
    await quiet();
    const polls = gh.requests.filter(listing).length;
    const at = Date.now();
    await gh.addCheckRun(pr.number, { name: 'unit-tests', conclusion: 'failure', summary: 'widget.test.ts failed', log: 'FAIL widget\n' });
    await waitFor(() => callsFor(n).length === 2, { timeoutMs: 25_000, what: 'the follow-up' });
    expect(project.events().find((e) => e.type === 'followup_started' && e.key === String(n))).toMatchObject({ kind: 'ci', round: 1 });
    expect(callsFor(n)[1]!.t0 - at).toBeLessThan(120_000); // pr.watch_interval (relaxed to 1h while webhooks are healthy)
    expect(gh.requests.filter(listing).length).toBe(polls);
    expect(webhookEvents().some((e) => e.event === 'check_run' && e.action === 'completed' && e.result === 'accepted')).toBe(true);
    await waitFor(() => project.events().some((e) => e.type === 'followup_pushed' && e.key === String(n)), { timeoutMs: 30_000, what: 'the follow-up pushed' });
  }, 60_000);

  it('acceptance 3: a bad signature, a replayed delivery, a 5-minute-old Linear delivery and a 10 MB body → 401/200-no-op/400/413, one log line each, nothing done, no request to the tracker', async () => {
    const n = gh.addIssue({ title: 'Target of hostile deliveries', labels: ['bug'] });
    await quiet(); // a free slot: an unknown issue is re-read only when it could be claimed
    const url = `${base}/webhooks/github`;
    const payload = { action: 'labeled', issue: { number: n }, label: { name: 'agent' }, repository: { full_name: 'acme/widgets' }, sender: { login: 'octocat' } };
    // A genuine delivery first (it is acted on), so its replay has something to repeat.
    const genuine = await postGithub(url, { event: 'issues', payload: { ...payload, issue: { number: 999_999 } }, secret: SECRET });
    expect(genuine.status).toBe(200);
    await waitFor(() => gh.requests.some((r) => r.path === '/repos/acme/widgets/issues/999999'), { what: 'the genuine delivery re-read' });
    await new Promise((r) => setTimeout(r, 400));
    const reads = trackerReads().length;
    const lines = daemon.stdout.split('\n').length;

    expect((await postGithub(url, { event: 'issues', payload, secret: SECRET, signature: `sha256=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await postGithub(url, { event: 'issues', payload, secret: SECRET, signature: null })).status).toBe(401);
    expect((await postGithub(url, { event: 'issues', payload, secret: 'not-the-secret-at-all-000' })).status).toBe(401);
    const replay = await postGithub(url, { event: 'issues', payload: { ...payload, issue: { number: 999_999 } }, secret: SECRET, delivery: genuine.delivery });
    expect(replay.status).toBe(200);
    expect(replay.text).toContain('already received');
    const stale = await postLinear(`${base}/webhooks/linear`, { payload: { type: 'Issue', action: 'update', data: { identifier: 'ENG-1' } }, secret: SECRET, timestamp: Date.now() - 5 * 60_000 });
    expect(stale.status).toBe(400);
    const huge = Buffer.alloc(10 * 1024 * 1024, 0x61);
    expect((await postGithub(url, { event: 'issues', body: huge, secret: SECRET })).status).toBe(413);

    await new Promise((r) => setTimeout(r, 1_000)); // longer than the coalescing window: anything woken would have read by now
    expect(trackerReads().slice(reads).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(callsFor(n)).toHaveLength(0);
    // (keep-alive pings may land meanwhile: their lines are not about these requests)
    const newLines = daemon.stdout.split('\n').slice(lines - 1).filter((l) => /webhook/.test(l) && !/webhook github ping/.test(l));
    expect(newLines.filter((l) => /webhook refused \(401\)/.test(l))).toHaveLength(3);
    expect(newLines.filter((l) => /webhook refused \(400\)/.test(l))).toHaveLength(1);
    expect(newLines.filter((l) => /webhook refused \(413\)/.test(l))).toHaveLength(1);
    expect(newLines.filter((l) => /already received/.test(l))).toHaveLength(1);
    expect(newLines).toHaveLength(6);
    const metrics = samples(await (await fetch(`${base}/metrics`)).text());
    const count = (labels: Record<string, string>) => metrics.filter((s) => s.name === 'swarm_webhook_deliveries_total' && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
    expect(count({ source: 'github', event: 'unverified', result: 'bad_signature' })).toBe(3);
    expect(count({ source: 'github', result: 'duplicate' })).toBe(1);
    expect(count({ source: 'linear', result: 'stale' })).toBe(1);
    expect(count({ source: 'github', result: 'too_large' })).toBe(1);
    expect(count({ source: 'github', event: 'issues', result: 'accepted' })).toBeGreaterThanOrEqual(2);
    expect(metrics.find((s) => s.name === 'swarm_webhook_action_seconds_count')?.value).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('acceptance 4: a signed delivery that lies (the label is not on the issue) → the re-read finds no label; nothing starts', async () => {
    const n = gh.addIssue({ title: 'Never labelled', labels: ['bug'] });
    await quiet();
    const at = Date.now();
    const forged = { action: 'labeled', issue: { number: n, labels: [{ name: 'agent' }] }, label: { name: 'agent' }, repository: { full_name: 'acme/widgets' }, sender: { login: 'octocat' } };
    expect((await postGithub(`${base}/webhooks/github`, { event: 'issues', payload: forged, secret: SECRET })).status).toBe(200);
    await waitFor(() => gh.requests.some((r) => r.method === 'GET' && r.path === `/repos/acme/widgets/issues/${n}` && r.at >= at), { what: 'the targeted re-read' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(callsFor(n)).toHaveLength(0);
    expect(ticket(n)).toBeUndefined();
    expect(gh.labelsOf(n)).toEqual(['bug']);
  }, 30_000);

  it('doctor tells a hook whose secret is not webhooks.github_secret: its ping is refused with 401', async () => {
    const hook = gh.webhooks.hooks[0]!;
    const right = hook.config.secret;
    hook.config.secret = 'rotated-on-github-only-0000';
    try {
      const doctor = await runCli(project, ['doctor']);
      expect(doctor.stdout).toMatch(/✗ GitHub webhook secret: does not match: the running daemon refused the signature of a ping sent just now \(401\)/);
      expect(doctor.stdout).toContain('fix: run `swarm webhooks setup`');
    } finally {
      hook.config.secret = right;
    }
  }, 30_000);

  it('acceptance 5: the hook goes quiet for healthy_within → status says webhooks are silent and polling is back at polling.interval', async () => {
    // The tunnel goes down: GitHub's deliveries (keep-alive pings included) no longer reach swarm.
    gh.webhooks.hooks[0]!.config.url = 'http://127.0.0.1:9/webhooks/github';
    await waitFor(() => /github webhooks silent: no verified delivery since .*polling every 30s \(polling.interval\) again/.test(daemon.stdout), { timeoutMs: HEALTHY_WITHIN_MS + 15_000, what: 'the silent line' });
    expect(daemon.stdout.match(/github webhooks silent/g)).toHaveLength(1);
    const status = await runCli(project, ['status']);
    expect(status.stdout).toMatch(/Webhooks: github SILENT: no verified delivery since \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/);
    expect(status.stdout).toMatch(/\n {2}polling every 30s \(polling\.interval\)\n/);
    const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(json.webhooks).toMatchObject({ poll_interval_s: 30, polling_interval_s: 30, sources: expect.arrayContaining([expect.objectContaining({ source: 'github', state: 'silent' })]) });
    const metrics = samples(await (await fetch(`${base}/metrics`)).text());
    expect(metrics.find((s) => s.name === 'swarm_poll_interval_seconds')?.value).toBe(30);
    expect(metrics.find((s) => s.name === 'swarm_webhooks_healthy' && s.labels.source === 'github')?.value).toBe(0);
    // Polling is back: the next poll comes polling.interval after the last one (not webhooks.poll_interval, 1h).
    const last = gh.requests.filter(listing).at(-1)!.at;
    await waitFor(() => gh.requests.some((r) => listing(r) && r.at > last), { timeoutMs: Math.max(1_000, last + 30_000 + 3_000 - Date.now()), what: 'the next poll, 30 s after the last' });
  }, 60_000);
});
