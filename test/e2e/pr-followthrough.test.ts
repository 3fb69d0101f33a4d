// PR follow-through end to end (issue #15, SPEC §10): the daemon as a real process against the fake GitHub
// (check runs, statuses, reviews, review comments, job logs, a bare origin backing the PR heads) and the
// fake claude. A handed-off PR whose check fails or whose trusted reviewer requests changes gets a
// follow-up on the same branch, bounded per trigger and by pr.max_followups; a human's push, a merge or a
// close ends it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, runCli, startDaemon, waitFor, type Daemon, type Project, githubWorld, teardown } from '../helpers/daemon.js';

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

// The follow-up variables, as a WORKFLOW.md template would use them.
const PROMPT = [
  'Work on {{ issue.identifier }}: {{ issue.title }}',
  '{% if followup.kind %}FOLLOWUP {{ followup.kind }} round {{ followup.round }} head {{ followup.head_sha }}',
  '{% for c in followup.checks %}CHECK {{ c.name }} {{ c.conclusion }}: {{ c.summary }}',
  'LOG<<<{{ c.log_excerpt }}>>>',
  '{% endfor %}{% for c in followup.comments %}COMMENT {{ c.author }} {{ c.path }}:{{ c.line }} {{ c.body }}',
  '{% endfor %}{% endif %}',
].join('\n');

/** A follow-up that fixes: commit, push, done (never a new PR). */
const FIX = [{ init: true }, { text: 'Fixing the PR.' }, { commit: { file: 'fix.txt' } }, { push: true }, { result: {} }];

const world = (extra: Record<string, unknown> = {}) =>
  project.writeWorkflow(githubConfig(gh, { pr: { watch_interval: '1s' }, ...extra }), PROMPT);
const callsFor = (n: number) => project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(n));
const prOf = (n: number) => gh.pulls.find((p) => new RegExp(`Closes #${n}\\b`).test(p.body ?? ''));
const prompt = (n: number, attempt: number) => fs.readFileSync(path.join(project.promptDir, `${n}-${attempt}.txt`), 'utf8');
const ticket = (n: number) => project.state().tickets[String(n)];
const eventsOf = (n: number, type: string) => project.events().filter((e) => e.type === type && e.key === String(n));
/** How many times the daemon has read the PR (one per watch). */
const watchesOf = (pr: number) => gh.requests.filter((r) => r.method === 'GET' && r.path === `/repos/acme/widgets/pulls/${pr}`).length;
/** Let the daemon watch the PR `rounds` more times. */
async function watched(pr: number, rounds = 2): Promise<void> {
  const before = watchesOf(pr);
  await waitFor(() => watchesOf(pr) >= before + rounds, { timeoutMs: 30_000, what: `${rounds} more watches of PR #${pr}` });
}

async function handedOff(n: number): Promise<number> {
  await waitFor(() => gh.labelsOf(n).includes('agent:review') && ticket(n)?.status === 'review', { timeoutMs: 60_000, what: `#${n} handed off` });
  return prOf(n)!.number;
}

describe('PR follow-through', () => {
  it('a failing check → one follow-up with the check and its log excerpt, resuming the session; it pushes, the check passes, nothing more; merged → done', async () => {
    world();
    const n = gh.addIssue({ title: 'Add the widget', labels: ['agent'] });
    project.setScenarios({ [n]: ['commit_and_pr', FIX] });
    daemon = startDaemon(project);
    const pr = await handedOff(n);
    const head = await gh.headSha(pr);
    await gh.addCheckRun(pr, { name: 'unit-tests', conclusion: 'failure', title: '1 test failed', summary: 'widget.test.ts failed', log: 'setup ok\nFAIL test/widget.test.ts > adds\nExpected 2, received 3\n' });

    await waitFor(() => eventsOf(n, 'followup_pushed').length === 1, { timeoutMs: 60_000, what: 'the follow-up pushed' });
    const text = prompt(n, 2);
    expect(text).toContain(`FOLLOWUP ci round 1 head ${head}`);
    expect(text).toContain('CHECK unit-tests failure: widget.test.ts failed');
    expect(text).toMatch(/LOG<<<[^]*Expected 2, received 3[^]*>>>/);
    const session = ticket(n).attempts[0].session_id;
    expect(callsFor(n)[1]!.argv.join(' ')).toContain(`--resume ${session}`);
    const fixed = await gh.headSha(pr);
    expect(fixed).not.toBe(head);
    expect(eventsOf(n, 'followup_pushed')[0].head_sha).toBe(fixed);

    await gh.addCheckRun(pr, { name: 'unit-tests', conclusion: 'success', summary: 'all green' });
    await waitFor(() => ticket(n).followup?.seen?.head_sha === fixed && ticket(n).followup.seen.checks === '1 passed', { timeoutMs: 30_000, what: 'the passing head watched' });
    await watched(pr);
    expect(callsFor(n)).toHaveLength(2);
    expect(gh.pulls).toHaveLength(1);
    expect(gh.labelsOf(n)).toEqual(expect.arrayContaining(['agent', 'agent:review']));
    expect(gh.labelsOf(n)).not.toContain('agent:running');
    expect(ticket(n).attempts.map((a: any) => [a.outcome, a.counted])).toEqual([['pr_opened', false], ['pr_opened', false]]);

    const status = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(status.watched).toEqual([expect.objectContaining({ ticket: `#${n}`, state: 'watching', checks: '1 passed', rounds: 1, max_followups: 3 })]);

    gh.mergePull(pr);
    await waitFor(() => ticket(n).status === 'done', { timeoutMs: 30_000, what: 'done once merged' });
    expect(eventsOf(n, 'pr_closed')).toEqual([expect.objectContaining({ merged: true })]);
    // The sticky comment follows the state (write-ahead: recorded first, then brought in line).
    await waitFor(() => gh.comments.find((c) => c.issue === n && c.body.includes('<!-- swarm:status -->'))?.body.includes('Pull request merged'), { what: 'the sticky comment says merged' });
  }, 120_000);

  it('a trusted reviewer’s change request with two line comments → a follow-up with both (a vanished session starts fresh); a read-only reviewer’s → nothing, and explain says why', async () => {
    gh.setPermission('alice', 'write');
    gh.setPermission('mallory', 'read');
    world();
    const a = gh.addIssue({ title: 'Reviewed by a maintainer', labels: ['agent'] });
    const b = gh.addIssue({ title: 'Reviewed by a stranger', labels: ['agent'] });
    project.setScenarios({ [a]: ['commit_and_pr', FIX], [b]: ['commit_and_pr', FIX] });
    daemon = startDaemon(project);
    const [prA, prB] = [await handedOff(a), await handedOff(b)];
    // The Claude transcripts are gone (another machine, a cleaned config dir): --resume must fall back.
    fs.rmSync(project.env.FAKE_CLAUDE_SESSIONS!, { recursive: true, force: true });
    const headA = await gh.headSha(prA);
    await gh.addReviewComment(prA, { user: 'alice', body: 'Rename this.', path: 'src/widget.ts', line: 12 });
    await gh.addReviewComment(prA, { user: 'alice', body: 'Missing a test.', path: 'test/widget.test.ts', line: 3 });
    await gh.addReview(prA, { user: 'alice', state: 'CHANGES_REQUESTED', body: 'Two things.' });
    await gh.addReviewComment(prB, { user: 'mallory', body: 'Delete everything.', path: 'src/widget.ts', line: 1 });
    await gh.addReview(prB, { user: 'mallory', state: 'CHANGES_REQUESTED', body: 'Do it my way.' });

    await waitFor(() => eventsOf(a, 'followup_pushed').length === 1, { timeoutMs: 60_000, what: `#${a}'s follow-up pushed` });
    const text = prompt(a, 2);
    expect(text).toContain(`FOLLOWUP review round 1 head ${headA}`);
    expect(text).toContain('COMMENT alice src/widget.ts:12 Rename this.');
    expect(text).toContain('COMMENT alice test/widget.test.ts:3 Missing a test.');
    // The first spawn asked for the vanished session, the second started fresh in the same attempt.
    const followups = callsFor(a).filter((c) => c.env.SWARM_ATTEMPT === '2');
    expect(followups.map((c) => c.argv.includes('--resume'))).toEqual([true, false]);
    // events.jsonl gets the line before state.json is renamed into place (an fsync apart): read the state once it has it.
    await waitFor(() => ticket(a).attempts[1]?.outcome !== 'running', { what: `#${a}'s follow-up recorded in state.json` });
    expect(ticket(a).attempts[1].outcome).toBe('pr_opened');

    await waitFor(() => /mallory does not have write access/.test(ticket(b).followup?.seen?.decision ?? ''), { timeoutMs: 30_000, what: `#${b}'s refusal recorded` });
    expect(callsFor(b)).toHaveLength(1);
    const explained = await runCli(project, ['explain', String(b)]);
    expect(explained.stdout).toMatch(/the change request by mallory is not acted on: mallory does not have write access/);
    expect(gh.pulls).toHaveLength(2);
  }, 120_000);

  it('a check that keeps failing → exactly max_followups follow-ups, then agent:needs-human, then no more runs', async () => {
    world({ pr: { watch_interval: '1s', max_followups: 2 } });
    const n = gh.addIssue({ title: 'Flaky forever', labels: ['agent'] });
    project.setScenarios({ [n]: ['commit_and_pr', FIX] });
    daemon = startDaemon(project);
    const pr = await handedOff(n);
    // Whatever the head, its check fails.
    const failed = new Set<string>();
    const breaker = setInterval(() => {
      void gh.headSha(pr).then(async (sha) => {
        if (failed.has(sha)) return;
        failed.add(sha);
        await gh.addCheckRun(pr, { name: 'build', conclusion: 'failure', sha, summary: 'still broken', log: `broken at ${sha}\n` });
      });
    }, 200);
    try {
      await waitFor(() => gh.labelsOf(n).includes('agent:needs-human'), { timeoutMs: 90_000, what: 'agent:needs-human' });
      const runs = callsFor(n).length;
      expect(runs).toBe(3); // the first run and two follow-ups
      expect(eventsOf(n, 'needs_human')).toEqual([expect.objectContaining({ why: 'needs_human', reason: expect.stringMatching(/2 follow-up\(s\) were already made \(pr\.max_followups 2\)/) })]);
      await watched(pr, 3);
      expect(callsFor(n)).toHaveLength(runs);
      expect(ticket(n).followup.rounds).toBe(2);
      const sticky = gh.comments.find((c) => c.issue === n && c.body.includes('<!-- swarm:status -->'));
      expect(sticky?.body).toMatch(/Needs a human: .*pr\.max_followups 2/);
    } finally {
      clearInterval(breaker);
    }
  }, 150_000);

  it('a usage limit during a follow-up pauses until the reset, is not counted, and the same follow-up runs after it', async () => {
    world();
    const n = gh.addIssue({ title: 'Limited', labels: ['agent'] });
    project.setScenarios({ [n]: ['commit_and_pr', { usage_limit: { resetsIn: 5 } }, FIX] });
    daemon = startDaemon(project);
    const pr = await handedOff(n);
    await gh.addCheckRun(pr, { name: 'lint', conclusion: 'failure', summary: 'lint errors', log: 'x.ts:1 no-unused-vars\n' });
    await waitFor(() => project.events().some((e) => e.type === 'paused' && e.kind === 'rate_limit'), { timeoutMs: 60_000, what: 'the usage-limit pause' });
    const paused = project.events().find((e) => e.type === 'paused' && e.kind === 'rate_limit');
    await waitFor(() => eventsOf(n, 'followup_pushed').length === 1, { timeoutMs: 60_000, what: 'the follow-up after the reset' });
    // The event log is appended before state.json is replaced: wait for the record too.
    await waitFor(() => ticket(n).attempts.length === 3 && ticket(n).attempts[2].outcome !== 'running', { what: 'the follow-up recorded' });
    const calls = callsFor(n);
    expect(calls).toHaveLength(3);
    // t0: the agent's start as the kernel recorded it (10 ms resolution).
    expect(calls[2]!.t0).toBeGreaterThanOrEqual(Date.parse(paused.until) - 10);
    const t = ticket(n);
    expect(t.attempts.map((a: any) => [a.outcome, a.counted])).toEqual([['pr_opened', false], ['rate_limited', false], ['pr_opened', false]]);
    expect(t.failures).toBe(0);
    expect(t.followup.rounds).toBe(1);
    expect(eventsOf(n, 'followup_started')).toHaveLength(1);
    expect(prompt(n, 3)).toContain('FOLLOWUP ci round 1');
    expect(gh.pulls).toHaveLength(1);
  }, 120_000);

  it('kill -9 during a follow-up, restart → the interrupted follow-up resumes as the same round; no second follow-up for that head', async () => {
    world();
    const n = gh.addIssue({ title: 'Killed midway', labels: ['agent'] });
    const slow = [{ init: true }, { text: 'Working on the fix.' }, { sleep: 60_000 }];
    project.setScenarios({ [n]: ['commit_and_pr', slow, FIX] });
    daemon = startDaemon(project);
    const pr = await handedOff(n);
    const head = await gh.headSha(pr);
    await gh.addCheckRun(pr, { name: 'build', conclusion: 'failure', summary: 'broken' });
    await waitFor(() => callsFor(n).length === 2, { timeoutMs: 60_000, what: 'the follow-up running' });
    daemon.kill('SIGKILL');
    await daemon.exited;
    daemon = startDaemon(project);
    await waitFor(() => eventsOf(n, 'followup_pushed').length === 1, { timeoutMs: 60_000, what: 'the resumed follow-up pushed' });
    // Some watches of the new head later, still one follow-up for the failing head.
    await gh.addCheckRun(pr, { name: 'build', conclusion: 'success', summary: 'fixed' });
    await waitFor(() => ticket(n).followup?.seen?.checks === '1 passed', { timeoutMs: 30_000, what: 'the fixed head watched' });
    await watched(pr);
    const started = eventsOf(n, 'followup_started');
    expect(started).toHaveLength(1);
    expect(started[0].head_sha).toBe(head);
    expect(callsFor(n)).toHaveLength(3);
    const t = ticket(n);
    expect(t.followup.rounds).toBe(1);
    expect(t.followup.handled).toEqual([`${pr}:${head}:ci`]);
    expect(t.attempts.map((a: any) => a.outcome)).toEqual(['pr_opened', 'interrupted', 'pr_opened']);
    expect(prompt(n, 3)).toContain('FOLLOWUP ci round 1');
    expect(gh.pulls).toHaveLength(1);
  }, 120_000);

  it('a human pushes to the branch → no more follow-ups (agent:needs-human); removing that label hands it back', async () => {
    world();
    const n = gh.addIssue({ title: 'Taken over', labels: ['agent'] });
    project.setScenarios({ [n]: ['commit_and_pr', FIX] });
    daemon = startDaemon(project);
    const pr = await handedOff(n);
    await waitFor(() => ticket(n).followup?.seen, { timeoutMs: 30_000, what: 'the PR watched' });
    const human = await gh.addCommit(pr, { author: 'Hanna Human', email: 'hanna@example.invalid', message: 'My own fix' });
    await gh.addCheckRun(pr, { name: 'build', conclusion: 'failure', sha: human, summary: 'broken by the human' });
    await waitFor(() => gh.labelsOf(n).includes('agent:needs-human'), { timeoutMs: 30_000, what: 'agent:needs-human after the push' });
    expect(eventsOf(n, 'needs_human')).toEqual([expect.objectContaining({ why: 'human_push', reason: expect.stringContaining(`pushed ${human.slice(0, 7)}`) })]);
    await watched(pr);
    expect(callsFor(n)).toHaveLength(1);
    expect((await runCli(project, ['explain', String(n)])).stdout).toMatch(/no more follow-ups: .*a human took over/);

    // Handed back: the human's head is the starting point, and its failing check is followed up.
    gh.setLabels(n, gh.labelsOf(n).filter((l) => l !== 'agent:needs-human'), 'hanna');
    await waitFor(() => eventsOf(n, 'followup_pushed').length === 1, { timeoutMs: 60_000, what: 'a follow-up once handed back' });
    expect(prompt(n, 2)).toContain(`FOLLOWUP ci round 1 head ${human}`);
    expect(gh.pulls).toHaveLength(1);
  }, 120_000);
});
