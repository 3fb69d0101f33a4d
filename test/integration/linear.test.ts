// The Linear adapter against a stateful fake Linear GraphQL server on 127.0.0.1 (and the real @linear/sdk
// against the same fake, to show the fake answers the way the SDK expects).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinearClient } from '@linear/sdk';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, TrackerConfig } from '../../src/config/types.js';
import { createLinearTracker, type LinearTracker } from '../../src/tracker/linear/tracker.js';
import { validateConfig } from '../../src/config/schema.js';
import { STICKY_MARKER, type Mark, type PullRequest, type Ticket } from '../../src/tracker/types.js';
import { startFakeLinear, type FakeLinear } from '../helpers/fake-linear.js';
import { TrackerError } from '../../src/errors.js';
import { CANDIDATES_QUERY } from '../../src/tracker/linear/queries.js';
import { complexityOf } from '../helpers/linear-complexity.js';

const KEY = 'lin_api_TESTKEY_0123456789abcdef';

function makeConfig(apiUrl: string, tracker: Partial<TrackerConfig> = {}): Config {
  const base = validateConfig({ tracker: { kind: 'linear', team: 'ENG', api_url: apiUrl } }, { file: 'WORKFLOW.md', env: {} }).config;
  return { ...base, tracker: { ...base.tracker, ...tracker } as TrackerConfig };
}

/** A one-answer GraphQL server on 127.0.0.1 (for answers the stateful fake does not give). */
async function answerWith(status: number, body: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/graphql`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function rejection(p: Promise<unknown>): Promise<TrackerError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(TrackerError);
  return err as TrackerError;
}

const pr: PullRequest = { number: 7, url: 'https://github.com/acme/app/pull/7', state: 'open', branch: 'swarm/eng-1-fix' };

let fake: FakeLinear;
beforeEach(async () => { fake = await startFakeLinear({ apiKey: KEY }); });
afterEach(async () => { await fake.close(); });

const tracker = (t: Partial<TrackerConfig> = {}, extra: Partial<Parameters<typeof createLinearTracker>[0]> = {}): LinearTracker =>
  createLinearTracker({ config: makeConfig(fake.url, t), apiKey: KEY, ...extra });
const count = (op: string) => fake.requests.filter((r) => r.query.includes(op)).length;
const ticketOf = async (t: LinearTracker, key: string): Promise<Ticket> => (await t.fetch(key))!;
/** show() as the daemon calls it: with the ticket as the tracker reports it now. */
const show = async (t: LinearTracker, key: string, mark: Mark, sticky: string | null = null, p: PullRequest | null = null) => t.show(await ticketOf(t, key), { mark, sticky, pr: p });

describe('resolve()', () => {
  it('accepts a config whose team, states and labels exist', async () => {
    await expect(tracker().resolve()).resolves.toBeUndefined();
  });

  it('names an unknown workflow state and lists the valid ones', async () => {
    const err = await rejection(tracker({ running_state: 'Doing' }).resolve());
    expect(err.kind).toBe('config');
    expect(err.message).toBe('tracker.running_state "Doing" is not a workflow state of team ENG (have: Backlog, Todo, In Progress, In Review, Done, Canceled, Duplicate)');
    expect((await rejection(tracker({ states: ['Todo', 'Ready'] }).resolve())).message).toMatch(/^tracker\.states "Ready" is not/);
  });

  it('names an unknown trigger label, failed label and team', async () => {
    const label = await rejection(tracker({ labels: ['agent', 'robot'] }).resolve());
    expect(label.kind).toBe('config');
    expect(label.message).toMatch(/^tracker\.labels "robot" is not a label of team ENG or the workspace \(have: agent, blocked, agent:failed, bug\)$/);
    const failed = await rejection(tracker({ failed_label: 'swarm:failed' }).resolve());
    expect(failed.message).toMatch(/^tracker\.failed_label "swarm:failed" .*failed_state is null/);
    // With a failed state the failed label is not needed.
    await expect(tracker({ failed_label: 'swarm:failed', failed_state: 'Canceled' }).resolve()).resolves.toBeUndefined();
    const team = await rejection(tracker({ team: 'OPS' }).resolve());
    expect(team.message).toBe('tracker.team "OPS" is not a Linear team this API key can see (have: ENG)');
  });

  it('checks the project by name or slugId', async () => {
    fake.addProject('Mobile App', 'mobile-app-1a2b');
    await expect(tracker({ project: 'mobile-app-1a2b' }).resolve()).resolves.toBeUndefined();
    expect((await rejection(tracker({ project: 'Web' }).resolve())).message).toMatch(/tracker\.project "Web"/);
  });
});

describe('candidates()', () => {
  it('returns the team\'s labelled issues in eligible states plus the running state, server-side filtered', async () => {
    const multi = await startFakeLinear({ apiKey: KEY, teams: ['ENG', 'OPS'] });
    try {
      const todo = multi.addIssue({ title: 'Todo with label' });
      multi.addIssue({ title: 'Todo without label', labels: ['bug'] });
      multi.addIssue({ title: 'Backlog', state: 'Backlog' });
      const running = multi.addIssue({ title: 'Running', state: 'In Progress' });
      multi.addIssue({ title: 'Done', state: 'Done' });
      multi.addIssue({ title: 'Review', state: 'In Review' });
      multi.addIssue({ title: 'Other team', team: 'OPS' });
      const excluded = multi.addIssue({ title: 'Excluded', labels: ['agent', 'blocked'] });
      const t = createLinearTracker({ config: makeConfig(multi.url), apiKey: KEY });
      const list = await t.candidates();
      expect(list.unchanged).toBe(false);
      expect(list.tickets.map((x) => x.key).sort()).toEqual([todo, running, excluded].sort());
      expect(list.tickets.find((x) => x.key === running)!.state).toBe('In Progress');
      expect(list.tickets.find((x) => x.key === excluded)!.labels).toEqual(['agent', 'blocked']); // policy excludes
      const q = multi.requests.filter((r) => r.query.includes('SwarmCandidates'));
      expect(q).toHaveLength(1);
      expect(q[0]!.variables.filter).toMatchObject({ team: { key: { eq: 'ENG' } }, state: { name: { in: ['Todo', 'In Progress'] } } });
    } finally {
      await multi.close();
    }
  });

  it('requires every trigger label and honours the project', async () => {
    fake.addProject('Mobile App', 'mobile');
    const both = fake.addIssue({ title: 'both', labels: ['agent', 'bug'], project: 'Mobile App' });
    fake.addIssue({ title: 'one', labels: ['agent'], project: 'Mobile App' });
    fake.addIssue({ title: 'no project', labels: ['agent', 'bug'] });
    const keys = (await tracker({ labels: ['agent', 'bug'], project: 'Mobile App' }).candidates()).tickets.map((x) => x.key);
    expect(keys).toEqual([both]);
  });

  it('paginates 120 issues in 3 requests of at most 50', async () => {
    for (let i = 0; i < 120; i++) fake.addIssue({ title: `Issue ${i}` });
    const t = tracker();
    await t.resolve();
    const before = t.requestCount();
    const list = await t.candidates();
    expect(list.tickets).toHaveLength(120);
    expect(new Set(list.tickets.map((x) => x.key)).size).toBe(120);
    expect(count('SwarmCandidates')).toBe(3);
    expect(t.requestCount() - before).toBe(3);
  });

  it('maps Linear priority onto swarm\'s scale and the issue fields onto Ticket', async () => {
    const keys = [0, 1, 2, 3, 4].map((p) => fake.addIssue({ title: `P${p} Fix login`, priority: p }));
    const tickets = (await tracker().candidates()).tickets;
    const prio = Object.fromEntries(tickets.map((x) => [x.key, x.priority]));
    expect(keys.map((k) => prio[k])).toEqual([4, 0, 1, 2, 3]);
    const t0 = tickets.find((x) => x.key === keys[1])!;
    const raw = fake.issue(keys[1]!);
    expect(t0).toMatchObject({
      key: 'ENG-2', identifier: 'ENG-2', id: raw.id, number: 2, title: 'P1 Fix login', body: 'Body of ENG-2',
      state: 'Todo', open: true, labels: ['agent'], blockers: [], branch_hint: 'eng-2-p1-fix-login',
      url: 'https://linear.app/acme/issue/ENG-2/p1-fix-login',
    });
  });

  it('sets each ticket\'s phase from its workflow state (tracker.states → todo, running → ours, review, failed_state → failed, done → closed)', async () => {
    const t = tracker({ failed_state: 'Canceled' });
    const where: Record<string, string> = { Todo: 'todo', 'In Progress': 'ours', 'In Review': 'review', Backlog: 'other', Done: 'closed' };
    const keys = Object.keys(where).map((state) => { const k = fake.addIssue({ title: state }); if (state !== 'Todo') fake.setState(k, state); return [k, state] as const; });
    for (const [k, state] of keys) expect((await ticketOf(t, k)).phase, state).toBe(where[state]);
    const failed = fake.addIssue({ title: 'failed' });
    fake.setState(failed, 'Canceled');
    // A canceled-type state is closed first: Linear counts the issue as done whatever swarm would call it.
    expect((await ticketOf(t, failed)).phase).toBe('closed');
    // The listing carries the phase too (todo and ours are its two).
    const listed = (await t.candidates()).tickets;
    expect(Object.fromEntries(listed.map((x) => [x.state, x.phase]))).toEqual({ Todo: 'todo', 'In Progress': 'ours' });
  });

  it('lists open blockers from inverse "blocks" relations only', async () => {
    const blocker = fake.addIssue({ title: 'Blocker', labels: ['bug'] });
    const blocked = fake.addIssue({ title: 'Blocked' });
    fake.addRelation(blocker, blocked);
    const t = tracker();
    expect((await t.candidates()).tickets.find((x) => x.key === blocked)!.blockers).toEqual([blocker]);
    expect(await t.freshBlockers(await ticketOf(t, blocked))).toEqual([blocker]);
    // The listing already filters closed blockers: the poll loop must not re-check them one by one.
    expect('openBlockers' in t).toBe(false);
    fake.setState(blocker, 'Done');
    expect((await t.candidates()).tickets.find((x) => x.key === blocked)!.blockers).toEqual([]);
    fake.setState(blocker, 'Canceled');
    expect((await t.fetch(blocked))!.blockers).toEqual([]);
    // A blocker closed as a duplicate (state type `duplicate`) no longer blocks either.
    fake.setState(blocker, 'Duplicate');
    expect((await t.candidates()).tickets.find((x) => x.key === blocked)!.blockers).toEqual([]);
  });

  it('never counts duplicate, related or similar relations as blockers', async () => {
    const other = fake.addIssue({ title: 'Other', labels: ['bug'] });
    const key = fake.addIssue({ title: 'Related to others' });
    for (const type of ['duplicate', 'related', 'similar'] as const) fake.addRelation(other, key, type);
    expect((await tracker().fetch(key))!.blockers).toEqual([]);
  });

  it('fetches the rest of the labels and relations only for the issue that has more than a nested page', async () => {
    const names = Array.from({ length: 13 }, (_, i) => `area-${i}`);
    for (const n of names) fake.addLabel(n);
    const busy = fake.addIssue({ title: 'Many labels and blockers', labels: ['agent', ...names] });
    const plain = fake.addIssue({ title: 'Plain' });
    const blockers = Array.from({ length: 12 }, (_, i) => fake.addIssue({ title: `Blocker ${i}`, labels: ['bug'] }));
    for (const b of blockers) fake.addRelation(b, busy);
    for (let i = 0; i < 3; i++) fake.addRelation(fake.addIssue({ title: `Similar ${i}`, labels: ['bug'] }), busy, 'similar');
    fake.setState(blockers[11]!, 'Duplicate');
    const list = (await tracker().candidates()).tickets;
    const t = list.find((x) => x.key === busy)!;
    expect(t.labels).toEqual(['agent', ...names]);
    expect(t.blockers.sort()).toEqual(blockers.slice(0, 11).sort());
    expect(list.find((x) => x.key === plain)!.labels).toEqual(['agent']);
    const followUps = fake.requests.filter((r) => /SwarmIssue(Labels|Relations)\b/.test(r.query));
    expect(followUps.map((r) => [r.operationName ?? /query (\w+)/.exec(r.query)![1], r.variables.id])).toEqual([
      ['SwarmIssueLabels', fake.issue(busy).id], ['SwarmIssueRelations', fake.issue(busy).id],
    ]);
  });
});

describe('complexity', () => {
  it('each candidates page is priced below 5,000 by the fake, as the model says', async () => {
    fake.addIssue({ title: 'x' });
    await tracker().candidates();
    const poll = fake.requests.find((r) => r.query.includes('query SwarmCandidates'))!;
    expect(poll.status).toBe(200);
    expect(poll.complexity).toBe(complexityOf(CANDIDATES_QUERY, poll.variables));
    expect(poll.complexity!).toBeLessThan(5_000);
    const t = tracker();
    expect(await t.probeCandidates()).toEqual({ listed: 1, complexity: Math.ceil(poll.complexity!) });
  });

  it('a page Linear refuses as too complex is a permanent error with the fix, sent once', async () => {
    fake.addIssue({ title: 'x' });
    const t = tracker({ page_size: 250 });
    const err = await rejection(t.candidates());
    expect(err.kind).toBe('too_complex');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^Linear refuses SwarmCandidates as too complex \(18,\d{3} points, at most 10,000 allowed\): lower tracker\.page_size \(now 250;/);
    const sent = fake.requests.filter((r) => r.query.includes('query SwarmCandidates'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.status).toBe(400);
    // Linear prices a document statically: the same one is never sent again.
    expect((await rejection(t.candidates())).message).toBe(err.message);
    expect((await rejection(t.probeCandidates())).kind).toBe('too_complex');
    expect(fake.requests.filter((r) => r.query.includes('query SwarmCandidates'))).toHaveLength(1);
  });
});

describe('fetch(), comments(), trust()', () => {
  it('fetches by identifier and returns null for an unknown one', async () => {
    const key = fake.addIssue({ title: 'Hello', state: 'Done' });
    const t = tracker();
    expect(await t.fetch(key)).toMatchObject({ key, state: 'Done', open: false });
    expect(await t.fetch('ENG-999')).toBeNull();
  });

  it('returns human comments as trusted and leaves out swarm\'s sticky comment', async () => {
    fake.addUser('Ada Lovelace');
    const key = fake.addIssue({ title: 'x' });
    fake.addComment(key, 'Please also update the docs', 'Ada Lovelace');
    const t = tracker();
    const ticket = await ticketOf(t, key);
    await show(t, key, 'running', `${STICKY_MARKER}\nclaimed`);
    const comments = await t.comments(ticket);
    expect(comments).toEqual([{ author: 'Ada Lovelace', body: 'Please also update the docs', created_at: expect.any(String), trusted: true }]);
  });

  it('returns comments oldest first (Linear lists them newest first) and integration comments as untrusted', async () => {
    fake.addUser('Ada Lovelace');
    const key = fake.addIssue({ title: 'x' });
    fake.addComment(key, 'first', 'Ada Lovelace');
    fake.addComment(key, 'from the Slack integration', null);
    fake.addComment(key, 'third', 'Ada Lovelace');
    const raw = await fetch(fake.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: KEY }, body: JSON.stringify({ query: `{ issue(id: "${key}") { comments { nodes { body } } } }` }) });
    expect(((await raw.json()) as any).data.issue.comments.nodes.map((c: { body: string }) => c.body)).toEqual(['third', 'from the Slack integration', 'first']);
    const t = tracker();
    const comments = await t.comments(await ticketOf(t, key));
    expect(comments.map((c) => [c.body, c.author, c.trusted])).toEqual([
      ['first', 'Ada Lovelace', true], ['from the Slack integration', 'integration', false], ['third', 'Ada Lovelace', true],
    ]);
  });

  it('trusts everyone without trust restrictions; allowed_authors matches the creator by email, never by name', async () => {
    fake.addUser('Mallory');
    const key = fake.addIssue({ title: 'x', creator: 'Mallory' });
    const mine = fake.addIssue({ title: 'y' });
    const open = tracker({ trusted_labelers_only: false });
    expect((await open.trust(await ticketOf(open, key))).trusted).toBe(true);
    const strict = tracker({ allowed_authors: ['SWARM@example.com'] });
    expect(await strict.trust(await ticketOf(strict, key))).toEqual({ trusted: false, reason: 'created by Mallory <mallory@example.com>, who is not in tracker.allowed_authors (matched by user id or email, never by name)' });
    expect((await strict.trust(await ticketOf(strict, mine))).trusted).toBe(true);
  });
});

describe('writes', () => {
  it('running moves to the running state and keeps exactly one sticky comment', async () => {
    const key = fake.addIssue({ title: 'x' });
    const t = tracker();
    await show(t, key, 'running', 'attempt 1 running');
    expect(fake.issue(key).state).toBe('In Progress');
    expect(fake.issue(key).comments).toEqual([{ id: expect.any(String), body: `${STICKY_MARKER}\nattempt 1 running`, user: 'Swarm Bot' }]);
    await show(t, key, 'running', `${STICKY_MARKER}\nattempt 2 running`);
    expect(fake.issue(key).comments.map((c) => c.body)).toEqual([`${STICKY_MARKER}\nattempt 2 running`]);
    expect(count('SwarmCommentCreate')).toBe(1);
    expect(count('SwarmCommentUpdate')).toBe(1);
    expect(count('SwarmIssueUpdate')).toBe(1); // already in the running state the second time
    await show(t, key, 'running', `${STICKY_MARKER}\nattempt 2 running`);
    expect(count('SwarmCommentUpdate')).toBe(1); // unchanged: nothing sent
    // A restarted daemon (no cache) finds the same comment instead of adding one.
    const restarted = tracker();
    await show(restarted, key, 'running', 'after restart');
    expect(fake.issue(key).comments.map((c) => c.body)).toEqual([`${STICKY_MARKER}\nafter restart`]);
  });

  it('does not take over a marker comment written by someone else', async () => {
    fake.addUser('Ada');
    const key = fake.addIssue({ title: 'x' });
    fake.addComment(key, `quoting ${STICKY_MARKER}`, 'Ada');
    const t = tracker();
    await show(t, key, 'running', 'mine');
    expect(fake.issue(key).comments.map((c) => c.user)).toEqual(['Ada', 'Swarm Bot']);
  });

  it('review links the PR once even when shown twice and moves to the review state', async () => {
    const key = fake.addIssue({ title: 'x', state: 'In Progress' });
    const t = tracker();
    await show(t, key, 'review', 'PR opened', pr);
    await show(t, key, 'review', 'PR opened', pr);
    expect(fake.issue(key).attachments).toEqual([{ url: pr.url, title: 'Pull request #7' }]);
    expect(fake.issue(key).state).toBe('In Review');
    expect(fake.issue(key).comments).toHaveLength(1);
  });

  it('review without GitHub (pushed-branch handoff) moves to review but attaches no pseudo-URL', async () => {
    const key = fake.addIssue({ title: 'x', state: 'In Progress' });
    const t = tracker();
    await show(t, key, 'review', 'pushed', { number: 0, url: 'branch swarm/eng-1-x (pushed to origin)', state: 'open', branch: 'swarm/eng-1-x' });
    expect(fake.issue(key).attachments).toEqual([]);
    expect(fake.issue(key).state).toBe('In Review');
  });

  it('review never reopens a ticket that was already completed', async () => {
    const key = fake.addIssue({ title: 'x', state: 'In Progress' });
    const t = tracker();
    fake.setState(key, 'Done');
    await show(t, key, 'review', 'merged', pr);
    expect(fake.issue(key).state).toBe('Done');
  });

  it('a reverted merge (verification after merge) reopens a completed ticket once, to verify.reopen_state, with agent:reverted', async () => {
    fake.addLabel('agent:reverted');
    const key = fake.addIssue({ title: 'x', state: 'In Progress' });
    fake.setState(key, 'Done');
    const base = validateConfig({ tracker: { kind: 'linear', team: 'ENG', api_url: fake.url, states: ['Todo', 'Backlog'] }, verify: { reopen_state: 'Backlog' } }, { file: 'WORKFLOW.md', env: {} }).config;
    const t = createLinearTracker({ config: base, apiKey: KEY });
    await t.show(await ticketOf(t, key), { mark: 'cleared', needsHuman: false, sticky: 'reverted', pr: null, reopen: true, reverted: true });
    expect(fake.issue(key).state).toBe('Backlog');
    expect(fake.issue(key).labels).toContain('agent:reverted');
    // Once the tracker confirmed it, no more reopening: a human completing it again is left alone.
    fake.setState(key, 'Done');
    await t.show(await ticketOf(t, key), { mark: 'cleared', needsHuman: false, sticky: 'reverted', pr: null, reverted: true });
    expect(fake.issue(key).state).toBe('Done');
    expect(fake.issue(key).labels.filter((l) => l === 'agent:reverted')).toHaveLength(1);
  });

  it('never moves an issue closed as a duplicate (to review, failed or back to Todo)', async () => {
    const key = fake.addIssue({ title: 'x', state: 'In Progress' });
    fake.setState(key, 'Duplicate');
    const t = tracker({ failed_state: 'Backlog' });
    expect((await t.fetch(key))!.open).toBe(false);
    await show(t, key, 'review', 'PR opened', pr);
    await show(t, key, 'failed', 'failed');
    await show(t, key, 'cleared');
    expect(fake.issue(key).state).toBe('Duplicate');
    expect(count('SwarmIssueUpdate')).toBe(0);
  });

  it('failed moves to failed_state when one is configured', async () => {
    const key = fake.addIssue({ title: 'x', state: 'In Progress' });
    const t = tracker({ failed_state: 'Backlog' });
    await show(t, key, 'failed', 'failed 3 times');
    expect(fake.issue(key)).toMatchObject({ state: 'Backlog', labels: ['agent'] });
    // cleared (swarm retry) brings it back to the first eligible state.
    await show(t, key, 'cleared');
    expect(fake.issue(key).state).toBe('Todo');
    expect(fake.issue(key).comments.map((c) => c.body)).toEqual([`${STICKY_MARKER}\nfailed 3 times`]);
  });

  it('failed adds the failed label and leaves the running state when failed_state is null; cleared removes it', async () => {
    const key = fake.addIssue({ title: 'x', state: 'In Progress' });
    const t = tracker();
    await show(t, key, 'failed', 'failed');
    expect(fake.issue(key)).toMatchObject({ state: 'Todo', labels: ['agent', 'agent:failed'] });
    await show(t, key, 'failed', 'failed');
    expect(fake.issue(key).labels).toEqual(['agent', 'agent:failed']);
    await show(t, key, 'cleared');
    expect(fake.issue(key).labels).toEqual(['agent']);
  });

  it('released moves a running ticket back to the first eligible state, and leaves a closed or moved one alone', async () => {
    const key = fake.addIssue({ title: 'x' });
    const t = tracker({ states: ['Todo', 'Backlog'] });
    await show(t, key, 'running', 'running');
    await show(t, key, 'released', 'released');
    expect(fake.issue(key).state).toBe('Todo');
    expect(fake.issue(key).comments.map((c) => c.body)).toEqual([`${STICKY_MARKER}\nreleased`]);
    fake.setState(key, 'Canceled');
    await show(t, key, 'released');
    expect(fake.issue(key).state).toBe('Canceled');
    // A human moved it out of the running state (that cancelled it): their move stays.
    fake.setState(key, 'In Review');
    await show(t, key, 'released');
    expect(fake.issue(key).state).toBe('In Review');
  });
});

describe('rate limits', () => {
  it('backs off before the request budget is exhausted', async () => {
    fake.addIssue({ title: 'x' });
    const resetAt = Date.parse('2030-01-01T00:00:00Z');
    let clock = Date.parse('2029-12-31T23:00:00Z');
    const t = tracker({}, { now: () => clock });
    await t.resolve();
    fake.setRequestBudget({ limit: 100, remaining: 5, resetAt });
    await t.candidates(); // answered with remaining 4 (< 5 % of 100)
    expect(t.rateLimit()).toEqual({ remaining: 4, resetAt: '2030-01-01T00:00:00.000Z' });
    const sent = fake.requests.length;
    const err = await rejection(t.candidates());
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAt).toBe('2030-01-01T00:00:00.000Z');
    expect(fake.requests.length).toBe(sent); // nothing was sent
    clock = resetAt + 1; // window over
    fake.setRequestBudget({ remaining: 100 });
    await expect(t.candidates()).resolves.toMatchObject({ unchanged: false });
  });

  it('maps a RATELIMITED answer to rate_limited with the reset time, then holds off', async () => {
    const t = tracker();
    await t.resolve();
    const resetAt = Date.now() + 600_000;
    fake.setRequestBudget({ resetAt });
    fake.setRateLimited(true);
    const err = await rejection(t.candidates());
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAt).toBe(new Date(resetAt).toISOString());
    const sent = fake.requests.length;
    expect((await rejection(t.candidates())).kind).toBe('rate_limited');
    expect(fake.requests.length).toBe(sent);
  });

  it('after RATELIMITED waits for the budget that ran out, or Retry-After when Linear sends it', async () => {
    const t = tracker();
    await t.resolve();
    const soon = Date.now() + 120_000;
    const late = Date.now() + 3_000_000;
    fake.setRequestBudget({ resetAt: late });
    fake.setComplexityBudget({ resetAt: soon });
    fake.setRateLimited(true, { budget: 'complexity' });
    const err = await rejection(t.candidates());
    expect(err).toMatchObject({ kind: 'rate_limited', retryAt: new Date(soon).toISOString() });
    expect(err.message).toContain('complexity budget: 0 of 3000000 left');

    const t2 = tracker();
    fake.setRateLimited(false);
    await t2.resolve();
    fake.setRateLimited(true, { budget: 'requests', retryAfter: 30 });
    const before = Date.now();
    const err2 = await rejection(t2.candidates());
    expect(Date.parse(err2.retryAt!)).toBeGreaterThanOrEqual(before + 30_000);
    expect(Date.parse(err2.retryAt!)).toBeLessThan(late);
    expect(err2.message).toContain('Retry-After 30s');
  });

  it('falls back to now + 60 s when a RATELIMITED answer has no reset header', async () => {
    const clock = Date.parse('2030-06-01T12:00:00Z');
    // A real server that answers RATELIMITED without any X-RateLimit-* header.
    const bare = await answerWith(400, { errors: [{ message: 'Rate limit exceeded', extensions: { type: 'ratelimited', code: 'RATELIMITED' } }] });
    try {
      const err = await rejection(createLinearTracker({ config: makeConfig(bare.url), apiKey: KEY, now: () => clock }).resolve());
      expect(err).toMatchObject({ kind: 'rate_limited', retryAt: '2030-06-01T12:01:00.000Z' });
    } finally {
      await bare.close();
    }
  });
});

describe('errors', () => {
  it('maps a rejected key to auth without ever echoing the key', async () => {
    const wrong = 'lin_api_WRONGKEY_should_not_leak';
    const t = createLinearTracker({ config: makeConfig(fake.url), apiKey: wrong });
    const err = await rejection(t.candidates());
    expect(err.kind).toBe('auth');
    expect(err.message).toBe('Linear rejected the API key: check LINEAR_API_KEY / tracker.api_key');
    expect(fake.requests.at(-1)!.headers.authorization).toBe(wrong); // sent raw, like the SDK
  });

  it('redacts the key even when the server echoes it, and maps network failures to unavailable', async () => {
    const echo = await answerWith(400, { errors: [{ message: `bad token ${KEY}`, extensions: { type: 'invalid input' } }] });
    try {
      const err = await rejection(createLinearTracker({ config: makeConfig(echo.url), apiKey: KEY }).resolve());
      expect(err.kind).toBe('unavailable');
      expect(err.message).not.toContain(KEY);
      expect(err.message).toContain('[redacted]');
    } finally {
      await echo.close();
    }
    const url = fake.url;
    await fake.close();
    const down = await rejection(createLinearTracker({ config: makeConfig(url), apiKey: KEY }).candidates());
    expect(down.kind).toBe('unavailable');
    expect(down.message).toMatch(/^Linear API unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
    expect(JSON.stringify({ ...down, message: down.message, stack: down.stack })).not.toContain(KEY);
    fake = await startFakeLinear({ apiKey: KEY }); // for afterEach
  });

  it('refuses to send the key over plain http to a non-local host', () => {
    expect(() => createLinearTracker({ config: makeConfig('http://linear.example.com/graphql'), apiKey: KEY })).toThrow(/must use https/);
  });
});

describe('the fake validates queries', () => {
  const post = (body: unknown, key = KEY) =>
    fetch(fake.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: key }, body: JSON.stringify(body) });

  it('rejects unknown root fields, unknown nested fields, missing variables and bad arguments', async () => {
    const cases: [unknown, string][] = [
      [{ query: '{ issuez { nodes { id } } }' }, 'Cannot query field "issuez" on type "Query".'],
      [{ query: '{ issues { nodes { id titel } } }' }, 'Cannot query field "titel" on type "Issue".'],
      [{ query: 'query Q($id: String!) { issue(id: $id) { id } }', variables: {} }, 'Variable "$id" of required type "String!" was not provided.'],
      [{ query: '{ issue { id } }' }, 'Field "issue" argument "id" of type "String!" is required, but it was not provided.'],
      [{ query: '{ issues(limit: 5) { nodes { id } } }' }, 'Unknown argument "limit" on field "Query.issues".'],
      [{ query: '{ issues { nodes { state } } }' }, 'Field "state" of type "WorkflowState" must have a selection of subfields. Did you mean "state { ... }"?'],
      [{ query: 'query Q($n: Int) { issue(id: $n) { id } }', variables: { n: 1 } }, 'Variable "$n" of type "Int" used in position expecting type "String!".'],
      [{ query: '{ issues(filter: { team: { slug: { eq: "ENG" } } }) { nodes { id } } }' }, 'Field "slug" is not defined by type "TeamFilter".'],
      [{ query: '{ issues(filter: { identifier: { eq: "ENG-1" } }) { nodes { id } } }' }, 'Field "identifier" is not defined by type "IssueFilter".'],
      [{ query: '{ issues(filter: { team: { key: { null: false } } }) { nodes { id } } }' }, 'Field "null" is not defined by type "StringComparator".'],
      [{ query: '{ issues(filter: { state: { name: { some: { eq: "Todo" } } } }) { nodes { id } } }' }, 'Field "some" is not defined by type "StringComparator".'],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      const json = (await res.json()) as { errors: { message: string; extensions: { type: string } }[] };
      expect(json.errors[0]!.message, JSON.stringify(body)).toBe(message);
      expect(json.errors[0]!.extensions.type).toMatch(/graphql error|invalid input/);
    }
  });

  it('prices each document like Linear and refuses one above 10,000 with Linear\'s exact answer', async () => {
    const ok = await post({ query: '{ issues(first: 10) { nodes { id } } }' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-complexity')).toBe('11');
    expect(Number(ok.headers.get('x-ratelimit-complexity-remaining'))).toBe(3_000_000 - 11);
    const big = await post({ query: '{ teams { nodes { states(first: 250) { nodes { id name } } } } }' });
    expect(big.status).toBe(400);
    expect(await big.json()).toEqual({ errors: [{ message: 'Query too complex', extensions: {
      type: 'invalid input', code: 'INPUT_ERROR', statusCode: 400, userError: true,
      userPresentableMessage: 'The query is too complex. Complexity: 15050. Maximum allowed complexity: 10000.', http: { status: 400 },
    } }] });
  });

  it('answers the real @linear/sdk the way it expects (data + headers, typed errors)', async () => {
    fake.addIssue({ title: 'x' });
    const sdk = new LinearClient({ apiKey: KEY, apiUrl: fake.url });
    const ok = await sdk.client.rawRequest<{ viewer: { name: string } }, Record<string, unknown>>('{ viewer { id name } }', {});
    expect(ok.data?.viewer.name).toBe('Swarm Bot');
    expect(Number(ok.headers?.get('x-ratelimit-requests-remaining'))).toBeGreaterThan(0);
    expect(fake.requests.at(-1)!.headers.authorization).toBe(KEY);

    const bad = await sdk.client.rawRequest('{ issuez { id } }', {}).catch((e: unknown) => e as { type: string; message: string });
    expect(bad).toMatchObject({ type: 'GraphqlError' });
    fake.setRateLimited(true);
    const limited = await sdk.client.rawRequest('{ viewer { id } }', {}).catch((e: unknown) => e as Record<string, unknown>);
    expect(limited).toMatchObject({ type: 'Ratelimited', status: 400 });
    expect(typeof (limited as Record<string, unknown>).requestsResetAt).toBe('number');
    fake.setRateLimited(false);
    const unauth = await new LinearClient({ apiKey: 'nope', apiUrl: fake.url }).client.rawRequest('{ viewer { id } }', {}).catch((e: unknown) => e as { type: string });
    expect(unauth).toMatchObject({ type: 'AuthenticationError' });
  });
});
