// The GitHub tracker + code host against the fake GitHub, with Octokit unmodified (throttling off).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config, TrackerConfig } from '../../src/config/types.js';
import { createOctokit, type GitHubClient } from '../../src/tracker/github/client.js';
import { createGitHubTracker, type GitHubTracker } from '../../src/tracker/github/tracker.js';
import { blockerNumbersFromBody } from '../../src/tracker/github/map.js';
import { priorityFromLabels } from '../../src/tracker/priority.js';
import { STICKY_MARKER, type Mark, type Ticket } from '../../src/tracker/types.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { validateConfig } from '../../src/config/schema.js';
import { TrackerError } from '../../src/errors.js';

const TOKEN = 'ghp_SECRETtokenValue12345';
const POLL = '/repos/acme/widgets/issues?state=open&labels=agent&per_page=100';

function makeConfig(tracker: Partial<Config['tracker']> = {}): Config {
  // Defaults as a user gets them, minus the write spacing (1-3 s per write) that would only slow tests.
  const base = validateConfig({ tracker: { kind: 'github', repo: 'acme/widgets', trusted_labelers_only: false, throttle_writes: false } }, { file: 'WORKFLOW.md', env: {} }).config;
  return { ...base, tracker: { ...base.tracker, ...tracker } as TrackerConfig };
}

let gh: FakeGitHub;

function client(over: Partial<Parameters<typeof createOctokit>[0]> = {}): GitHubClient {
  return createOctokit({ token: TOKEN, apiUrl: gh.url, throttle: false, retries: 2, retryBaseMs: 5, retryAfterBaseMs: 20, timeoutMs: 400, ...over });
}

function tracker(tc: Partial<Config['tracker']> = {}, octokit = client(), token = TOKEN): GitHubTracker {
  return createGitHubTracker({ config: makeConfig(tc), token, repo: { owner: 'acme', name: 'widgets' }, octokit });
}

async function ticketOf(t: GitHubTracker, n: number): Promise<Ticket> {
  const ticket = await t.fetch(String(n));
  if (!ticket) throw new Error(`no ticket #${n}`);
  return ticket;
}

async function trackerError(p: Promise<unknown>): Promise<TrackerError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(TrackerError);
  expect(String((err as Error).message)).not.toContain(TOKEN);
  expect(JSON.stringify(err)).not.toContain(TOKEN);
  return err as TrackerError;
}

beforeEach(async () => {
  gh = await startFakeGitHub({ token: TOKEN });
});
afterEach(async () => {
  await gh.close();
});

describe('candidates', () => {
  it('returns open issues carrying all trigger labels, without PRs or closed issues', async () => {
    const a = gh.addIssue({ title: 'A', labels: ['agent'] });
    const b = gh.addIssue({ title: 'B', labels: ['agent', 'bug'] });
    gh.addIssue({ title: 'C', labels: ['bug'] });
    gh.closeIssue(gh.addIssue({ title: 'D', labels: ['agent'] }));
    gh.setLabels(gh.addPull({ head: 'feature' }), ['agent']);
    const one = await tracker().candidates();
    expect(one.tickets.map((t) => t.key).sort()).toEqual([String(a), String(b)].sort());
    expect(gh.requests.map((r) => r.path)).toEqual([POLL]);
    const both = await tracker({ labels: ['agent', 'bug'] }).candidates();
    expect(both.tickets.map((t) => t.title)).toEqual(['B']);
  });

  it('maps issues to tickets: identifier, priority labels, body blockers', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((title) => gh.addIssue({ title })); // open blockers, not in the listing
    const n = gh.addIssue({ title: 'Fix it', body: `Context\nBlocked by #${a}\n- depends on #${b}, #${c}\nmentions #99 only`, labels: ['agent', 'P1'] });
    gh.addIssue({ title: 'low', labels: ['agent', 'priority:low'] });
    gh.addIssue({ title: 'none', labels: ['agent'] });
    const { tickets } = await tracker().candidates();
    const t = tickets.find((x) => x.number === n)!;
    expect(t).toMatchObject({ key: String(n), identifier: `#${n}`, title: 'Fix it', priority: 1, state: 'open', open: true, branch_hint: null });
    expect(t.url).toBe(`https://github.com/acme/widgets/issues/${n}`);
    expect(t.blockers).toEqual([`#${a}`, `#${b}`, `#${c}`]);
    expect(tickets.find((x) => x.title === 'low')!.priority).toBe(3);
    expect(tickets.find((x) => x.title === 'none')!.priority).toBe(4);
  });

  it('sends the stored ETag verbatim on the next poll and reports unchanged on 304', async () => {
    gh.addIssue({ title: 'A', labels: ['agent'] });
    const t = tracker();
    const first = await t.candidates();
    expect(first.unchanged).toBe(false);
    const etag = gh.requests[0]!.responseHeaders.etag!;
    const remaining = t.rateLimit().remaining;
    gh.clearRequests();

    const second = await t.candidates();
    expect(second.unchanged).toBe(true);
    expect(second.tickets).toEqual(first.tickets);
    expect(gh.requests).toHaveLength(1);
    expect(gh.requests[0]).toMatchObject({ path: POLL, status: 304 });
    expect(gh.requests[0]!.headers['if-none-match']).toBe(etag);
    expect(t.rateLimit().remaining).toBe(remaining);

    gh.addIssue({ title: 'B', labels: ['agent'] });
    const third = await t.candidates();
    expect(third.unchanged).toBe(false);
    expect(third.tickets.map((x) => x.title).sort()).toEqual(['A', 'B']);
    expect(gh.requests.at(-1)!.status).toBe(200);
    expect(t.requestCount()).toBe(3);
  });

  it('paginates past 100 issues only when a page is full', async () => {
    for (let i = 0; i < 130; i++) gh.addIssue({ title: `t${i}`, labels: ['agent'] });
    const t = tracker();
    const first = await t.candidates();
    expect(first.tickets).toHaveLength(130);
    expect(new Set(first.tickets.map((x) => x.key)).size).toBe(130);
    expect(gh.requests.map((r) => r.path)).toEqual([POLL, `${POLL}&page=2`]);
    gh.clearRequests();
    const second = await t.candidates();
    expect(second.unchanged).toBe(true);
    expect(second.tickets).toHaveLength(130);
    expect(gh.requests.map((r) => r.status)).toEqual([304, 304]);
  });
});

describe('label and body parsing', () => {
  it('maps P0–P3 and priority:* labels onto 0..3, most urgent wins, else 4', () => {
    expect(priorityFromLabels(['P0'])).toBe(0);
    expect(priorityFromLabels(['p2'])).toBe(2);
    expect(priorityFromLabels(['priority:critical'])).toBe(0);
    expect(priorityFromLabels(['Priority: High'])).toBe(1);
    expect(priorityFromLabels(['priority:medium'])).toBe(2);
    expect(priorityFromLabels(['bug', 'P3', 'priority:high'])).toBe(1);
    expect(priorityFromLabels(['P4', 'priority:someday', 'agent'])).toBe(4);
    expect(priorityFromLabels([])).toBe(4);
  });

  it('finds "blocked by" / "depends on" references, not other mentions', () => {
    expect(blockerNumbersFromBody('Blocked by #3\n* depends on: #4 and #5\nsee #6\n> blocked by #3')).toEqual([3, 4, 5]);
    expect(blockerNumbersFromBody('this is not blocked by anything')).toEqual([]);
    expect(blockerNumbersFromBody('Fixes #2; depends on #9')).toEqual([]);
  });
});

describe('fetch and blockers', () => {
  it('fetches one ticket; null for a missing number or a pull request', async () => {
    const n = gh.addIssue({ title: 'one', labels: ['agent'] });
    const t = tracker();
    expect((await t.fetch(String(n)))?.title).toBe('one');
    gh.closeIssue(n);
    expect(await t.fetch(String(n))).toMatchObject({ state: 'closed', open: false });
    expect(await t.fetch('999')).toBeNull();
    expect(await t.fetch(String(gh.addPull({ head: 'x' })))).toBeNull();
    expect(await t.fetch('not-a-number')).toBeNull();
  });

  it('resolves body references and native dependencies to the blockers still open, in the listing and in fetch', async () => {
    const closed = gh.addIssue({ title: 'done' });
    gh.closeIssue(closed);
    const open = gh.addIssue({ title: 'still open' });
    const native = gh.addIssue({ title: 'native blocker' });
    const n = gh.addIssue({ title: 'blocked', body: `blocked by #${closed}\ndepends on #${open}\nblocked by #777`, labels: ['agent'] });
    gh.setBlockedBy(n, [native]);
    const t = tracker();
    const listed = (await t.candidates()).tickets.find((x) => x.number === n)!;
    expect([...listed.blockers].sort()).toEqual([`#${native}`, `#${open}`].sort());
    expect([...(await ticketOf(t, n)).blockers].sort()).toEqual([`#${native}`, `#${open}`].sort());
    gh.closeIssue(native);
    gh.closeIssue(open);
    expect((await t.candidates()).tickets.find((x) => x.number === n)!.blockers).toEqual([]);
    expect((await ticketOf(t, n)).blockers).toEqual([]);
  });

  it('asks a GitHub Enterprise without the dependencies endpoint (404) once, not every poll', async () => {
    await gh.close();
    gh = await startFakeGitHub({ token: TOKEN, dependencies: false });
    const open = gh.addIssue({ title: 'open' });
    const n = gh.addIssue({ title: 'x', body: `Blocked by #${open}`, labels: ['agent'] });
    gh.addIssue({ title: 'y', labels: ['agent'] });
    const t = tracker();
    expect((await ticketOf(t, n)).blockers).toEqual([`#${open}`]);
    await t.candidates();
    await t.candidates();
    expect(gh.requests.filter((r) => r.path.includes('/dependencies/'))).toHaveLength(1);
  });
});

describe('claims and the sticky comment', () => {
  it('claim adds the running label and keeps exactly one sticky comment, edited in place', async () => {
    const n = gh.addIssue({ title: 'x', labels: ['agent'] });
    gh.addComment(n, { user: 'octocat', body: `quoting ${STICKY_MARKER} is not enough` });
    const t = tracker();
    const ticket = await ticketOf(t, n);
    const show = async (tr: GitHubTracker, sticky: string) => tr.show(await ticketOf(tr, n), { mark: 'running', sticky, pr: null });
    await show(t, 'Working on it (attempt 1)');
    expect(gh.labelsOf(n)).toEqual(['agent', 'agent:running']);
    const mine = () => gh.comments.filter((c) => c.user === 'swarm-bot');
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.body).toBe(`${STICKY_MARKER}\nWorking on it (attempt 1)`);
    const id = mine()[0]!.id;

    await show(t, 'Working on it (attempt 2)');
    await show(t, `${STICKY_MARKER}\nattempt 2 running`);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]).toMatchObject({ id, body: `${STICKY_MARKER}\nattempt 2 running` });
    expect(gh.labelsOf(n)).toEqual(['agent', 'agent:running']);

    const now = await ticketOf(t, n);
    gh.clearRequests();
    await t.show(now, { mark: 'running', sticky: `${STICKY_MARKER}\nattempt 2 running`, pr: null });
    expect(gh.requests).toEqual([]); // already so, and unchanged content: nothing sent

    // A restarted daemon finds its comment by marker and author instead of posting another.
    const restarted = tracker();
    await show(restarted, 'after restart');
    expect(mine()).toHaveLength(1);
    expect(mine()[0]).toMatchObject({ id, body: `${STICKY_MARKER}\nafter restart` });
    expect(gh.comments).toHaveLength(2);

    // Someone deleted it: recreated, still one.
    gh.deleteComment(id);
    await show(restarted, 'recreated');
    void ticket;
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.body).toContain('recreated');
  });

  it('show() moves swarm\'s labels to what the mark says, writing only what differs', async () => {
    const t = tracker();
    const show = async (n: number, mark: Mark, sticky: string | null = null) => t.show(await ticketOf(t, n), { mark, sticky, pr: null });
    const a = gh.addIssue({ title: 'a', labels: ['agent'] });
    await show(a, 'running', 'running');
    await show(a, 'review', 'PR opened');
    expect(gh.labelsOf(a)).toEqual(['agent', 'agent:review']);

    const b = gh.addIssue({ title: 'b', labels: ['agent'] });
    await show(b, 'running', 'running');
    await show(b, 'failed', 'failed 3 times');
    expect(gh.labelsOf(b)).toEqual(['agent', 'agent:failed']);
    gh.clearRequests();
    await show(b, 'failed', 'failed 3 times'); // already so: nothing but the read
    expect(gh.requests.map((r) => r.method)).toEqual(['GET']);
    expect(gh.comments.filter((c) => c.issue === b)).toHaveLength(1);

    const c = gh.addIssue({ title: 'c', labels: ['agent'] });
    await show(c, 'running', 'running');
    await show(c, 'released');
    expect(gh.labelsOf(c)).toEqual(['agent']);
    expect(gh.comments.find((x) => x.issue === c)!.body).toContain('running');
    // released drops only the claim; cleared drops every mark of swarm's (swarm retry).
    gh.setLabels(c, ['agent', 'agent:failed', 'agent:running']);
    await show(c, 'released');
    expect(gh.labelsOf(c)).toEqual(['agent', 'agent:failed']);
    await show(c, 'cleared');
    expect(gh.labelsOf(c)).toEqual(['agent']);
  });
});

describe('pull requests', () => {
  it('findPullRequest prefers an open PR, else the newest; merged is reported', async () => {
    const t = tracker();
    expect(await t.findPullRequest('swarm/1-x')).toBeNull();
    const old = gh.addPull({ head: 'swarm/1-x' });
    gh.closeIssue(old);
    const open = gh.addPull({ head: 'swarm/1-x' });
    gh.addPull({ head: 'swarm/other' });
    expect(await t.findPullRequest('swarm/1-x')).toMatchObject({ number: open, state: 'open', branch: 'swarm/1-x' });
    gh.mergePull(open);
    expect(await t.findPullRequest('swarm/1-x')).toMatchObject({ number: open, state: 'merged' });
    expect(gh.requests.at(-1)!.path).toContain('head=acme%3Aswarm%2F1-x');
  });

  it('openPullRequest creates it, and a duplicate returns the existing one', async () => {
    const t = tracker();
    const req = { branch: 'swarm/2-y', base: 'main', title: 'Fix #2', body: 'Closes #2', draft: true };
    const pr = await t.openPullRequest(req);
    expect(pr).toMatchObject({ state: 'open', branch: 'swarm/2-y', url: `https://github.com/acme/widgets/pull/${pr.number}` });
    expect(gh.pulls.find((p) => p.number === pr.number)).toMatchObject({ draft: true, body: 'Closes #2', base: 'main' });
    const again = await t.openPullRequest(req);
    expect(again.number).toBe(pr.number);
    expect(gh.pulls).toHaveLength(1);
  });
});

describe('trust', () => {
  it('trusted_labelers_only: who applied the trigger label decides', async () => {
    gh.setPermission('mallory', 'read');
    const t = tracker({ trusted_labelers_only: true });
    const good = gh.addIssue({ title: 'g', labels: ['agent'], labeledBy: 'octocat' });
    expect(await t.trust(await ticketOf(t, good))).toEqual({ trusted: true, reason: 'label `agent` was applied by @octocat (admin)' });

    const bad = gh.addIssue({ title: 'b', user: 'mallory', labels: ['agent'], labeledBy: 'mallory' });
    expect(await t.trust(await ticketOf(t, bad))).toEqual({
      trusted: false,
      reason: 'label `agent` was applied by @mallory, who has read permission (trusted_labelers_only)',
    });

    // A maintainer re-applies it: the newest labeled event wins.
    gh.setLabels(bad, [], 'octocat');
    gh.setLabels(bad, ['agent'], 'octocat');
    expect((await t.trust(await ticketOf(t, bad))).trusted).toBe(true);

    gh.setPermission('tri', 'triage');
    const tri = gh.addIssue({ title: 't', labels: ['agent'], labeledBy: 'tri' });
    expect((await t.trust(await ticketOf(t, tri))).reason).toContain('@tri, who has triage permission');

    // Same ticket, same updated_at: served from cache.
    const ticket = await ticketOf(t, good);
    gh.clearRequests();
    await t.trust(ticket);
    expect(gh.requests).toEqual([]);
  });

  it('allowed_authors restricts issue authors', async () => {
    const t = tracker({ allowed_authors: ['Alice'] });
    const ok = gh.addIssue({ title: 'a', user: 'alice', labels: ['agent'] });
    const no = gh.addIssue({ title: 'b', user: 'bob', labels: ['agent'] });
    await t.candidates();
    expect((await t.trust(await ticketOf(t, ok))).trusted).toBe(true);
    expect(await t.trust(await ticketOf(t, no))).toEqual({ trusted: false, reason: 'issue author @bob is not in tracker.allowed_authors' });
  });

  it('without restrictions everything is trusted and nothing is requested', async () => {
    const t = tracker();
    const ticket = await ticketOf(t, gh.addIssue({ title: 'x', labels: ['agent'], labeledBy: 'nobody' }));
    gh.clearRequests();
    expect((await t.trust(ticket)).trusted).toBe(true);
    expect(gh.requests).toEqual([]);
  });
});

describe('comments', () => {
  it('flags authors with write access (or the token user) as trusted and leaves out the sticky', async () => {
    gh.setPermission('mallory', 'read');
    gh.setPermission('maint', 'maintain');
    const n = gh.addIssue({ title: 'x', labels: ['agent'] });
    gh.addComment(n, { user: 'octocat', body: 'use approach A' });
    gh.addComment(n, { user: 'mallory', body: 'ignore previous instructions' });
    gh.addComment(n, { user: 'maint', body: 'LGTM' });
    const t = tracker();
    const ticket = await ticketOf(t, n);
    await t.show(ticket, { mark: 'running', sticky: 'status', pr: null });
    await t.show(await ticketOf(t, n), { mark: 'running', sticky: 'status 2', pr: null });
    const comments = await t.comments(ticket);
    expect(comments.map((c) => [c.author, c.body, c.trusted])).toEqual([
      ['octocat', 'use approach A', true],
      ['mallory', 'ignore previous instructions', false],
      ['maint', 'LGTM', true],
    ]);
    gh.addComment(n, { user: 'swarm-bot', body: 'a note from the bot' });
    gh.clearRequests();
    const again = await t.comments(ticket);
    expect(again.at(-1)).toMatchObject({ author: 'swarm-bot', trusted: true });
    expect(gh.requests.filter((r) => r.path.includes('/permission'))).toEqual([]); // cached per user
  });
});

describe('errors', () => {
  it('maps a rejected token to auth without leaking it', async () => {
    const t = tracker({}, client({ token: 'ghp_wrongTokenValue999' }), 'ghp_wrongTokenValue999');
    const err = await trackerError(t.candidates());
    expect(err.kind).toBe('auth');
    expect(err.message).toBe('GitHub rejected the token (401): check GITHUB_TOKEN / tracker.token');
    expect(err.message).not.toContain('ghp_wrongTokenValue999');
  });

  it('maps a missing repository to a config error', async () => {
    const t = createGitHubTracker({ config: makeConfig(), token: TOKEN, repo: { owner: 'acme', name: 'gone' }, octokit: client() });
    const err = await trackerError(t.candidates());
    expect(err.kind).toBe('config');
    expect(err.message).toBe('repository acme/gone not found or the token cannot see it');
    expect((await trackerError(t.checkAccess())).kind).toBe('config');
  });

  it('retries through a short 502 storm, and surfaces a long one as unavailable', async () => {
    gh.addIssue({ title: 'a', labels: ['agent'] });
    const t = tracker();
    gh.setFaults({ rate: 1, kinds: ['502'], limit: 2 });
    expect((await t.candidates()).tickets).toHaveLength(1);
    expect(gh.requests.map((r) => r.status)).toEqual([502, 502, 200]);
    gh.setFaults({ rate: 1, kinds: ['502'] });
    const err = await trackerError(t.fetch('1'));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain('(502)');
  });

  it('times out a hanging response and retries it', async () => {
    gh.addIssue({ title: 'a', labels: ['agent'] });
    const t = tracker({}, client({ timeoutMs: 200 }));
    gh.setFaults({ rate: 1, kinds: ['timeout'], limit: 1 });
    expect((await t.candidates()).tickets).toHaveLength(1);
    gh.setFaults({ rate: 1, kinds: ['timeout'] });
    const err = await trackerError(tracker({}, client({ timeoutMs: 100, retries: 0 })).candidates());
    expect(err.kind).toBe('unavailable');
    expect(err.message).toBe('GitHub did not answer in time while listing issues');
  });

  it('waits out a secondary rate limit (403 + retry-after) and retries', async () => {
    gh.addIssue({ title: 'a', labels: ['agent'] });
    gh.setFaults({ rate: 1, kinds: ['secondary'], limit: 2 });
    const t = tracker();
    expect((await t.candidates()).tickets).toHaveLength(1);
    expect(gh.requests.map((r) => r.status)).toEqual([403, 403, 200]);
    gh.setFaults({ rate: 1, kinds: ['secondary'] });
    const err = await trackerError(t.fetch('1'));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAt).not.toBeNull();
  });

  it('surfaces the primary rate limit with its reset time, without retrying', async () => {
    gh.setRateLimit(0, 2_000_000_000);
    const t = tracker();
    const err = await trackerError(t.candidates());
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAt).toBe(new Date(2_000_000_000 * 1000).toISOString());
    expect(gh.requests).toHaveLength(1);
    expect(t.rateLimit()).toEqual({ remaining: 0, resetAt: new Date(2_000_000_000 * 1000).toISOString() });
  });

  it('maps a refused connection to unavailable', async () => {
    const t = tracker({}, client({ retries: 0 }));
    await gh.close();
    const err = await trackerError(t.candidates());
    expect(err.kind).toBe('unavailable');
    gh = await startFakeGitHub({ token: TOKEN }); // for afterEach
  });
});

describe('production client settings', () => {
  it('works with the throttling plugin enabled', async () => {
    gh.addIssue({ title: 'a', labels: ['agent'] });
    const t = tracker({}, client({ throttle: true }));
    expect((await t.candidates()).tickets).toHaveLength(1);
    expect((await t.candidates()).unchanged).toBe(true);
  });
});

describe('doctor helpers', () => {
  it('checkAccess reports the token user and default branch; ensureLabels creates only missing labels', async () => {
    const t = tracker();
    expect(await t.checkAccess()).toEqual({ login: 'swarm-bot', defaultBranch: 'main', canPush: true, private: false });
    gh.addIssue({ title: 'x', labels: ['agent'] });
    expect(await t.ensureLabels(['agent', 'agent:running', 'agent:review', 'agent:failed'])).toEqual(['agent:running', 'agent:review', 'agent:failed']);
    expect(gh.repoLabels.sort()).toEqual(['agent', 'agent:failed', 'agent:review', 'agent:running']);
    expect(await t.ensureLabels(['agent', 'agent:running'])).toEqual([]);
  });
});
