// The fake GitHub itself behaves like GitHub where swarm depends on it (raw HTTP, no Octokit).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_GITHUB_TOKEN, startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';

const TOKEN = 'ghp_fakeTokenForTests0001';
let gh: FakeGitHub;

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string } = {}) {
  const res = await fetch(`${gh.url}${path}`, {
    method: init.method ?? 'GET',
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
