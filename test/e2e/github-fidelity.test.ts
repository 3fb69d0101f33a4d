// The daemon against GitHub behaviours it used to get wrong, end to end (bin/swarm.js as a real process, the
// fake GitHub, the fake claude): blockers that clear, custom repository roles, an issue transferred away
// mid-run, and a token replaced while the daemon runs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub, LoggedRequest } from '../helpers/fake-github.js';
import { makeFakeGh } from '../helpers/fake-gh.js';
import { githubConfig, runCli, startDaemon, waitFor, type Daemon, type Project, githubWorld, teardown } from '../helpers/daemon.js';

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

const callsFor = (n: number) => project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(n));
const prFor = (n: number) => gh.pulls.find((p) => new RegExp(`Closes #${n}\\b`).test(p.body ?? ''));
const isListing = (r: LoggedRequest) => r.method === 'GET' && r.path.startsWith('/repos/acme/widgets/issues?');

describe('GitHub fidelity, end to end', () => {
  it('blocked tickets wait for their blockers (body lines and native), --until-idle exits while only they remain, an idle poll is one 304', async () => {
    project.writeWorkflow(githubConfig(gh));
    const one = gh.addIssue({ title: 'The blocker', labels: ['agent'] });
    const two = gh.addIssue({ title: 'Waits for the blocker', body: `Blocked by #${one}`, labels: ['agent'] });
    const three = gh.addIssue({ title: 'Natively blocked', labels: ['agent'] });
    const four = gh.addIssue({ title: 'Native blocker, not for the agent' });
    gh.setBlockedBy(three, [four]);
    const five = gh.addIssue({ title: 'Depends on old work', body: `Depends on #${four + 2}`, labels: ['agent'] });
    const six = gh.addIssue({ title: 'Old work', state: 'closed' });
    expect([one, two, three, four, five, six]).toEqual([1, 2, 3, 4, 5, 6]);

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 90_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(prFor(one)).toBeDefined();
    expect(prFor(five)).toBeDefined();
    expect(callsFor(two)).toHaveLength(0);
    expect(callsFor(three)).toHaveLength(0);

    gh.clearRequests();
    daemon = startDaemon(project);
    await daemon.waitForOutput(/swarm started/);
    await waitFor(() => gh.requests.filter(isListing).length >= 4, { what: 'four polls' });
    // Between the third and the fourth listing nothing changed: the poll is the listing, answered 304.
    const at = gh.requests.map((r, i) => (isListing(r) ? i : -1)).filter((i) => i >= 0);
    const idle = gh.requests.slice(at[2], at[3]);
    expect(idle.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`GET ${gh.requests[at[2]!]!.path} 304`]);

    gh.closeIssue(one);
    await waitFor(() => prFor(two), { timeoutMs: 60_000, what: 'a PR for the ticket whose body blocker closed' });
    expect(callsFor(three)).toHaveLength(0);
    gh.closeIssue(four);
    await waitFor(() => prFor(three), { timeoutMs: 60_000, what: 'a PR for the ticket whose native blocker closed' });
    expect([one, two, three, five].map((n) => callsFor(n).length)).toEqual([1, 1, 1, 1]);
  });

  it('trusts a labeller whose custom role is built on write, not one built on read', async () => {
    gh.setCustomRole('deployer', 'release-manager', 'write');
    gh.setCustomRole('auditor', 'security-auditor', 'read');
    project.writeWorkflow(githubConfig(gh, { tracker: { trusted_labelers_only: true } }));
    const trusted = gh.addIssue({ title: 'From the release manager', labels: ['agent'], labeledBy: 'deployer' });
    const refused = gh.addIssue({ title: 'From the auditor', labels: ['agent'], labeledBy: 'auditor' });
    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 90_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(prFor(trusted)).toBeDefined();
    expect(callsFor(refused)).toHaveLength(0);
    expect(gh.labelsOf(refused)).toEqual(['agent']);
    expect(res.stdout).toMatch(new RegExp(`#${refused}\\s+ignored: label \`agent\` was applied by @auditor, who has security-auditor permission \\(read access\\)`));
    // No waste on the way: one listing of the comments for the claim (the sticky lookup serves the prompt),
    // and no DELETE of a label the ticket does not carry.
    expect(gh.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/repos/acme/widgets/issues/${trusted}/comments`))).toHaveLength(1);
    expect(gh.requests.filter((r) => r.method === 'DELETE' && r.status === 404)).toEqual([]);
  });

  it('cancels a ticket transferred away mid-run and writes nothing to it, nor to the issue that has its number there', async () => {
    project.writeWorkflow(githubConfig(gh));
    project.setScenarios({ default: [[{ init: true }, { hang: true }]] });
    const dest = gh.repository('acme/other');
    const n = gh.addIssue({ title: 'Will move to another repository', labels: ['agent'] });
    const namesake = dest.addIssue({ title: 'Has the same number in acme/other' });
    expect(namesake).toBe(n);
    daemon = startDaemon(project);
    await waitFor(() => callsFor(n).length === 1 && gh.comments.some((c) => c.issue === n && c.body.includes(STICKY)), { timeoutMs: 60_000, what: 'the agent running, the claim shown' });

    const mark = gh.requests.length;
    const moved = gh.transferIssue(n, 'acme/other');
    const movedComments = () => dest.comments.filter((c) => c.issue === moved).map((c) => `${c.id}:${c.body}`);
    const before = movedComments();
    await waitFor(() => project.events().some((e) => e.type === 'cancelled' && e.ticket === `#${n}`), { timeoutMs: 30_000, what: 'cancelled' });
    await waitFor(() => project.state().tickets[String(n)].attempts[0]?.outcome === 'cancelled', { timeoutMs: 30_000, what: 'the attempt stopped' });
    const polls = gh.requests.filter(isListing).length;
    await waitFor(() => gh.requests.filter(isListing).length >= polls + 2, { what: 'two more polls' });

    const after = gh.requests.slice(mark);
    expect(after.filter((r) => r.method !== 'GET' && r.status !== 301)).toEqual([]); // no write landed
    // GETs follow GitHub's redirect and find the issue elsewhere (its repository_url says so); no write follows.
    expect(after.filter((r) => r.method !== 'GET' && (r.path.startsWith('/repositories/') || r.path.startsWith('/repos/acme/other')))).toEqual([]);
    expect(dest.events).toEqual([]); // no label ever added or removed over there
    expect(dest.comments.filter((c) => c.issue === namesake)).toEqual([]);
    expect(movedComments()).toEqual(before);
    expect(project.state().tickets[String(n)].status).toBe('released');
  });

  it('picks up a token replaced by `gh auth token` after the old one starts failing, without a restart', async () => {
    const fakeGh = makeFakeGh(project.base, gh.token);
    project.env.PATH = fakeGh.path;
    project.writeWorkflow(githubConfig(gh, { tracker: { token: null } }));
    project.setScenarios({ default: ['commit_only'] }); // swarm opens the PR itself, with its own token
    const first = gh.addIssue({ title: 'Before the rotation', labels: ['agent'] });
    daemon = startDaemon(project);
    await waitFor(() => prFor(first), { timeoutMs: 60_000, what: 'a PR before the rotation' });

    const fresh = 'gho_rotatedByGhAuthRefresh0001';
    fakeGh.setToken(fresh);
    gh.setTokens([fresh]);
    const second = gh.addIssue({ title: 'After the rotation', labels: ['agent'] });
    await waitFor(() => prFor(second), { timeoutMs: 60_000, what: 'a PR after the rotation' });

    expect(fakeGh.calls()).toEqual(['auth token --hostname 127.0.0.1', 'auth token --hostname 127.0.0.1']);
    expect(gh.requests.filter((r) => r.status === 401).length).toBeGreaterThan(0);
    expect(project.events().filter((e) => e.type === 'paused')).toEqual([]);
    expect(daemon.stdout + daemon.stderr).not.toContain(fresh);
  });
});
