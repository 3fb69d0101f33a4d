// The GitHub adapter against the behaviours of GitHub it used to get wrong: blockers resolved the same way
// by candidates() and fetch() (body lines and native dependencies, at no cost on an idle poll), transferred
// issues, expiring tokens, custom repository roles, permissions that change, and request waste.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config, TrackerConfig } from '../../src/config/types.js';
import { createOctokit } from '../../src/tracker/github/client.js';
import { createGitHubTracker, type GitHubTracker } from '../../src/tracker/github/tracker.js';
import { CLOSED_MEMORY_MS } from '../../src/tracker/github/blockers.js';
import { PERMISSION_TTL_MS } from '../../src/tracker/github/people.js';
import { validateConfig } from '../../src/config/schema.js';
import { TrackerError } from '../../src/errors.js';
import { redactKnown } from '../../src/util/secrets.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { makeFakeGh } from '../helpers/fake-gh.js';

const TOKEN = 'ghp_fidelityTokenValue0001';
const LISTING = /^\/repos\/acme\/widgets\/issues\?/;
let gh: FakeGitHub;
let clock = Date.parse('2025-01-01T00:00:00Z');

function config(tracker: Partial<Config['tracker']> = {}): Config {
  const base = validateConfig({ tracker: { kind: 'github', repo: 'acme/widgets', trusted_labelers_only: false, throttle_writes: false } }, { file: 'WORKFLOW.md', env: {} }).config;
  return { ...base, tracker: { ...base.tracker, ...tracker } as TrackerConfig };
}

function tracker(tc: Partial<Config['tracker']> = {}, over: Partial<Parameters<typeof createOctokit>[0]> = {}): GitHubTracker {
  const octokit = createOctokit({ token: TOKEN, apiUrl: gh.url, throttle: false, retries: 1, retryBaseMs: 5, timeoutMs: 2000, ...over });
  return createGitHubTracker({ config: config(tc), token: over.token ?? TOKEN, repo: { owner: 'acme', name: 'widgets' }, octokit, now: () => new Date(clock) });
}

/** Requests after `from` (an index into gh.requests) as "METHOD path status". */
const since = (from: number) => gh.requests.slice(from).map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`);

beforeEach(async () => {
  gh = await startFakeGitHub({ token: TOKEN });
  clock = Date.parse('2025-01-01T00:00:00Z');
});
afterEach(async () => {
  await gh.close();
});

describe('blockers', () => {
  it('an idle poll costs the listing alone: listed blockers are open, closed ones remembered, native ones kept while the summary holds', async () => {
    const first = gh.addIssue({ title: 'first', labels: ['agent'] });
    const waits = gh.addIssue({ title: 'waits', body: `Blocked by #${first}`, labels: ['agent'] });
    const nativeBlocker = gh.addIssue({ title: 'native blocker' });
    const natively = gh.addIssue({ title: 'natively blocked', labels: ['agent'] });
    gh.setBlockedBy(natively, [nativeBlocker]);
    const old = gh.addIssue({ title: 'long closed' });
    gh.closeIssue(old);
    const free = gh.addIssue({ title: 'free', body: `Depends on #${old}`, labels: ['agent'] });
    const t = tracker();

    const blockersOf = async () => new Map((await t.candidates()).tickets.map((x) => [x.number, x.blockers]));
    const one = await blockersOf();
    expect(one.get(waits)).toEqual([`#${first}`]);
    expect(one.get(natively)).toEqual([`#${nativeBlocker}`]);
    expect(one.get(free)).toEqual([]);
    expect(since(0).sort()).toEqual([
      'GET /repos/acme/widgets/issues 200',
      `GET /repos/acme/widgets/issues/${natively}/dependencies/blocked_by 200`,
      `GET /repos/acme/widgets/issues/${old} 200`,
    ].sort());

    const mark = gh.requests.length;
    expect(await blockersOf()).toEqual(one);
    expect(since(mark)).toEqual(['GET /repos/acme/widgets/issues 304']);

    // The native blocker closes: the listing changes (its summary), the blocker list is asked again.
    gh.closeIssue(nativeBlocker);
    expect((await blockersOf()).get(natively)).toEqual([]);
    // The listed blocker closes: it leaves the listing and is looked up.
    gh.closeIssue(first);
    const mark2 = gh.requests.length;
    expect((await blockersOf()).get(waits)).toEqual([]);
    expect(since(mark2)).toEqual(['GET /repos/acme/widgets/issues 200', `GET /repos/acme/widgets/issues/${first} 200`]);
  });

  it('a remembered "closed" is re-checked by fetch() at once and by the listing after CLOSED_MEMORY_MS', async () => {
    const blocker = gh.addIssue({ title: 'blocker' });
    gh.closeIssue(blocker);
    const n = gh.addIssue({ title: 'x', body: `Blocked by #${blocker}`, labels: ['agent'] });
    const a = gh.addIssue({ title: 'y', body: `Blocked by #${blocker}`, labels: ['agent'] });
    const t = tracker();
    expect((await t.candidates()).tickets.every((x) => x.blockers.length === 0)).toBe(true);
    gh.reopenIssue(blocker);
    // The listing still believes it closed (its memory); the read before a claim does not…
    expect((await t.candidates()).tickets.find((x) => x.number === n)!.blockers).toEqual([]);
    expect((await t.fetch(String(n)))!.blockers).toEqual([`#${blocker}`]);
    // …and what it found is what the next listing says, for every ticket naming that blocker.
    expect((await t.candidates()).tickets.find((x) => x.number === a)!.blockers).toEqual([`#${blocker}`]);
    gh.closeIssue(blocker);
    await t.candidates();
    gh.reopenIssue(blocker);
    clock += CLOSED_MEMORY_MS;
    expect((await t.candidates()).tickets.find((x) => x.number === a)!.blockers).toEqual([`#${blocker}`]);
  });

  it('native blockers: only open ones count, asked only when the summary says so; other repositories are named', async () => {
    const closed = gh.addIssue({ title: 'closed blocker' });
    gh.closeIssue(closed);
    const open = gh.addIssue({ title: 'open blocker' });
    const a = gh.addIssue({ title: 'a', labels: ['agent'] });
    gh.setBlockedBy(a, [closed, open]);
    const b = gh.addIssue({ title: 'b', labels: ['agent'] });
    gh.setBlockedBy(b, [closed]);
    const t = tracker();
    const tickets = (await t.candidates()).tickets;
    expect(tickets.find((x) => x.number === a)!.blockers).toEqual([`#${open}`]);
    expect(tickets.find((x) => x.number === b)!.blockers).toEqual([]);
    expect(gh.requests.filter((r) => r.path.includes('/dependencies/')).map((r) => r.path.split('?')[0])).toEqual([
      `/repos/acme/widgets/issues/${a}/dependencies/blocked_by`,
    ]);
  });

  it('looks blockers up one at a time (GitHub asks for serial requests)', async () => {
    const refs = ['p', 'q', 'r', 's'].map((title) => gh.addIssue({ title }));
    gh.addIssue({ title: 'many', body: refs.map((n) => `Blocked by #${n}`).join('\n'), labels: ['agent'] });
    gh.addIssue({ title: 'more', body: `Depends on #${refs[0]}, #${refs[1]}`, labels: ['agent'] });
    let overlap = 0;
    const push = gh.requests.push.bind(gh.requests);
    gh.requests.push = (...entries) => {
      overlap = Math.max(overlap, gh.requests.filter((r) => r.status === 0).length);
      return push(...entries);
    };
    await tracker().candidates();
    expect(gh.requests.length).toBeGreaterThan(4);
    expect(overlap).toBe(0);
  });
});

describe('transferred issues', () => {
  it('an issue moved to another repository is gone: fetch() is null, show() is not_found, nothing is written anywhere', async () => {
    const n = gh.addIssue({ title: 'moving', labels: ['agent'] });
    const t = tracker();
    const view = (await t.fetch(String(n)))!;
    await t.show(view, { mark: 'running', sticky: 'working', pr: null });
    const moved = gh.transferIssue(n, 'acme/other');
    const dest = gh.repository('acme/other')!;
    const sameNumber = dest.addIssue({ title: 'the other repository has an issue with the old number too' });
    expect(sameNumber).not.toBe(moved);
    const mark = gh.requests.length;

    expect(await t.fetch(String(n))).toBeNull();
    const err = await t.show(view, { mark: 'review', sticky: 'handed off', pr: null }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(TrackerError);
    expect((err as TrackerError).kind).toBe('not_found');
    expect((await t.candidates()).tickets.map((x) => x.number)).not.toContain(n);

    const after = gh.requests.slice(mark);
    expect(after.filter((r) => r.status === 301).length).toBeGreaterThan(0);
    expect(after.filter((r) => r.method !== 'GET').every((r) => r.status === 301)).toBe(true); // refused, not followed
    // GETs follow the redirect (GitHub's guidance) and read the issue over there; no write does.
    expect(after.filter((r) => r.path.startsWith('/repositories/') && r.method !== 'GET')).toEqual([]);
    expect(after.some((r) => r.method === 'GET' && r.path.startsWith('/repositories/'))).toBe(true);
    expect(dest.events.filter((e) => e.actor === 'swarm-bot')).toEqual([]);
    expect(dest.comments.map((c) => c.body)).toEqual([expect.stringContaining('working')]); // moved with it, never edited
  });

  it('an issue whose repository_url is another repository is not this tracker\'s (case of the name aside)', async () => {
    // What a client that followed the 301 would have read: the issue, now in acme/other.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ number: 7, title: 'moved', state: 'open', labels: [], repository_url: 'https://api.github.com/repos/acme/other' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const octokit = createOctokit({ token: TOKEN, apiUrl, throttle: false, retries: 0 });
      const t = createGitHubTracker({ config: config(), token: TOKEN, repo: { owner: 'acme', name: 'widgets' }, octokit });
      expect(await t.fetch('7')).toBeNull();
      const same = createGitHubTracker({ config: config(), token: TOKEN, repo: { owner: 'ACME', name: 'Other' }, octokit });
      expect((await same.fetch('7'))?.title).toBe('moved');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('tokens', () => {
  it('a 401 reads the token source again once; a new token is used from then on', async () => {
    gh.addIssue({ title: 'a', labels: ['agent'] });
    let reads = 0;
    let source = 'ghs_rotatedInstallationToken1';
    const t = tracker({}, { reauth: async () => (reads++, source) });
    await t.candidates();
    gh.setTokens(['ghs_rotatedInstallationToken1']);
    expect((await t.candidates()).tickets).toHaveLength(1);
    expect(reads).toBe(1);
    const auths = gh.requests.map((r) => r.headers.authorization);
    expect(auths.slice(-2)).toEqual([`token ${TOKEN}`, 'token ghs_rotatedInstallationToken1']);
    await t.candidates();
    expect(reads).toBe(1);
    // Rejected again and the source has nothing new: the 401 surfaces after one read.
    gh.setTokens(['ghs_somethingElseEntirely']);
    const err = await t.candidates().then(() => null, (e: unknown) => e);
    expect((err as TrackerError).kind).toBe('auth');
    expect(reads).toBe(2);
    source = 'ghs_somethingElseEntirely';
    expect((await t.candidates()).tickets).toHaveLength(1);
  });

  it('parallel 401s share one read of the source', async () => {
    const n = gh.addIssue({ title: 'a', labels: ['agent'] });
    let reads = 0;
    const t = tracker({}, { reauth: async () => (reads++, await new Promise((r) => setTimeout(r, 50)), 'ghs_newTokenForAll0001') });
    gh.setTokens(['ghs_newTokenForAll0001']);
    await Promise.all([t.fetch(String(n)), t.candidates(), t.fetch(String(n))]);
    expect(reads).toBe(1);
  });

  it('without an octokit, the adapter re-reads tracker.token / GITHUB_TOKEN / `gh auth token` and masks the new token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swarm-fake-gh-'));
    try {
      const fake = makeFakeGh(dir, TOKEN);
      gh.addIssue({ title: 'a', labels: ['agent'] });
      const secrets: string[] = [];
      const t = createGitHubTracker({
        config: config({ api_url: gh.url, request_timeout: 5000 }), token: TOKEN, repo: { owner: 'acme', name: 'widgets' },
        env: { PATH: fake.path }, secrets,
      });
      await t.candidates();
      fake.setToken('gho_rotatedByGhAuthLogin42');
      gh.setTokens(['gho_rotatedByGhAuthLogin42']);
      expect((await t.candidates()).tickets).toHaveLength(1);
      expect(fake.calls()).toEqual(['auth token --hostname 127.0.0.1']);
      expect(secrets).toEqual(['gho_rotatedByGhAuthLogin42']);
      expect(redactKnown('leaked gho_rotatedByGhAuthLogin42')).toBe('leaked ***');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trust', () => {
  it('decides on `permission`, never on `role_name`: custom roles count by their base level', async () => {
    gh.setCustomRole('deployer', 'release-manager', 'maintain');
    gh.setCustomRole('writer', 'admin-lite', 'write');
    gh.setCustomRole('auditor', 'write-auditor', 'read'); // a name that says "write", a base that is read
    gh.setCustomRole('tri', 'triage-plus', 'triage');
    const t = tracker({ trusted_labelers_only: true });
    const verdict = async (user: string) => t.trust((await t.fetch(String(gh.addIssue({ title: user, labels: ['agent'], labeledBy: user }))))!);
    expect(await verdict('deployer')).toEqual({ trusted: true, reason: 'label `agent` was applied by @deployer (release-manager, write access)' });
    expect((await verdict('writer')).trusted).toBe(true);
    expect(await verdict('auditor')).toEqual({
      trusted: false,
      reason: 'label `agent` was applied by @auditor, who has write-auditor permission (read access) (trusted_labelers_only)',
    });
    expect((await verdict('tri')).trusted).toBe(false);
  });

  it('believes a permission (and a verdict built on it) for at most PERMISSION_TTL_MS', async () => {
    gh.setPermission('dev', 'write');
    const n = gh.addIssue({ title: 'x', labels: ['agent'], labeledBy: 'dev' });
    gh.addComment(n, { user: 'dev', body: 'do it this way' });
    const t = tracker({ trusted_labelers_only: true });
    const ticket = (await t.fetch(String(n)))!;
    expect((await t.trust(ticket)).trusted).toBe(true);
    expect((await t.comments(ticket))[0]!.trusted).toBe(true);
    gh.setPermission('dev', 'read'); // revoked
    clock += PERMISSION_TTL_MS - 1000;
    expect((await t.trust(ticket)).trusted).toBe(true);
    clock += 1000;
    expect((await t.trust(ticket)).trusted).toBe(false);
    expect((await t.comments(ticket))[0]!.trusted).toBe(false);
  });
});

describe('waste', () => {
  it('a claim lists the comments once: the sticky lookup serves the prompt', async () => {
    const n = gh.addIssue({ title: 'x', labels: ['agent'] });
    gh.addComment(n, { user: 'octocat', body: 'context' });
    const t = tracker();
    const view = (await t.fetch(String(n)))!;
    const mark = gh.requests.length;
    await t.show(view, { mark: 'running', sticky: 'working', pr: null });
    const comments = await t.comments(view);
    expect(comments.map((c) => c.body)).toEqual(['context']);
    expect(since(mark).filter((r) => r.startsWith(`GET /repos/acme/widgets/issues/${n}/comments`))).toHaveLength(1);
    // A later read lists again (the hand-over is used once).
    await t.comments(view);
    expect(since(mark).filter((r) => r.startsWith(`GET /repos/acme/widgets/issues/${n}/comments`))).toHaveLength(2);
  });

  it('never deletes a label the ticket does not carry', async () => {
    const n = gh.addIssue({ title: 'x', labels: ['agent'] });
    const t = tracker();
    await t.show((await t.fetch(String(n)))!, { mark: 'running', sticky: null, pr: null });
    const mark = gh.requests.length;
    await t.show((await t.fetch(String(n)))!, { mark: 'review', sticky: null, pr: null });
    await t.show((await t.fetch(String(n)))!, { mark: 'released', sticky: null, pr: null });
    expect(since(mark).filter((r) => r.startsWith('DELETE'))).toEqual([`DELETE /repos/acme/widgets/issues/${n}/labels/agent%3Arunning 200`]);
  });
});
