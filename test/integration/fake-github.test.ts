// The fake GitHub itself behaves like GitHub where swarm depends on it (raw HTTP, no Octokit).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_GITHUB_TOKEN, startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { makeRepo, git, type TestRepo } from '../helpers/git-repo.js';

const TOKEN = 'ghp_fakeTokenForTests0001';
let gh: FakeGitHub;

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string; redirect?: RequestRedirect } = {}) {
  const res = await fetch(`${gh.url}${path}`, {
    method: init.method ?? 'GET',
    redirect: init.redirect ?? 'manual',
    headers: { authorization: `token ${init.token ?? TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text !== '' && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null };
}

beforeEach(async () => {
  gh = await startFakeGitHub({ token: TOKEN });
});
afterEach(async () => {
  await gh.close();
});

describe('fake GitHub', () => {
  it('rejects a wrong or missing token with 401 and knows the token user', async () => {
    expect((await api('/user', { token: 'nope' })).status).toBe(401);
    const me = await api('/user');
    expect(me.status).toBe(200);
    expect(me.json.login).toBe('swarm-bot');
    expect((await api('/repos/acme/widgets')).json.default_branch).toBe('main');
    expect((await api('/repos/acme/other')).status).toBe(404);
    expect((await api('/nope')).status).toBe(404);
    const bearer = await fetch(`${gh.url}/user`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    expect((await fetch(`${gh.url}/user`)).status).toBe(401);
  });

  it('has a default token when a test does not choose one', async () => {
    const other = await startFakeGitHub();
    try {
      const ok = await fetch(`${other.url}/user`, { headers: { authorization: `token ${FAKE_GITHUB_TOKEN}` } });
      expect(ok.status).toBe(200);
      const wrong = await fetch(`${other.url}/user`, { headers: { authorization: `token ${TOKEN}` } });
      expect(wrong.status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('lists open issues with all labels (AND), including PRs with a pull_request key', async () => {
    const a = gh.addIssue({ title: 'both', labels: ['agent', 'bug'] });
    gh.addIssue({ title: 'one', labels: ['agent'] });
    const c = gh.addIssue({ title: 'closed', labels: ['agent', 'bug'] });
    gh.closeIssue(c);
    const pr = gh.addPull({ head: 'feature' });
    gh.setLabels(pr, ['agent', 'bug']);
    const res = await api('/repos/acme/widgets/issues?state=open&labels=agent,BUG&per_page=100');
    expect(res.json.map((i: { number: number }) => i.number).sort()).toEqual([a, pr].sort());
    expect(res.json.find((i: { number: number }) => i.number === pr).pull_request).toBeTruthy();
    expect(res.json.find((i: { number: number }) => i.number === a).pull_request).toBeUndefined();
    const all = await api('/repos/acme/widgets/issues?state=all&labels=agent');
    expect(all.json).toHaveLength(4);
  });

  it('answers If-None-Match with 304 and no body, without spending rate limit', async () => {
    gh.addIssue({ title: 'x', labels: ['agent'] });
    const first = await api('/repos/acme/widgets/issues?labels=agent');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
    const before = Number(first.headers.get('x-ratelimit-remaining'));
    const second = await api('/repos/acme/widgets/issues?labels=agent', { headers: { 'if-none-match': etag } });
    expect(second.status).toBe(304);
    expect(second.text).toBe('');
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(before);
    gh.addIssue({ title: 'y', labels: ['agent'] });
    const third = await api('/repos/acme/widgets/issues?labels=agent', { headers: { 'if-none-match': etag } });
    expect(third.status).toBe(200);
    expect(Number(third.headers.get('x-ratelimit-remaining'))).toBe(before - 1);
    expect(gh.requests.at(-1)?.headers['if-none-match']).toBe(etag);
  });

  it('paginates with a Link header', async () => {
    for (let i = 0; i < 105; i++) gh.addIssue({ title: `t${i}` });
    const p1 = await api('/repos/acme/widgets/issues?per_page=100');
    expect(p1.json).toHaveLength(100);
    expect(p1.headers.get('link')).toContain('rel="next"');
    const next = /<([^>]+)>; rel="next"/.exec(p1.headers.get('link')!)![1]!;
    const p2 = await api(next.replace(gh.url, ''));
    expect(p2.json).toHaveLength(5);
    expect(p2.headers.get('link')).not.toContain('rel="next"');
  });

  it('labels, comments, events and permissions', async () => {
    const n = gh.addIssue({ title: 't', labels: ['agent'], labeledBy: 'mallory' });
    gh.setPermission('mallory', 'triage');
    expect((await api(`/repos/acme/widgets/issues/${n}/labels`, { method: 'POST', body: { labels: ['agent:running'] } })).status).toBe(200);
    expect(gh.labelsOf(n)).toEqual(['agent', 'agent:running']);
    expect(gh.repoLabels).toContain('agent:running');
    expect((await api(`/repos/acme/widgets/issues/${n}/labels/absent`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(`/repos/acme/widgets/issues/${n}/labels/agent%3Arunning`, { method: 'DELETE' })).status).toBe(200);
    expect(gh.labelsOf(n)).toEqual(['agent']);
    const events = (await api(`/repos/acme/widgets/issues/${n}/events`)).json;
    expect(events.map((e: { event: string; actor: { login: string }; label: { name: string } }) => `${e.event}:${e.label.name}:${e.actor.login}`)).toEqual([
      'labeled:agent:mallory',
      'labeled:agent:running:swarm-bot',
      'unlabeled:agent:running:swarm-bot',
    ]);
    const perm = (await api('/repos/acme/widgets/collaborators/mallory/permission')).json;
    expect(perm).toMatchObject({ permission: 'read', role_name: 'triage' });
    const created = await api(`/repos/acme/widgets/issues/${n}/comments`, { method: 'POST', body: { body: 'hi' } });
    expect(created.status).toBe(201);
    const edited = await api(`/repos/acme/widgets/issues/comments/${created.json.id}`, { method: 'PATCH', body: { body: 'edited' } });
    expect(edited.json.body).toBe('edited');
    expect(gh.comments.map((c) => [c.user, c.body])).toEqual([['swarm-bot', 'edited']]);
    expect((await api('/repos/acme/widgets/labels', { method: 'POST', body: { name: 'agent' } })).status).toBe(422);
  });

  it('opens PRs in the issue number sequence, rejects duplicates and unknown branches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-gh-'));
    const bare = join(dir, 'origin.git');
    const work = join(dir, 'work');
    try {
      execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
      execFileSync('git', ['init', '-q', '-b', 'main', work]);
      const g = (...args: string[]) => execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
      g('commit', '-q', '--allow-empty', '-m', 'base');
      g('checkout', '-q', '-b', 'swarm/1-x');
      g('commit', '-q', '--allow-empty', '-m', 'work');
      g('push', '-q', bare, 'main', 'swarm/1-x');
      await gh.close();
      gh = await startFakeGitHub({ token: TOKEN, gitDir: bare });
      const issue = gh.addIssue({ title: 'x' });
      const body = { head: 'swarm/1-x', base: 'main', title: 'Fix', body: 'Closes #1' };
      const pr = await api('/repos/acme/widgets/pulls', { method: 'POST', body });
      expect(pr.status).toBe(201);
      expect(pr.json.number).toBe(issue + 1);
      const dup = await api('/repos/acme/widgets/pulls', { method: 'POST', body });
      expect(dup.status).toBe(422);
      expect(dup.text).toContain('A pull request already exists');
      const missing = await api('/repos/acme/widgets/pulls', { method: 'POST', body: { ...body, head: 'swarm/none' } });
      expect(missing.status).toBe(422);
      const found = await api('/repos/acme/widgets/pulls?head=acme:swarm/1-x&state=all');
      expect(found.json.map((p: { number: number }) => p.number)).toEqual([pr.json.number]);
      gh.mergePull(pr.json.number);
      const merged = (await api(`/repos/acme/widgets/pulls/${pr.json.number}`)).json;
      expect(merged.state).toBe('closed');
      expect(merged.merged_at).toBeTruthy();
      expect((await api('/repos/acme/widgets/pulls?head=acme:swarm/1-x')).json).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('injects seeded faults: 502, secondary rate limit with retry-after, and a hang', async () => {
    gh.setFaults({ rate: 1, kinds: ['502'], limit: 1 });
    expect((await api('/user')).status).toBe(502);
    expect((await api('/user')).status).toBe(200);
    gh.setFaults({ rate: 1, kinds: ['secondary'], limit: 1 });
    const sec = await api('/user');
    expect(sec.status).toBe(403);
    expect(sec.headers.get('retry-after')).toBe('1');
    expect(sec.json.message).toMatch(/secondary rate limit/);
    gh.setFaults({ rate: 1, kinds: ['timeout'], limit: 1 });
    await expect(fetch(`${gh.url}/user`, { headers: { authorization: `token ${TOKEN}` }, signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(gh.requests.at(-1)).toMatchObject({ status: 0, fault: 'timeout' });
    // Same seed, same sequence.
    const pattern = async (seed: number) => {
      gh.setFaults({ rate: 0.5, kinds: ['502'], seed });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await api('/user')).status);
      return out;
    };
    const a = await pattern(7);
    expect(await pattern(7)).toEqual(a);
    expect(a).toContain(502);
    expect(a).toContain(200);
  });

  it('answers 403 with remaining 0 once the primary limit is spent', async () => {
    gh.setRateLimit(1, 2_000_000_000);
    expect((await api('/user')).status).toBe(200);
    const res = await api('/user');
    expect(res.status).toBe(403);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset')).toBe('2000000000');
  });
});

describe('fake GitHub: fidelity', () => {
  it('native dependencies: the summary counts open blockers, the list holds closed ones too; older GHES has neither', async () => {
    const open = gh.addIssue({ title: 'open blocker' });
    const closed = gh.addIssue({ title: 'closed blocker' });
    gh.closeIssue(closed);
    const n = gh.addIssue({ title: 'blocked', labels: ['agent'] });
    gh.setBlockedBy(n, [open, closed]);
    const issue = (await api(`/repos/acme/widgets/issues/${n}`)).json;
    expect(issue.issue_dependencies_summary).toEqual({ blocked_by: 1, total_blocked_by: 2, blocking: 0, total_blocking: 0 });
    expect((await api(`/repos/acme/widgets/issues/${open}`)).json.issue_dependencies_summary).toMatchObject({ blocking: 1, total_blocking: 1 });
    const listed = (await api('/repos/acme/widgets/issues?labels=agent')).json;
    expect(listed[0].issue_dependencies_summary.blocked_by).toBe(1);
    const deps = (await api(`/repos/acme/widgets/issues/${n}/dependencies/blocked_by`)).json;
    expect(deps.map((d: { number: number; state: string }) => [d.number, d.state])).toEqual([[open, 'open'], [closed, 'closed']]);
    const old = await startFakeGitHub({ token: TOKEN, dependencies: false });
    try {
      const m = old.addIssue({ title: 'x' });
      const res = await fetch(`${old.url}/repos/acme/widgets/issues/${m}`, { headers: { authorization: `token ${TOKEN}` } });
      expect('issue_dependencies_summary' in (await res.json())).toBe(false);
      expect((await fetch(`${old.url}/repos/acme/widgets/issues/${m}/dependencies/blocked_by`, { headers: { authorization: `token ${TOKEN}` } })).status).toBe(404);
    } finally {
      await old.close();
    }
  });

  it('a transferred issue answers 301 with a Location by repository id, for reads and writes; the new home serves it', async () => {
    const n = gh.addIssue({ title: 'moving', labels: ['agent'] });
    gh.addComment(n, { user: 'octocat', body: 'comes along' });
    const moved = gh.transferIssue(n, 'acme/other');
    const res = await api(`/repos/acme/widgets/issues/${n}`);
    expect(res.status).toBe(301);
    const location = res.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${gh.url}/repositories/\\d+/issues/${moved}$`));
    expect(res.json).toMatchObject({ message: 'Moved Permanently', url: location });
    expect((await api(`/repos/acme/widgets/issues/${n}/labels`, { method: 'POST', body: { labels: ['x'] } })).status).toBe(301);
    expect((await api(`/repos/acme/widgets/issues/${n}/comments`)).headers.get('location')).toBe(`${location}/comments`);
    expect((await api('/repos/acme/widgets/issues?labels=agent')).json).toEqual([]);
    const there = await api(location.replace(gh.url, ''));
    expect(there.status).toBe(200);
    expect(there.json).toMatchObject({ number: moved, title: 'moving', repository_url: `${gh.url}/repos/acme/other` });
    expect((await api(`/repos/acme/other/issues/${moved}/comments`)).json.map((c: { body: string }) => c.body)).toEqual(['comes along']);
    expect(gh.repository('acme/other')!.issues.map((i) => i.number)).toEqual([moved]);
  });

  it('ETags depend on the token: another token gets a 200 for the same content', async () => {
    gh.setTokens([TOKEN, 'ghs_secondTokenForEtags01']);
    gh.addIssue({ title: 'x', labels: ['agent'] });
    const a = await api('/repos/acme/widgets/issues?labels=agent');
    const etag = a.headers.get('etag')!;
    expect((await api('/repos/acme/widgets/issues?labels=agent', { headers: { 'if-none-match': etag } })).status).toBe(304);
    const b = await api('/repos/acme/widgets/issues?labels=agent', { token: 'ghs_secondTokenForEtags01', headers: { 'if-none-match': etag } });
    expect(b.status).toBe(200);
    expect(b.headers.get('etag')).not.toBe(etag);
    gh.setTokens(['ghs_secondTokenForEtags01']);
    expect((await api('/user')).status).toBe(401);
  });

  it('the pulls head filter needs owner:branch; without the owner it is ignored and every PR is listed', async () => {
    gh.addPull({ head: 'swarm/1-a' });
    gh.addPull({ head: 'swarm/2-b' });
    expect((await api('/repos/acme/widgets/pulls?head=acme:swarm/1-a')).json).toHaveLength(1);
    expect((await api('/repos/acme/widgets/pulls?head=swarm/1-a')).json).toHaveLength(2);
    expect((await api('/repos/acme/widgets/pulls?head=someone:swarm/1-a')).json).toEqual([]);
  });

  it('label names match regardless of case: the labels filter, DELETE, and adding an existing label', async () => {
    const n = gh.addIssue({ title: 'x', labels: ['Agent'] });
    expect((await api('/repos/acme/widgets/issues?labels=agent')).json).toHaveLength(1);
    await api(`/repos/acme/widgets/issues/${n}/labels`, { method: 'POST', body: { labels: ['AGENT', 'bug'] } });
    expect(gh.labelsOf(n)).toEqual(['Agent', 'bug']);
    const other = gh.addIssue({ title: 'y' });
    await api(`/repos/acme/widgets/issues/${other}/labels`, { method: 'POST', body: { labels: ['BUG'] } });
    expect(gh.labelsOf(other)).toEqual(['bug']); // the repository's label, in its own case
    expect((await api(`/repos/acme/widgets/issues/${n}/labels/AGENT`, { method: 'DELETE' })).status).toBe(200);
    expect(gh.labelsOf(n)).toEqual(['bug']);
  });

  it('custom repository roles: permission is the base level, role_name the custom name', async () => {
    gh.setCustomRole('rel', 'release-manager', 'maintain');
    gh.setCustomRole('aud', 'auditor', 'triage');
    expect((await api('/repos/acme/widgets/collaborators/rel/permission')).json).toMatchObject({ permission: 'write', role_name: 'release-manager' });
    expect((await api('/repos/acme/widgets/collaborators/aud/permission')).json).toMatchObject({ permission: 'read', role_name: 'auditor' });
    gh.setPermission('rel', 'read');
    expect((await api('/repos/acme/widgets/collaborators/rel/permission')).json).toMatchObject({ permission: 'read', role_name: 'read' });
  });
});

describe('fake GitHub: PR follow-through', () => {
  let repo: TestRepo;
  let pr: number;

  beforeEach(async () => {
    repo = await makeRepo();
    await git(repo.dir, 'checkout', '-q', '-b', 'swarm/1-fix');
    await git(repo.dir, 'commit', '-q', '--allow-empty', '-m', 'the fix');
    await git(repo.dir, 'push', '-q', 'origin', 'swarm/1-fix');
    await gh.close();
    gh = await startFakeGitHub({ token: TOKEN, gitDir: repo.origin });
    gh.addIssue({ title: 'the ticket' });
    pr = gh.addPull({ head: 'swarm/1-fix', title: 'Fix' });
  });
  afterEach(() => repo.cleanup());

  it('head.sha is the branch tip in the bare origin, and moves with a push', async () => {
    const tip = await git(repo.origin, 'rev-parse', 'refs/heads/swarm/1-fix');
    const one = (await api(`/repos/acme/widgets/pulls/${pr}`)).json;
    expect(one.head).toMatchObject({ ref: 'swarm/1-fix', sha: tip });
    expect(one.base.sha).toBe(await git(repo.origin, 'rev-parse', 'refs/heads/main'));
    expect(await gh.headSha(pr)).toBe(tip);
    const next = await gh.addCommit(pr, { message: 'someone else pushed', file: 'x.txt', content: 'x\n' });
    expect(await git(repo.origin, 'rev-parse', 'refs/heads/swarm/1-fix')).toBe(next);
    expect(await git(repo.origin, 'rev-parse', `${next}^`)).toBe(tip);
    expect((await api(`/repos/acme/widgets/pulls/${pr}`)).json.head.sha).toBe(next);
    expect((await api('/repos/acme/widgets/pulls?head=acme:swarm/1-fix')).json[0].head.sha).toBe(next);
  });

  it('check runs: filters, latest per name, one by id, and an Actions job log behind a 302', async () => {
    const head = await gh.headSha(pr);
    const first = await gh.addCheckRun(pr, { name: 'test', conclusion: 'failure', title: '2 failed', summary: 'see log', text: 'FAIL a.test', log: 'line 1\nError: boom\n' });
    const retry = await gh.addCheckRun(pr, { name: 'test', conclusion: 'success' });
    await gh.addCheckRun(pr, { name: 'lint', status: 'in_progress' });
    const ext = await gh.addCheckRun(pr, { name: 'coverage', conclusion: 'neutral', app: 'codecov' });
    const latest = (await api(`/repos/acme/widgets/commits/${head}/check-runs`)).json;
    expect(latest.total_count).toBe(3);
    expect(latest.check_runs.map((r: { id: number }) => r.id).sort()).not.toContain(first);
    const all = (await api(`/repos/acme/widgets/commits/swarm/1-fix/check-runs?filter=all&check_name=test`)).json;
    expect(all.check_runs.map((r: { id: number; conclusion: string }) => [r.id, r.conclusion])).toEqual([[retry, 'success'], [first, 'failure']]);
    const running = (await api(`/repos/acme/widgets/commits/${head}/check-runs?status=in_progress`)).json.check_runs;
    expect(running).toEqual([expect.objectContaining({ name: 'lint', status: 'in_progress', conclusion: null, completed_at: null })]);
    const one = (await api(`/repos/acme/widgets/check-runs/${first}`)).json;
    expect(one).toMatchObject({ id: first, name: 'test', status: 'completed', conclusion: 'failure', head_sha: head, app: { slug: 'github-actions' } });
    expect(one.output).toMatchObject({ title: '2 failed', summary: 'see log', text: 'FAIL a.test' });

    const logs = await api(`/repos/acme/widgets/actions/jobs/${first}/logs`);
    expect(logs.status).toBe(302);
    const location = logs.headers.get('location')!;
    const text = await fetch(location); // signed URL: no token
    expect(text.status).toBe(200);
    expect(await text.text()).toBe('line 1\nError: boom\n');
    expect((await api(`/repos/acme/widgets/actions/jobs/${ext}/logs`)).status).toBe(404);

    const etag = (await api(`/repos/acme/widgets/commits/${head}/check-runs`)).headers.get('etag')!;
    expect((await api(`/repos/acme/widgets/commits/${head}/check-runs`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await api('/repos/acme/widgets/commits/nope/check-runs')).status).toBe(422);
  });

  it('combined status: the latest per context decides failure / pending / success', async () => {
    const head = await gh.headSha(pr);
    const status = async () => (await api(`/repos/acme/widgets/commits/${head}/status`)).json;
    expect(await status()).toMatchObject({ state: 'pending', total_count: 0, statuses: [], sha: head });
    await gh.addStatus(pr, { context: 'ci/build', state: 'pending' });
    await gh.addStatus(pr, { context: 'ci/build', state: 'success', target_url: 'https://ci.example/1' });
    expect(await status()).toMatchObject({ state: 'success', total_count: 1, statuses: [{ context: 'ci/build', state: 'success', target_url: 'https://ci.example/1' }] });
    await gh.addStatus(pr, { context: 'ci/e2e', state: 'error', description: 'crashed' });
    expect((await status()).state).toBe('failure');
  });

  it('reviews, review comments on lines, and the conversation through the issues endpoint', async () => {
    const head = await gh.headSha(pr);
    const review = await gh.addReview(pr, { user: 'octocat', state: 'CHANGES_REQUESTED', body: 'please rename' });
    await gh.addReviewComment(pr, { user: 'octocat', body: 'rename this', path: 'src/a.ts', line: 12, review });
    gh.addComment(pr, { user: 'octocat', body: 'also update the docs' });
    const reviews = (await api(`/repos/acme/widgets/pulls/${pr}/reviews`)).json;
    expect(reviews).toEqual([expect.objectContaining({ id: review, state: 'CHANGES_REQUESTED', body: 'please rename', commit_id: head, user: expect.objectContaining({ login: 'octocat' }) })]);
    const comments = (await api(`/repos/acme/widgets/pulls/${pr}/comments`)).json;
    expect(comments).toEqual([expect.objectContaining({ path: 'src/a.ts', line: 12, body: 'rename this', commit_id: head, pull_request_review_id: review, user: expect.objectContaining({ login: 'octocat' }) })]);
    const conversation = (await api(`/repos/acme/widgets/issues/${pr}/comments`)).json;
    expect(conversation.map((c: { body: string }) => c.body)).toEqual(['also update the docs']);
    expect((await api('/repos/acme/widgets/pulls/999/reviews')).status).toBe(404);
  });

  it('one commit: git identities always, GitHub accounts only for emails GitHub links (noreply forms, web-flow)', async () => {
    const head = await gh.headSha(pr);
    const agent = (await api(`/repos/acme/widgets/commits/${head}`)).json;
    expect(agent).toMatchObject({ sha: head, author: null, committer: null, commit: { committer: { name: 'Swarm Test', email: 'swarm-test@example.invalid' }, message: 'the fix' } });
    expect(agent.parents[0].sha).toBe(await git(repo.origin, 'rev-parse', 'refs/heads/main'));
    const pushed = await gh.addCommit(pr, { author: 'Alice', email: '42+alice@users.noreply.github.com' });
    const human = (await api('/repos/acme/widgets/commits/swarm/1-fix')).json;
    expect(human).toMatchObject({ sha: pushed, author: { login: 'alice' }, committer: { login: 'alice' }, commit: { author: { name: 'Alice', email: '42+alice@users.noreply.github.com' } } });
    expect((await api(`/repos/acme/widgets/commits/${'0'.repeat(40)}`)).status).toBe(422);
    // Without a bare origin: synthetic commits, the first one made by the PR's author.
    const bare = gh.addPull({ head: 'no-such-branch' });
    expect((await api(`/repos/acme/widgets/commits/${await gh.headSha(bare)}`)).json.committer).toMatchObject({ login: gh.tokenUser });
  });
});
