// SPEC §3–§4 end to end on Linear (issue 4): the daemon as a real process against the fake Linear GraphQL
// server (issues, states, relations, comments, attachments, rate limits) with PRs on the fake GitHub.
// "A blocker completes" = its Linear state type is completed or canceled. swarm itself only moves a
// finished blocker to In Review (type "started"), so the blocked issue waits for a human to move the
// blocker to Done — the test plays that human.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { startFakeLinear, type FakeLinear, type FakeLinearRequest } from '../helpers/fake-linear.js';
import { DEFAULT_PROMPT, makeProject, maxOverlap, merge, processesMentioning, runCli, startDaemon, waitFor, type Daemon, type Project, isAlive } from '../helpers/daemon.js';

const execFileP = promisify(execFile);
const STICKY = '<!-- swarm:status -->';
const KEY = 'lin_api_e2eSecretKey0123456789abcdef';
let gh: FakeGitHub;
let lin: FakeLinear;
let project: Project;
let daemon: Daemon | null = null;

beforeEach(async () => {
  project = await makeProject();
  gh = await startFakeGitHub({ gitDir: project.origin });
  lin = await startFakeLinear({ apiKey: KEY });
  Object.assign(project.env, { SWARM_TEST_GH_TOKEN: gh.token, LINEAR_API_KEY: KEY, GITHUB_API_URL: gh.url });
});

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await lin.close();
  await gh.close();
  project.cleanup();
});

function linearConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return merge(
    {
      tracker: {
        kind: 'linear', api_url: lin.url, team: 'ENG', labels: ['agent'], states: ['Todo'],
        running_state: 'In Progress', review_state: 'In Review', failed_state: null,
        // PRs live on GitHub: the repository and the token swarm uses to find/open them.
        repo: gh.fullName, token: '$SWARM_TEST_GH_TOKEN',
      },
      agent: { max_concurrent: 1, env: { FAKE_GITHUB_TOKEN: '$SWARM_TEST_GH_TOKEN', FAKE_GITHUB_API: gh.url } },
    },
    extra,
  );
}

/** A poll: a full sweep page or an incremental one (issue 24: SwarmChanges between sweeps). */
const POLL = 'Swarm(?:Candidates|Changes)';
const ops = (name: string, from = 0): FakeLinearRequest[] => lin.requests.slice(from).filter((r) => new RegExp(`\\b(query|mutation)\\s+${name}\\b`).test(r.query));
const started = () => project.events().filter((e) => e.type === 'started').map((e) => e.ticket as string);
const inReview = (...keys: string[]) => keys.every((k) => lin.issue(k).state === 'In Review');
const alive = isAlive;
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

// Generous: the machine is shared and every test drives real processes (no durations are asserted).
describe('Linear daemon end to end', { timeout: 240_000 }, () => {
  it('hands four issues off in priority order, one PR attachment each; the blocked one waits until its blocker is Done', async () => {
    project.writeWorkflow(linearConfig());
    const low1 = lin.addIssue({ title: 'Low priority first', priority: 4, branchName: 'jdoe/eng-1-low-priority-first' });
    const urgent = lin.addIssue({ title: 'Urgent fix', priority: 1, branchName: 'eng-2-urgent-fix' });
    const blocked = lin.addIssue({ title: 'Blocked but urgent', priority: 1, branchName: 'eng-3-blocked-but-urgent' });
    const low2 = lin.addIssue({ title: 'Low priority second', priority: 4, branchName: 'eng-4-low-priority-second' });
    const untagged = lin.addIssue({ title: 'Not for the agent', labels: ['bug'] });
    const backlog = lin.addIssue({ title: 'Not ready yet', state: 'Backlog' });
    lin.addRelation(low1, blocked);
    project.setScenarios({
      default: ['commit_and_pr'],
      [urgent]: [[{ envDump: 'env-urgent.json' }, 'commit_and_pr']],
      [low2]: ['commit_only'], // swarm pushes and opens this PR itself
    });

    daemon = startDaemon(project);
    await waitFor(() => inReview(urgent, low1, low2), { timeoutMs: 90_000, what: 'three issues in review' });
    // A few more polls: the blocker is only In Review (a "started" state), so the blocked issue must wait.
    const polls = ops(POLL).length;
    await waitFor(() => ops(POLL).length >= polls + 3, { timeoutMs: 30_000, what: 'three more polls' });
    expect(started()).toEqual([urgent, low1, low2]);
    expect(lin.issue(blocked).state).toBe('Todo');
    expect(lin.issue(blocked).comments).toEqual([]);
    // Linear's listing already says which blockers are open: no per-issue re-check while it waits.
    expect(ops('SwarmIssue').filter((r) => r.variables.id === blocked)).toEqual([]);
    const why = await runCli(project, ['explain', blocked]);
    expect(why.stdout, why.stderr).toContain(`blocked by ${low1}`);

    const doneAt = new Date().toISOString();
    lin.setState(low1, 'Done'); // the human merges the blocker's PR
    await waitFor(() => inReview(blocked), { timeoutMs: 60_000, what: `${blocked} in review` });
    await daemon.stop();

    const events = project.events();
    expect(started()).toEqual([urgent, low1, low2, blocked]);
    expect(events.find((e) => e.type === 'started' && e.ticket === blocked).at >= doneAt).toBe(true);
    expect(maxOverlap(events)).toBe(1);

    const state = project.state();
    for (const key of [urgent, low1, low2, blocked]) {
      const ts = state.tickets[key];
      expect(ts.status, key).toBe('review');
      const pr = gh.pulls.find((p) => p.head === ts.branch);
      expect(pr, `PR for ${key}`).toBeDefined();
      expect(ts.pr.url).toContain(`/pull/${pr!.number}`);
      expect(lin.issue(key).attachments, key).toEqual([{ url: ts.pr.url, title: `Pull request #${pr!.number}` }]);
      const stickies = lin.issue(key).comments.filter((c) => c.body.includes(STICKY));
      expect(stickies, key).toHaveLength(1);
      expect(stickies[0]!.user).toBe('Swarm Bot');
      expect(stickies[0]!.body).toContain(ts.pr.url);
    }
    expect(lin.issue(low1).state).toBe('Done'); // never moved back by swarm
    // Branches: Linear's branchName under branch_prefix, kept as given.
    expect(state.tickets[low1].branch).toBe('swarm/jdoe/eng-1-low-priority-first');
    expect(state.tickets[urgent].branch).toBe('swarm/eng-2-urgent-fix');
    expect(gh.pulls.find((p) => p.head === state.tickets[low2].branch)!.body).toContain(`Resolves ${low2}`);
    // Untouched: no trigger label / not in an eligible state.
    for (const key of [untagged, backlog]) {
      expect(lin.issue(key).comments).toEqual([]);
      expect(state.tickets[key]).toBeUndefined();
    }
    expect(lin.issue(untagged).state).toBe('Todo');
    expect(lin.issue(backlog).state).toBe('Backlog');

    // The Linear key never reaches the agent, nor any log, state, transcript or prompt.
    const env = JSON.parse(fs.readFileSync(path.join(project.base, 'env-urgent.json'), 'utf8')) as Record<string, string>;
    expect(env.LINEAR_API_KEY).toBeUndefined();
    expect(Object.values(env)).not.toContain(KEY);
    expect(env.SWARM_TICKET_ID).toBe(urgent);
    expect(env.SWARM_BRANCH).toBe('swarm/eng-2-urgent-fix');
    const sinks = [...filesUnder(project.swarmDir).filter((f) => !f.includes(`${path.sep}worktrees${path.sep}`)), project.claudeLog, ...filesUnder(project.promptDir)];
    expect(sinks.some((f) => f.endsWith('events.jsonl'))).toBe(true);
    expect(sinks.some((f) => f.endsWith('state.json'))).toBe(true);
    for (const f of sinks) expect(fs.readFileSync(f, 'utf8').includes(KEY), f).toBe(false);
    expect(daemon.stdout + daemon.stderr).not.toContain(KEY);
  });

  it('stops the agent within one poll when its issue is moved to Canceled, and removes the worktree', async () => {
    project.writeWorkflow(linearConfig());
    const key = lin.addIssue({ title: 'Long running work' });
    project.setScenarios({ default: [[{ init: true }, { text: 'working' }, { spawnSleep: 1000, pidFile: 'child.pid' }, { sleep: 120_000 }]] });
    const pidFile = path.join(project.base, 'child.pid');

    daemon = startDaemon(project);
    await waitFor(() => fs.existsSync(pidFile) && project.claudeCalls().length === 1 && lin.issue(key).state === 'In Progress', { timeoutMs: 60_000, what: 'the agent running' });
    const agentPid = project.claudeCalls()[0]!.pid as unknown as number;
    const childPid = Number(fs.readFileSync(pidFile, 'utf8'));
    const worktree = project.state().tickets[key].worktree as string;
    expect(alive(agentPid) && alive(childPid)).toBe(true);
    expect(fs.existsSync(worktree)).toBe(true);

    const from = lin.requests.length;
    lin.setState(key, 'Canceled');
    await waitFor(() => project.state().tickets[key].attempts[0]?.outcome === 'cancelled', { timeoutMs: 60_000, what: 'attempt cancelled' });
    await waitFor(() => !fs.existsSync(worktree), { timeoutMs: 30_000, what: 'worktree removed' });

    // Within one poll: the first listing after the move already led to the stop.
    const cancelledAt = Date.parse(project.events().find((e) => e.type === 'cancelled' && e.ticket === key).at);
    expect(ops(POLL, from).filter((r) => r.at <= cancelledAt)).toHaveLength(1);

    expect(alive(agentPid)).toBe(false);
    expect(alive(childPid)).toBe(false);
    expect(processesMentioning(worktree)).toEqual([]);
    const ts = project.state().tickets[key];
    expect(ts.status).toBe('released');
    expect(ts.failures).toBe(0);
    expect(ts.attempts).toHaveLength(1);
    expect(ts.attempts[0].counted).toBe(false);
    expect(project.events().some((e) => e.type === 'cancelled' && e.ticket === key)).toBe(true);
    expect(lin.issue(key).state).toBe('Canceled'); // swarm never moves a canceled issue back
    await waitFor(() => lin.issue(key).comments.some((c) => c.body.includes('| 1 | sonnet | cancelled |')), { timeoutMs: 30_000, what: 'sticky shows the cancelled attempt' });
    expect(lin.issue(key).comments.filter((c) => c.body.includes(STICKY))).toHaveLength(1);
    expect(gh.pulls).toHaveLength(0);
  });

  it('pauses the tracker while Linear answers RATELIMITED and recovers; nothing is failed or counted', async () => {
    project.writeWorkflow(linearConfig());
    const first = lin.addIssue({ title: 'Runs through the limit', priority: 1 });
    const second = lin.addIssue({ title: 'Waits for the limit', priority: 2 });
    // The first agent works long enough to finish while Linear is rate limited.
    project.setScenarios({ default: ['commit_and_pr'], [first]: [[{ sleep: 4000 }, 'commit_and_pr']] });

    daemon = startDaemon(project);
    await waitFor(() => project.claudeCalls().length === 1, { timeoutMs: 60_000, what: 'first agent started' });
    // Linear's answer carries the reset time in X-RateLimit-Requests-Reset: swarm waits until then.
    lin.setRequestBudget({ resetAt: Date.now() + 8000 });
    lin.setRateLimited(true);
    const paused = await waitFor(async () => {
      const res = await runCli(project, ['status', '--json']);
      const pause = JSON.parse(res.stdout).pause;
      return pause?.kind === 'tracker' ? pause : null;
    }, { timeoutMs: 60_000, what: 'tracker pause in status --json' });
    expect(paused.reason).toMatch(/rate limit/i);
    expect(paused.reason).not.toContain(KEY);
    lin.setRateLimited(false);

    await waitFor(() => inReview(first, second), { timeoutMs: 120_000, what: 'both issues in review' });
    await waitFor(async () => JSON.parse((await runCli(project, ['status', '--json'])).stdout).pause === null, { timeoutMs: 30_000, what: 'pause cleared' });
    await daemon.stop();

    const events = project.events();
    expect(events.some((e) => e.type === 'paused' && e.kind === 'tracker')).toBe(true);
    expect(events.some((e) => e.type === 'resumed' && e.kind === 'tracker')).toBe(true);
    expect(events.some((e) => e.type === 'ticket_failed')).toBe(false);
    const state = project.state();
    for (const key of [first, second]) {
      const ts = state.tickets[key];
      expect(ts.status, key).toBe('review');
      expect(ts.failures, key).toBe(0);
      expect(ts.attempts.map((a: any) => [a.outcome, a.counted]), key).toEqual([['pr_opened', false]]);
      expect(lin.issue(key).attachments.map((a) => a.url)).toEqual([ts.pr.url]);
    }
    expect(started()).toEqual([first, second]);
    expect(state.pause).toBeNull();
  });

  it('marks an exhausted issue with the failed label back in Todo, leaves it alone, and retries once a human removes the label', async () => {
    project.writeWorkflow(linearConfig({ agent: { max_attempts: 1 } }));
    const key = lin.addIssue({ title: 'Agent gives up' });
    project.setScenarios({ [key]: ['no_changes', 'commit_and_pr'] });

    daemon = startDaemon(project);
    await waitFor(() => lin.issue(key).labels.includes('agent:failed') && project.state().tickets[key]?.status === 'failed', { timeoutMs: 60_000, what: 'failed label' });
    // failed_state is null: the failed label marks it, and it goes back to the first eligible state.
    await waitFor(() => lin.issue(key).state === 'Todo', { timeoutMs: 30_000, what: 'back in Todo' });
    const sticky = () => lin.issue(key).comments.filter((c) => c.body.includes(STICKY));
    // The sticky comment is markFailed's last write: it may land after the label and the state move.
    await waitFor(() => sticky()[0]?.body.includes('no_changes'), { what: 'sticky comment showing the failed attempt' });
    expect(sticky()).toHaveLength(1);
    // Listed again (Todo + agent label) every poll, but the failed label means "handed off".
    const polls = ops(POLL).length;
    await waitFor(() => ops(POLL).length >= polls + 3, { timeoutMs: 30_000, what: 'three more polls' });
    expect(started()).toEqual([key]);
    expect(lin.issue(key).state).toBe('Todo');

    lin.setLabels(key, ['agent']); // the human asks for another try
    await waitFor(() => inReview(key), { timeoutMs: 60_000, what: 'in review after the retry' });
    await daemon.stop();
    expect(started()).toEqual([key, key]);
    expect(project.events().some((e) => e.type === 'retry_requested' && e.ticket === key)).toBe(true);
    const ts = project.state().tickets[key];
    expect(ts.attempts.map((a: any) => [a.outcome, a.counted])).toEqual([['no_changes', true], ['pr_opened', false]]);
    expect(lin.issue(key).attachments.map((a) => a.url)).toEqual([ts.pr.url]);
    expect(sticky()).toHaveLength(1);
  });

  it('with a failed_state: an exhausted issue moves there, and `swarm retry` brings it back to Todo and runs it again', async () => {
    project.writeWorkflow(linearConfig({ tracker: { failed_state: 'Backlog' }, agent: { max_attempts: 1 } }));
    const key = lin.addIssue({ title: 'Agent gives up, operator retries' });
    project.setScenarios({ [key]: ['no_changes', 'commit_and_pr'] });

    daemon = startDaemon(project);
    await waitFor(() => lin.issue(key).state === 'Backlog' && project.state().tickets[key]?.status === 'failed', { timeoutMs: 60_000, what: 'moved to failed_state' });
    expect(lin.issue(key).labels).not.toContain('agent:failed');
    // Backlog is not an eligible state: the issue is no longer listed, so only the retry can bring it back.
    const polls = ops(POLL).length;
    await waitFor(() => ops(POLL).length >= polls + 2, { timeoutMs: 30_000, what: 'two more polls' });
    expect(started()).toEqual([key]);

    const retry = await runCli(project, ['retry', key]);
    expect(retry.code, retry.stdout + retry.stderr).toBe(0);
    await waitFor(() => inReview(key), { timeoutMs: 60_000, what: 'in review after swarm retry' });
    await daemon.stop();
    expect(started()).toEqual([key, key]);
    const ts = project.state().tickets[key];
    expect(ts.attempts.map((a: any) => [a.outcome, a.counted])).toEqual([['no_changes', true], ['pr_opened', false]]);
    expect(ts.failures).toBe(0);
    expect(lin.issue(key).attachments.map((a) => a.url)).toEqual([ts.pr.url]);
  });

  it('without GitHub access and pr.auto_open: false, hands off the pushed branch (no attachment)', async () => {
    // No GitHub token anywhere (and the origin is a plain path): PRs cannot be detected or opened.
    for (const k of ['SWARM_TEST_GH_TOKEN', 'GITHUB_API_URL']) delete project.env[k];
    project.env.PATH = `${path.join(project.base, 'no-gh')}:${project.env.PATH}`; // a `gh` that is not logged in
    fs.mkdirSync(path.join(project.base, 'no-gh'));
    fs.writeFileSync(path.join(project.base, 'no-gh', 'gh'), '#!/bin/sh\necho "not logged in" >&2\nexit 1\n', { mode: 0o755 });
    const noGitHub = { tracker: { repo: null, token: null }, agent: { env: { FAKE_GITHUB_TOKEN: 'unused', FAKE_GITHUB_API: 'unused' } } };
    // With pr.auto_open (the default) swarm must open PRs, so a missing GitHub token is a startup error.
    project.writeWorkflow(linearConfig(noGitHub));
    const refused = await runCli(project, ['start', '--once']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/GitHub token.*pr.auto_open: false/);
    project.writeWorkflow(linearConfig(merge(noGitHub, { pr: { auto_open: false } })));
    const key = lin.addIssue({ title: 'Branch only', branchName: 'eng-1-branch-only' });
    project.setScenarios({ default: ['commit_only'] });

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(lin.issue(key).state).toBe('In Review');
    expect(lin.issue(key).attachments).toEqual([]);
    const ts = project.state().tickets[key];
    expect(ts.status).toBe('review');
    expect(ts.attempts.map((a: any) => a.outcome)).toEqual(['pr_auto_opened']);
    const { stdout } = await execFileP('git', ['--git-dir', project.origin, 'branch', '--list', 'swarm/eng-1-branch-only']);
    expect(stdout).toContain('swarm/eng-1-branch-only');
    expect(lin.issue(key).comments.filter((c) => c.body.includes(STICKY))[0]!.body).toContain('swarm/eng-1-branch-only');
    const env = project.claudeCalls()[0]!.env;
    expect(env.SWARM_REPO).not.toBe('ENG');
  });

  it('refuses to start with a workflow state the team does not have, naming it (exit 2)', async () => {
    project.writeWorkflow(linearConfig({ tracker: { states: ['Todo', 'Ready for agent'] } }));
    const res = await runCli(project, ['start', '--once']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('tracker.states "Ready for agent"');
    expect(res.stderr).toContain('Todo'); // the valid names are listed
    expect(res.stderr).not.toMatch(/\n\s+at /); // one sentence, no stack
    expect(res.stderr).not.toContain(KEY);
    const doctor = await runCli(project, ['doctor']);
    expect(doctor.code, doctor.stdout).not.toBe(0);
    expect(doctor.stdout).toContain('tracker.states "Ready for agent"');
    expect(doctor.stdout).toMatch(/pull requests.*GitHub \(http:\/\/127\.0\.0\.1/);
    expect(doctor.stdout + doctor.stderr).not.toContain(KEY);

    project.writeWorkflow(linearConfig({ tracker: { review_state: 'Code Review' } }));
    const res2 = await runCli(project, ['start', '--dry-run']);
    expect(res2.code).toBe(2);
    expect(res2.stderr).toContain('tracker.review_state "Code Review"');
    expect(fs.existsSync(path.join(project.swarmDir, 'state.json'))).toBe(false);
  });

  it('keeps the last good configuration when a reload names a state the team does not have', async () => {
    project.writeWorkflow(linearConfig());
    const first = lin.addIssue({ title: 'Running during the bad edit', priority: 1 });
    const second = lin.addIssue({ title: 'Dispatched under the last good config', priority: 2 });
    project.setScenarios({ default: ['commit_and_pr'], [first]: [[{ sleep: 3000 }, 'commit_and_pr']] });

    daemon = startDaemon(project);
    await waitFor(() => project.claudeCalls().length === 1, { timeoutMs: 60_000, what: 'first agent started' });
    project.writeWorkflow(linearConfig({ tracker: { states: ['Ready for agent'] } }));
    const status = await waitFor(async () => {
      const s = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
      return s.daemon?.config_error ? s : null;
    }, { timeoutMs: 60_000, what: 'config error in status' });
    expect(status.daemon.config_error).toContain('tracker.states "Ready for agent"');
    // Still polling and dispatching with the old states: the second issue is picked up from Todo.
    await waitFor(() => inReview(first, second), { timeoutMs: 90_000, what: 'both in review' });
    expect(project.events().filter((e) => e.type === 'config_error')).toHaveLength(1);
    expect(project.events().some((e) => e.type === 'cancelled')).toBe(false);

    project.writeWorkflow(linearConfig());
    await daemon.waitForOutput(/is valid again/, 60_000);
  });

  it('polls within the complexity budget, works an issue whose blocker was closed as a duplicate, and prompts with comments oldest first', async () => {
    const prompt = `${DEFAULT_PROMPT}{% for c in issue.comments %}[{{ c.author }}] {{ c.body }}\n{% endfor %}`;
    project.writeWorkflow(linearConfig(), prompt);
    lin.addUser('Ada Lovelace');
    const original = lin.addIssue({ title: 'The original report', labels: ['bug'] });
    const blocked = lin.addIssue({ title: 'Blocked by a duplicate', branchName: 'eng-2-blocked-by-a-duplicate' });
    lin.addRelation(original, blocked);
    lin.addRelation(lin.addIssue({ title: 'Looks alike', labels: ['bug'] }), blocked, 'similar'); // never a blocker
    lin.setState(original, 'Duplicate'); // a duplicate is closed: it blocks no longer
    lin.addComment(blocked, 'First: the login form drops the password.', 'Ada Lovelace');
    lin.addComment(blocked, 'Synced from Slack by an integration.', null); // no user: not for the agent
    lin.addComment(blocked, 'Second: keep the old endpoint working.', 'Ada Lovelace');

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(lin.issue(blocked).state).toBe('In Review');
    expect(lin.issue(original).state).toBe('Duplicate'); // never moved
    // Every poll was accepted, priced by the fake's complexity model well under half of Linear's cap.
    const polls = ops(POLL);
    expect(polls.length).toBeGreaterThan(0);
    for (const p of polls) {
      expect(p.status).toBe(200);
      expect(p.complexity!).toBeLessThan(5_000);
    }
    const text = fs.readFileSync(path.join(project.promptDir, `${blocked}-1.txt`), 'utf8');
    expect(text).toContain('[Ada Lovelace] First: the login form drops the password.\n[Ada Lovelace] Second: keep the old endpoint working.\n');
    expect(text).not.toContain('Slack');
  });

  it('a poll Linear refuses as too complex is one clear error in the log and in status, not retried, until page_size is fixed', async () => {
    // A page_size Linear never accepts is a configuration error before anything is sent (issue 24).
    project.writeWorkflow(linearConfig({ tracker: { page_size: 250 } }));
    const config = await runCli(project, ['start', '--once']);
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/tracker\.page_size must be at most 135 with Linear \(got 250\)/);
    expect(lin.requests).toEqual([]);
    // A page Linear used to accept and now refuses (it moved its per-document cap): refused at run time.
    lin.setMaxComplexity(9_000);
    project.writeWorkflow(linearConfig({ tracker: { page_size: 130 } }));
    const key = lin.addIssue({ title: 'Waits for a poll Linear accepts' });
    const refused = () => ops('SwarmCandidates').filter((r) => r.status === 400);

    const doctor = await runCli(project, ['doctor']);
    expect(doctor.code, doctor.stdout).not.toBe(0);
    expect(doctor.stdout).toMatch(/candidates query.*too complex \(9,\d{3} points, at most 9,000 allowed\)/);
    expect(doctor.stdout).toContain('lower tracker.page_size');
    expect(refused()).toHaveLength(1);
    // --until-idle cannot wait for a poll the tracker will never accept: it stops, naming the fix.
    const idle = await runCli(project, ['start', '--until-idle']);
    expect(idle.code, idle.stdout + idle.stderr).toBe(2);
    expect(idle.stdout).toMatch(/stopping: Linear refuses SwarmCandidates as too complex.*lower tracker\.page_size/);
    expect(refused()).toHaveLength(2);
    fs.rmSync(path.join(project.swarmDir, 'state.json'));
    fs.rmSync(path.join(project.swarmDir, 'events.jsonl'));

    daemon = startDaemon(project);
    const refusal = () => { const r = project.report(); return r?.pid === daemon!.proc.pid ? r.tracker_error ?? null : null; };
    const recorded = await waitFor(refusal, { timeoutMs: 60_000, what: 'tracker error in the daemon report' });
    // More polls meet the same refusal (each pushes `until`), but the document is not sent again.
    let seen = recorded.until;
    for (let i = 0; i < 2; i++) {
      seen = await waitFor(() => { const u = refusal()?.until; return u && u > seen ? u : null; }, { timeoutMs: 30_000, what: 'another refused poll' });
    }
    expect(refused()).toHaveLength(3); // doctor's, --until-idle's and the daemon's first
    const status = await runCli(project, ['status']);
    expect(status.stdout).toContain('TRACKER REFUSES THE POLL since');
    expect(status.stdout.replace(/\s+/g, ' ')).toMatch(/Linear refuses SwarmCandidates as too complex \(9,\d{3} points, at most 9,000 allowed\): lower tracker\.page_size \(now 130;/);
    const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(json.daemon.tracker_error.message).toBe(recorded.message);
    expect(json.pause).toBeNull(); // not a transient pause with a retry
    expect(project.events().filter((e) => e.type === 'tracker_refused')).toHaveLength(1);
    expect(project.events().some((e) => e.type === 'paused' || e.type === 'tracker_error')).toBe(false);
    expect((daemon.stdout + daemon.stderr).split('tracker refuses the poll').length - 1).toBe(1);
    expect(lin.issue(key).state).toBe('Todo');

    // The operator lowers page_size: the daemon picks it up, polls are accepted, the issue is worked.
    project.writeWorkflow(linearConfig({ tracker: { page_size: 50 } }));
    await waitFor(() => inReview(key), { timeoutMs: 60_000, what: `${key} in review` });
    await waitFor(async () => JSON.parse((await runCli(project, ['status', '--json'])).stdout).daemon.tracker_error === null, { timeoutMs: 60_000, what: 'refusal gone from status' });
    expect(refused()).toHaveLength(3);
  });

  it('lists all of 60 eligible issues across pages in --dry-run, urgent first, and changes nothing', async () => {
    project.writeWorkflow(linearConfig({ agent: { max_concurrent: 2 } }));
    const keys = Array.from({ length: 60 }, (_, i) => lin.addIssue({ title: `Bulk task ${i + 1}`, priority: i === 41 ? 1 : 3 }));
    const res = await runCli(project, ['start', '--dry-run']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('60 open ticket(s)');
    expect(res.stdout).toContain('60 eligible');
    const listed = res.stdout.split('\n').filter((l) => /^\s+(claim|wait)\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    expect([...listed].sort()).toEqual([...keys].sort());
    expect(listed[0]).toBe(keys[41]); // urgent, though created 42nd
    expect(ops('SwarmCandidates')).toHaveLength(2); // 50 + 10
    for (const k of keys) {
      expect(lin.issue(k).state).toBe('Todo');
      expect(lin.issue(k).comments).toEqual([]);
    }
  });
  it('PR follow-through on Linear: a failing check on the GitHub PR → one follow-up, In Progress while it runs, back to In Review; merged → done', async () => {
    project.writeWorkflow(linearConfig({ pr: { watch_interval: '1s' } }));
    const key = lin.addIssue({ title: 'Follow me through', branchName: 'eng-1-follow-me-through' });
    const fix = [{ init: true }, { text: 'Fixing.' }, { commit: { file: 'fix.txt' } }, { push: true }, { result: {} }];
    project.setScenarios({ [key]: ['commit_and_pr', [{ sleep: 1500 }, ...fix]] });
    daemon = startDaemon(project);
    await waitFor(() => inReview(key) && gh.pulls.length === 1, { timeoutMs: 60_000, what: `${key} in review with its PR` });
    const pr = gh.pulls[0]!.number;
    await gh.addCheckRun(pr, { name: 'build', conclusion: 'failure', summary: 'broken', log: 'error: it broke\n' });
    await waitFor(() => lin.issue(key).state === 'In Progress', { timeoutMs: 30_000, what: `${key} In Progress for the follow-up` });
    await waitFor(() => project.events().some((e) => e.type === 'followup_pushed'), { timeoutMs: 60_000, what: 'the follow-up pushed' });
    await waitFor(() => inReview(key), { timeoutMs: 30_000, what: `${key} back in review` });
    expect(project.claudeCalls()).toHaveLength(2);
    expect(gh.pulls).toHaveLength(1);
    gh.mergePull(pr);
    await waitFor(() => Object.values(project.state().tickets).some((t: any) => t.status === 'done'), { timeoutMs: 30_000, what: 'done once merged' });
  });
});
