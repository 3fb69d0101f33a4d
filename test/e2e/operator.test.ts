// Issue #6 end to end: a real daemon on the fake GitHub with server.port and notify.webhook_url set. The
// dashboard is loaded in headless Chromium while agents run (screenshot under test-artifacts/), /metrics
// parses as Prometheus text, the API agrees with `swarm status --json`, pause/resume/retry/release reach
// the daemon through its control socket, and a fake webhook receiver gets the expected notifications.
import * as fs from 'node:fs';
import http from 'node:http';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, makeProject, ROOT, runCli, startDaemon, waitFor, type Daemon, type Project } from '../helpers/daemon.js';
import { startWebhook, type FakeWebhook } from '../helpers/webhook.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { CHROMIUM, renderedDom, screenshot } from '../helpers/chromium.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');

let gh: FakeGitHub;
let hook: FakeWebhook;
let project: Project;
let daemon: Daemon | null = null;

beforeEach(async () => {
  project = await makeProject();
  gh = await startFakeGitHub({ gitDir: project.origin });
  hook = await startWebhook();
  project.env.SWARM_TEST_GH_TOKEN = gh.token;
});

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await gh.close();
  await hook.close();
  project.cleanup();
});

async function getText(url: string, init?: RequestInit): Promise<{ status: number; text: string }> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
}

/** fetch() may not set Host; node:http may. */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('operator surfaces on a running daemon', () => {
  it('dashboard in Chromium, API, metrics, controls over the socket, webhook notifications', async () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`).toBe(true);
    const hang = [[{ init: true }, { text: 'Working on it' }, { toolUse: { name: 'Bash', input: { command: 'npm test' } } }, { sleep: 120_000 }]];
    project.writeWorkflow(
      githubConfig(gh, {
        agent: { max_concurrent: 3, max_attempts: 1, stall_timeout: '300s', timeout: '300s' },
        server: { port: 0 },
        notify: { webhook_url: hook.url },
      }),
    );
    const done = gh.addIssue({ title: 'Quick fix', labels: ['agent'] });
    const slowA = gh.addIssue({ title: 'Long running task A', labels: ['agent'] });
    const slowB = gh.addIssue({ title: 'Long running task B', labels: ['agent'] });
    const doomed = gh.addIssue({ title: 'Agent gives up', labels: ['agent'] });
    project.setScenarios({ [done]: ['commit_and_pr'], [slowA]: hang, [slowB]: hang, [doomed]: ['no_changes'], default: ['no_changes'] });

    daemon = startDaemon(project);
    const [, url] = await daemon.waitForOutput(/dashboard and API on (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000);
    // Where the daemon listens is in its report (daemon.json); control.json is no longer written.
    const control = await waitFor(() => { const r = project.report(); return r?.pid === daemon!.proc.pid && r.socket ? r : null; }, { what: 'the socket in daemon.json' });
    expect(control.url).toBe(url);
    expect(fs.existsSync(path.join(project.swarmDir, 'control.json'))).toBe(false);

    // Two agents running, one PR handed off, one ticket failed.
    await waitFor(() => {
      const s = project.state();
      const t = s.tickets;
      return t[String(done)]?.pr && t[String(doomed)]?.status === 'failed' && [slowA, slowB].every((n) => t[String(n)]?.status === 'running' && t[String(n)].last_event.includes('npm test'));
    }, { timeoutMs: 90_000, what: 'two running agents, a PR and a failure' });
    const prUrl: string = project.state().tickets[String(done)].pr.url;

    // The API serves the status snapshot; it agrees with `swarm status --json`.
    const api = JSON.parse((await getText(`${url}api/v1/state`)).text);
    const cli = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    for (const snap of [api, cli]) {
      expect(snap.daemon.running).toBe(true);
      expect(snap.running.map((r: any) => r.key).sort()).toEqual([String(slowA), String(slowB)].sort());
      expect(snap.recent.map((r: any) => r.pr_url)).toEqual([prUrl]);
      expect(snap.failed.map((f: any) => f.key)).toEqual([String(doomed)]);
    }
    const table = (await runCli(project, ['status'])).stdout;
    expect(table).toContain(`dashboard ${url}`);
    for (const line of table.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    const one = JSON.parse((await getText(`${url}api/v1/tickets/%23${slowA}`)).text);
    expect(one.running).toBe(true);
    expect(one.ticket.attempts[0].outcome).toBe('running');
    expect((await getText(`${url}api/v1/tickets/999`)).status).toBe(404);

    // The dashboard, rendered by a real browser.
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'dashboard.png');
    fs.rmSync(shot, { force: true });
    const dom = await renderedDom(url!);
    expect(dom).toContain('Long running task A');
    expect(dom).toContain('Long running task B');
    expect(dom).toMatch(new RegExp(`<b class="ticket">#${slowA}</b>`));
    expect(dom).toContain(`href="${prUrl}"`);
    expect(dom).toContain('id="cost-today"');
    await screenshot(url!, shot);
    expect(fs.statSync(shot).size).toBeGreaterThan(1000);

    // /metrics parses as Prometheus text and says what the state says.
    const metrics = await getText(`${url}metrics`);
    expect(metrics.status).toBe(200);
    const fams = parsePrometheus(metrics.text);
    expect(sampleValue(fams, 'swarm_agents_running')).toBe(2);
    expect(sampleValue(fams, 'swarm_attempts_total', { outcome: 'pr_opened' })).toBe(1);
    expect(sampleValue(fams, 'swarm_attempts_total', { outcome: 'no_changes' })).toBe(1);
    expect(sampleValue(fams, 'swarm_paused', { kind: 'operator' })).toBe(0);
    expect(sampleValue(fams, 'swarm_tracker_requests_total', { tracker: 'github' })).toBeGreaterThan(0);
    expect(sampleValue(fams, 'swarm_tracker_rate_limit_remaining', { tracker: 'github' })).toBe(gh.rateLimitRemaining);
    expect(sampleValue(fams, 'swarm_polls_total')).toBeGreaterThan(0);
    expect(sampleValue(fams, 'swarm_poll_duration_seconds')).toBeGreaterThanOrEqual(0);
    expect(fams.get('swarm_cost_usd_today')?.type).toBe('gauge');

    // Every POST over TCP needs the token, refresh included (any local program or web page reaches loopback).
    const tokenFile = path.join(project.swarmDir, 'server-token');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    const bearer = { authorization: `Bearer ${fs.readFileSync(tokenFile, 'utf8').trim()}` };
    expect((await getText(`${url}api/v1/refresh`, { method: 'POST' })).status).toBe(401);
    expect((await getText(`${url}api/v1/refresh`, { method: 'POST', headers: bearer })).status).toBe(202);
    expect((await getText(`${url}api/v1/pause`, { method: 'POST' })).status).toBe(401);
    expect(await statusWithHost(url!, 'evil.example')).toBe(403); // DNS rebinding: a foreign Host is refused
    expect(await statusWithHost(url!, `localhost:${new URL(url!).port}`)).toBe(200);

    // Controls through the control socket (the CLI as a user runs it).
    const paused = await runCli(project, ['pause', '--for', '2h']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/paused until/);
    expect(paused.stdout).not.toMatch(/no daemon running/);
    const pausedSnap = JSON.parse((await getText(`${url}api/v1/state`)).text);
    expect(pausedSnap.pause.kind).toBe('operator');
    expect(pausedSnap.pause.remaining_s).toBeGreaterThan(7000);
    const pausedDom = await renderedDom(url!);
    expect(pausedDom).toContain('id="pause-banner"');
    const resumed = await runCli(project, ['resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse((await getText(`${url}api/v1/state`)).text).pause).toBeNull();

    const retried = await runCli(project, ['retry', `#${doomed}`]);
    expect(retried.code, retried.stderr).toBe(0);
    // The daemon applied it (its own state, its own event): the count restarts, the history stays.
    await waitFor(() => project.events().some((e) => e.type === 'retry_requested' && e.key === String(doomed)), { what: 'retry_requested event' });
    const afterRetry = project.state().tickets[String(doomed)];
    expect(afterRetry.failures).toBe(0);
    expect(afterRetry.attempts.length).toBeGreaterThanOrEqual(1);
    // ...and the next poll takes the failed label off the issue, so it is eligible again.
    await waitFor(() => !gh.labelsOf(doomed).includes('agent:failed'), { timeoutMs: 30_000, what: 'failed label removed after swarm retry' });
    const unknown = await runCli(project, ['retry', '4242']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/4242 is not known/);

    // explain and gc go through the running daemon: a shell without the tracker token can ask.
    const noToken = { env: { SWARM_TEST_GH_TOKEN: '' } };
    const explained = await runCli(project, ['explain', `#${slowA}`], noToken);
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.stdout).toMatch(/Next: an agent is working on it now \(attempt 1 on sonnet/);
    const gc = await runCli(project, ['gc', '--dry-run'], noToken);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/^would free .*: \d+ worktree\(s\), \d+ transcript\(s\); \d+ kept, [1-9]\d* still in progress$/m);

    const released = await runCli(project, ['release', String(slowB)]);
    expect(released.code, released.stderr).toBe(0);
    await waitFor(() => project.events().some((e) => e.type === 'released' && e.key === String(slowB)), { what: 'released event' });

    await daemon.stop();
    daemon = null;
    await waitFor(() => hook.texts().some((t) => t.includes('daemon stopped')), { timeoutMs: 30_000, what: 'the stopped notification' });
    const texts = hook.texts();
    expect(hook.received.every((r) => r.text === r.content)).toBe(true);
    expect(texts.every((t) => t.startsWith('[swarm acme/widgets]'))).toBe(true);
    expect(texts.some((t) => t.includes(`#${done} handed off: ${prUrl}`))).toBe(true);
    expect(texts.some((t) => t.includes(`#${doomed} failed`))).toBe(true);
    expect(texts.some((t) => t.includes('dispatch paused (operator) until'))).toBe(true);
    expect(texts.some((t) => t.includes('dispatch resumed (was operator)'))).toBe(true);
    expect(texts.join('\n')).not.toContain(gh.token);
    // The daemon cleaned up its socket and said so in its report.
    expect(project.report()).toMatchObject({ pid: control.pid, socket: null, url: null });
    expect(fs.existsSync(control.socket)).toBe(false);
  }, 300_000);
});
