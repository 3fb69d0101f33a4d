// Issue #5 acceptance 4 (SPEC §4 `cancelled`): closing an issue during its run stops the agent at the next
// poll and removes its worktree; removing the trigger label stops it and keeps the worktree. Reopening /
// relabelling later picks the ticket up again with its history.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, runCli, startDaemon, waitFor, type Daemon, type Project, isAlive, readPidFile, githubWorld, teardown } from '../helpers/daemon.js';

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

const alive = isAlive;
const readPid = (name: string) => readPidFile(path.join(project.base, name));
const PROMPT = 'Work on {{ issue.identifier }}. {% for a in previous_attempts %}[prev {{ a.number }} {{ a.outcome }}]{% endfor %}\n';

describe('cancellation while running', () => {
  it('close → agent stopped, worktree removed; unlabel → agent stopped, worktree kept; reopen/relabel → resumed with history', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 2 } }), PROMPT);
    const closed = gh.addIssue({ title: 'Will be closed', labels: ['agent'] });
    const unlabelled = gh.addIssue({ title: 'Will lose its label', labels: ['agent'] });
    const running = (n: number) => [{ init: true }, { spawnSleep: 1000, pidFile: `sleep-${n}.pid` }, { hang: true }];
    project.setScenarios({ [closed]: [running(closed), 'commit_and_pr'], [unlabelled]: [running(unlabelled), 'commit_and_pr'] });
    daemon = startDaemon(project);

    const sleeps = await waitFor(() => (readPid(`sleep-${closed}.pid`) && readPid(`sleep-${unlabelled}.pid`) ? [readPid(`sleep-${closed}.pid`)!, readPid(`sleep-${unlabelled}.pid`)!] : null), { timeoutMs: 60_000, what: 'both agents running' });
    const agents = project.claudeCalls().map((c: any) => c.pid as number);
    const st = project.state();
    const wtClosed = st.tickets[String(closed)].worktree as string;
    const wtKept = st.tickets[String(unlabelled)].worktree as string;
    expect(fs.existsSync(wtClosed) && fs.existsSync(wtKept)).toBe(true);
    fs.writeFileSync(path.join(wtKept, 'partial-work.txt'), 'the agent was halfway\n');

    gh.closeIssue(closed);
    gh.setLabels(unlabelled, gh.labelsOf(unlabelled).filter((l) => l !== 'agent'));
    await waitFor(() => project.events().filter((e) => e.type === 'cancelled').length === 2, { timeoutMs: 30_000, what: 'both cancelled' });
    const cancels = project.events().filter((e) => e.type === 'cancelled');
    expect(cancels.find((e) => e.ticket === `#${closed}`)!.reason).toMatch(/closed/);
    expect(cancels.find((e) => e.ticket === `#${unlabelled}`)!.reason).toMatch(/label/);

    // Both agents (and their grandchildren) are stopped; the closed ticket's worktree goes, the other stays.
    await waitFor(() => [...sleeps, ...agents].every((p) => !alive(p)), { timeoutMs: 30_000, what: 'agents stopped' });
    await waitFor(() => !fs.existsSync(wtClosed), { timeoutMs: 30_000, what: 'closed ticket worktree removed' });
    expect(fs.readFileSync(path.join(wtKept, 'partial-work.txt'), 'utf8')).toContain('halfway');
    await waitFor(() => !gh.labelsOf(closed).includes('agent:running') && !gh.labelsOf(unlabelled).includes('agent:running'), { what: 'running labels dropped' });
    await waitFor(() => [closed, unlabelled].every((n) => project.state().tickets[String(n)].attempts[0].outcome !== 'running'), { what: 'attempts recorded' });
    const after = project.state();
    for (const n of [closed, unlabelled]) {
      expect(after.tickets[String(n)].status).toBe('released');
      expect(after.tickets[String(n)].attempts.map((a: any) => [a.outcome, a.counted])).toEqual([['cancelled', false]]);
    }

    // Later: reopened / relabelled → picked up again, attempt 2 sees attempt 1 in its history.
    gh.reopenIssue(closed);
    gh.setLabels(unlabelled, ['agent']);
    await waitFor(() => gh.pulls.length === 2, { timeoutMs: 60_000, what: 'two PRs after resuming' });
    await waitFor(() => [closed, unlabelled].every((n) => project.state().tickets[String(n)].status === 'review'), { what: 'both in review' });
    const final = project.state();
    for (const n of [closed, unlabelled]) {
      const t = final.tickets[String(n)];
      expect(t.attempts.map((a: any) => [a.number, a.outcome])).toEqual([[1, 'cancelled'], [2, 'pr_opened']]);
      expect(t.failures).toBe(0);
      expect(fs.readFileSync(path.join(project.promptDir, `${n}-2.txt`), 'utf8')).toContain('[prev 1 cancelled]');
    }
    // The kept worktree was reused: the partial work is still there on the resumed attempt.
    expect(fs.existsSync(path.join(wtKept, 'partial-work.txt'))).toBe(true);
  });
});

describe('an agent that takes its time to stop', () => {
  it('is cancelled once, not once per poll; `swarm release` of a running ticket drops its running label', { timeout: 120_000 }, async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 2 } }), PROMPT);
    const stubborn = gh.addIssue({ title: 'Agent ignores SIGTERM', labels: ['agent'] });
    const held = gh.addIssue({ title: 'Operator releases it', labels: ['agent'] });
    project.setScenarios({ [stubborn]: [[{ init: true }, { ignoreTerm: true }, { hang: true }]], [held]: [[{ init: true }, { ignoreTerm: true }, { hang: true }]] });
    daemon = startDaemon(project);
    await waitFor(() => project.events().filter((e) => e.type === 'started').length === 2 && project.claudeCalls().length === 2, { timeoutMs: 60_000, what: 'both agents running' });
    await waitFor(() => gh.labelsOf(held).includes('agent:running'), { what: 'running label on the held ticket' });
    const paused = await runCli(project, ['pause']); // so the released ticket is not claimed again at once
    expect(paused.code, paused.stderr).toBe(0);

    gh.setLabels(stubborn, ['agent:running']);
    const released = await runCli(project, ['release', String(held)]);
    expect(released.code, released.stderr).toBe(0);
    // The runner SIGKILLs after its 10 s grace: about ten polls happen while both agents are dying.
    const finished = (n: number) => project.events().some((e) => e.type === 'finished' && e.ticket === `#${n}`);
    await waitFor(() => finished(stubborn) && finished(held), { timeoutMs: 60_000, what: 'both attempts finished' });
    expect(project.events().filter((e) => e.type === 'cancelled').map((e) => e.ticket)).toEqual([`#${stubborn}`]);
    await waitFor(() => !gh.labelsOf(held).includes('agent:running') && !gh.labelsOf(stubborn).includes('agent:running'), { timeoutMs: 30_000, what: 'running labels dropped' });
    const unclaims = (n: number) => gh.requests.filter((r) => r.method === 'DELETE' && r.path.startsWith(`/repos/${gh.fullName}/issues/${n}/labels/agent`)).length;
    expect(unclaims(stubborn)).toBe(1);
    expect(unclaims(held)).toBe(1);
    for (const n of [stubborn, held]) {
      const t = project.state().tickets[String(n)];
      expect(t.status).toBe('released');
      expect(t.attempts.map((a: any) => [a.outcome, a.counted])).toEqual([['cancelled', false]]);
    }
  });
});
