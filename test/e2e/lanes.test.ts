// Issue #14 acceptance 2 and 3, with the daemon as a real process against the fake GitHub:
// - lanes: six normal tickets queued behind max_concurrent 2; an urgent ticket labelled meanwhile starts in
//   the first slot that frees, before any queued normal one, and evicts nobody;
// - pacing: the agent reports allowed_warning at 0.9 of the usage window (agent.pacing.reserve 0.8): the
//   queued normal tickets wait and an urgent one starts; `swarm explain`, `swarm status` and /metrics say why.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, runCli, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon | null = null;

beforeEach(async () => {
  ({ project, gh } = await githubWorld());
});
afterEach(async () => {
  await teardown(daemon, gh, project);
  daemon = null;
});

const events = (type: string) => project.events().filter((e) => e.type === type);
const handedOff = (n: number) => events('pr_opened').some((e) => e.key === String(n));

describe('lanes', () => {
  it('an urgent ticket labelled while six normal ones queue starts in the first slot that frees, evicting nobody', async () => {
    // The urgent lane comes from a configured label, the normal tickets carry P1: only the lane puts it first.
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 2, lanes: { urgent: { labels: ['hotfix'] } } } }));
    project.setScenarios({ default: [[{ sleep: 3000 }, 'commit_and_pr']] });
    const normal = Array.from({ length: 6 }, (_, i) => gh.addIssue({ title: `Normal ${i + 1}`, labels: ['agent', 'P1'] }));
    daemon = startDaemon(project);
    await waitFor(() => events('started').length === 2, { what: 'two normal tickets running' });
    const urgent = gh.addIssue({ title: 'Production is down', labels: ['agent', 'hotfix'] });

    await waitFor(() => handedOff(urgent) && events('started').length >= 4, { timeoutMs: 60_000, what: 'the urgent ticket handed off' });
    await daemon.stop();

    const started = events('started').map((e) => Number(e.key));
    expect(started.slice(0, 2).every((n) => normal.includes(n))).toBe(true);
    // The first slot that freed went to the urgent ticket; the next one to a queued normal ticket (no slot idles).
    const firstFinish = project.events().findIndex((e) => e.type === 'finished');
    const urgentStart = project.events().findIndex((e) => e.type === 'started' && e.key === String(urgent));
    expect(started[2]).toBe(urgent);
    expect(firstFinish).toBeLessThan(urgentStart);
    expect(normal).toContain(started[3]);
    // Nobody was evicted: the two runs in progress when it arrived finished on their own, with PRs.
    const early = events('finished').filter((e) => started.slice(0, 2).includes(Number(e.key)));
    expect(early.map((e) => e.outcome)).toEqual(['pr_opened', 'pr_opened']);
    expect(events('cancelled')).toEqual([]);
  }, 90_000);

  it('pacing: at 90% of the usage window (reserve 80%) normal tickets wait, an urgent one starts; explain, status and metrics say why', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 2, pacing: { reserve: 0.8 }, lanes: { urgent: { labels: ['hotfix'] } } } }));
    project.setScenarios({
      '1': [[{ init: true }, { rate_window: { status: 'allowed_warning', utilization: 0.9, resetsIn: 3600 } }, 'commit_and_pr']],
      default: [[{ sleep: 300 }, 'commit_and_pr']],
    });
    gh.addIssue({ title: 'Normal first', labels: ['agent'] });
    daemon = startDaemon(project, ['start', '--port', '0']);
    const url = (await daemon.waitForOutput(/dashboard and API on (http:\/\/\S+?)\/? /))[1]!;
    await waitFor(() => handedOff(1), { what: 'the first ticket handed off' });
    const waiting = [gh.addIssue({ title: 'Normal second', labels: ['agent'] }), gh.addIssue({ title: 'Normal third', labels: ['agent'] })];
    const urgent = gh.addIssue({ title: 'Urgent fix', labels: ['agent', 'hotfix'] });

    await waitFor(() => handedOff(urgent), { timeoutMs: 30_000, what: 'the urgent ticket handed off' });
    // Polls after the urgent one started still list both normal tickets as waiting for the window.
    await waitFor(() => project.report()?.queue?.waiting?.length === 2 && events('finished').length === 2, { what: 'the normal tickets listed as waiting' });
    expect(events('claimed').map((e) => Number(e.key))).toEqual([1, urgent]);

    const explained = await runCli(project, ['explain', String(waiting[0])]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(/Next: waiting: only urgent tickets start: the usage window is 90% used \(agent\.pacing\.reserve 80%\) until it resets at \S+ \(in (59m|1h)/);
    const status = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(status.account.window).toMatchObject({ status: 'allowed_warning', utilization: 0.9, type: 'five_hour' });
    expect(status.waiting.map((w: any) => [w.key, w.lane])).toEqual(waiting.map((n) => [String(n), 'normal']));
    expect(status.waiting[0].waiting_because).toMatch(/^only urgent tickets start/);
    const text = (await runCli(project, ['status'])).stdout;
    expect(text).toMatch(/Account \S+ · 1 daemon\(s\)\n {2}window 90% used \(five_hour, allowed_warning\)/);
    expect(text).toMatch(/Waiting \(2\)\n {2}#\d+ +normal +only urgent tickets start/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^swarm_account_window_utilization\{account="[^"]+"\} 0\.9$/m);
    expect(metrics).toMatch(/^swarm_account_paused\{account="[^"]+"\} 0$/m);
    expect(metrics).toMatch(/^swarm_lane_queue_length\{lane="normal"\} 2$/m);
  }, 60_000);
});
