// SPEC §4 end to end on GitHub: the daemon as a real process, a real repo with a bare origin, the fake
// GitHub server and the fake claude. Issue #2 acceptance 1, 2, 4 and 6.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, maxOverlap, runCli, startDaemon, waitFor, type Daemon, type Project, githubWorld, teardown } from '../helpers/daemon.js';

const STICKY = '<!-- swarm:status -->';
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

const stickies = (n: number) => gh.comments.filter((c) => c.issue === n && c.body.includes(STICKY));

describe('GitHub daemon end to end', () => {
  it('turns five labelled issues into five PRs with at most two agents at once', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 2 } }));
    project.setScenarios({ default: [[{ sleep: 2500 }, 'commit_and_pr']] });
    const issues = [1, 2, 3, 4, 5].map((i) => gh.addIssue({ title: `Task number ${i}`, body: `Do thing ${i}`, labels: ['agent'] }));
    const unrelated = gh.addIssue({ title: 'Not for the agent', labels: ['bug'] });

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);

    expect(gh.pulls.length).toBe(5);
    for (const n of issues) {
      const labels = gh.labelsOf(n);
      expect(labels).toContain('agent:review');
      expect(labels).not.toContain('agent:running');
      expect(stickies(n)).toHaveLength(1);
      const pr = gh.pulls.find((p) => p.body?.includes(`#${n}`));
      expect(pr, `PR for #${n}`).toBeDefined();
      expect(stickies(n)[0]!.body).toContain(`/pull/${pr!.number}`);
    }
    expect(gh.labelsOf(unrelated)).toEqual(['bug']);
    expect(maxOverlap(project.events())).toBe(2);

    // status --json and the table agree with the state after the run.
    const state = project.state();
    const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(json.daemon.running).toBe(false);
    expect(json.recent.map((r: any) => r.key).sort()).toEqual(issues.map(String).sort());
    expect(json.recent.map((r: any) => r.pr_url).sort()).toEqual(Object.values<any>(state.tickets).map((t) => t.pr.url).sort());
    expect(json.totals.prs).toBe(5);
    const table = (await runCli(project, ['status'])).stdout;
    expect(table).toContain('not running');
    for (const r of json.recent) expect(table).toContain(r.pr_url.slice(0, 40));
  });

  it('opens the PR itself when the agent only commits; retries a no-change ticket up the model ladder until failed', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_attempts: 3, models: ['sonnet', 'sonnet', 'opus'] } }));
    const committer = gh.addIssue({ title: 'Commit only', labels: ['agent'] });
    const idle = gh.addIssue({ title: 'Agent does nothing', labels: ['agent'] });
    project.setScenarios({ [committer]: ['commit_only'], [idle]: ['no_changes'] });

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);

    const pr = gh.pulls.find((p) => p.head === project.state().tickets[String(committer)].branch);
    expect(pr).toBeDefined();
    expect(pr!.body).toContain(`Closes #${committer}`);
    expect(gh.labelsOf(committer)).toContain('agent:review');

    expect(gh.labelsOf(idle)).toContain('agent:failed');
    expect(gh.labelsOf(idle)).not.toContain('agent:running');
    const t = project.state().tickets[String(idle)];
    expect(t.status).toBe('failed');
    expect(t.attempts.map((a: any) => [a.model, a.outcome, a.counted])).toEqual([
      ['sonnet', 'no_changes', true],
      ['sonnet', 'no_changes', true],
      ['opus', 'no_changes', true],
    ]);
    const models = project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(idle)).map((c) => c.model);
    expect(models).toEqual(['sonnet', 'sonnet', 'opus']);
    const sticky = stickies(idle);
    expect(sticky).toHaveLength(1);
    expect(sticky[0]!.body).toMatch(/gave up/);
    expect(sticky[0]!.body.match(/no_changes/g)!.length).toBe(3);
  });

  it('polls an unchanged repository with If-None-Match and gets 304s', async () => {
    project.writeWorkflow(githubConfig(gh));
    daemon = startDaemon(project);
    await daemon.waitForOutput(/swarm started/);
    await waitFor(() => gh.requests.filter((r) => r.path.startsWith('/repos/acme/widgets/issues?')).length >= 4, { what: 'four polls' });
    const polls = gh.requests.filter((r) => r.path.startsWith('/repos/acme/widgets/issues?'));
    expect(polls[0]!.status).toBe(200);
    for (const p of polls.slice(1)) {
      expect(p.headers['if-none-match']).toBe(polls[0]!.responseHeaders?.etag);
      expect(p.status).toBe(304);
    }
  });

  it('does not open a second PR after a restart mid-run', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 3 } }));
    // The agent opens its PR, then keeps running: a kill now leaves a PR whose attempt never finished.
    project.setScenarios({ default: [['commit_and_pr', { sleep: 60_000 }]] });
    const issues = [1, 2, 3].map((i) => gh.addIssue({ title: `Restart ${i}`, labels: ['agent'] }));
    daemon = startDaemon(project);
    await waitFor(() => gh.pulls.length === 3, { timeoutMs: 30_000, what: 'three PRs' });
    daemon.kill('SIGKILL');
    await daemon.exited;

    project.setScenarios({ default: ['commit_and_pr'] });
    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(gh.pulls.length).toBe(3);
    for (const n of issues) {
      expect(gh.labelsOf(n)).toContain('agent:review');
      expect(stickies(n)).toHaveLength(1);
    }
    const attempts = Object.values<any>(project.state().tickets).flatMap((t) => t.attempts);
    expect(attempts.every((a) => a.outcome === 'interrupted' && !a.counted)).toBe(true);
  });
});
