// The GitHub client and adapter against what real tokens and a real GitHub answer (issue #24): a pinned API
// version on every request, a renamed repository (301 for GETs, 307 for writes), secondary limits without
// retry-after, a GitHub App's installation tokens across an hour on an injected clock, a token command,
// and a fine-grained token that cannot read check runs (the Actions API instead, required checks read).
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/schema.js';
import { createOctokit } from '../../src/tracker/github/client.js';
import { createGitHubTracker, type GitHubTracker } from '../../src/tracker/github/tracker.js';
import { AppAuth } from '../../src/tracker/github/app-auth.js';
import { commandAuth, REFRESH_MARGIN_MS, type GitHubAuth } from '../../src/tracker/github/auth.js';
import { TrackerError } from '../../src/errors.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { git, makeRepo, type TestRepo } from '../helpers/git-repo.js';

const TOKEN = 'github_pat_tokensTestValue0001';
let gh: FakeGitHub | undefined;
let repo: TestRepo | undefined;
afterEach(async () => {
  await gh?.close();
  repo?.cleanup();
  gh = undefined;
  repo = undefined;
});

function config(tracker: Record<string, unknown> = {}, pr: Record<string, unknown> = {}): Config {
  return validateConfig({ tracker: { kind: 'github', repo: 'acme/widgets', trusted_labelers_only: false, throttle_writes: false, ...tracker }, pr }, { file: 'WORKFLOW.md', env: {} }).config;
}

function tracker(opts: { auth?: GitHubAuth; cfg?: Config; now?: () => number; over?: Partial<Parameters<typeof createOctokit>[0]> } = {}): GitHubTracker {
  const octokit = createOctokit({ ...(opts.auth ? { auth: opts.auth } : { token: TOKEN }), apiUrl: gh!.url, throttle: false, retries: 0, timeoutMs: 3000, now: opts.now, ...opts.over });
  return createGitHubTracker({ config: opts.cfg ?? config(), token: TOKEN, auth: opts.auth, repo: { owner: 'acme', name: 'widgets' }, octokit, now: opts.now ? () => new Date(opts.now!()) : undefined });
}

const log = (from = 0) => gh!.requests.slice(from).map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`);

describe('every request', () => {
  it('carries X-GitHub-Api-Version 2022-11-28; the fake refuses a version GitHub does not know, in GitHub\'s words', async () => {
    gh = await startFakeGitHub({ token: TOKEN });
    const n = gh.addIssue({ title: 'x', labels: ['agent'] });
    const t = tracker();
    await t.candidates();
    await t.show((await t.fetch(String(n)))!, { mark: 'running', sticky: 'working', pr: null });
    expect(gh.requests.length).toBeGreaterThan(3);
    expect(gh.requests.every((r) => r.headers['x-github-api-version'] === '2022-11-28')).toBe(true);
    const res = await fetch(`${gh.url}/repos/acme/widgets`, { headers: { authorization: `token ${TOKEN}`, 'x-github-api-version': 'v3' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/"v3", is not a supported version/);
  });
});

describe('a renamed repository', () => {
  it('GETs follow the 301 and polling goes on; a write\'s 307 is never followed: swarm learns the new name and writes there', async () => {
    gh = await startFakeGitHub({ token: TOKEN });
    const n = gh.addIssue({ title: 'Before the rename', labels: ['agent'] });
    const t = tracker();
    const before = (await t.fetch(String(n)))!;
    gh.renameRepository('acme/gadgets');
    gh.clearRequests();

    const listed = await t.candidates();
    expect(listed.tickets.map((x) => x.number)).toEqual([n]);
    expect(log()).toEqual([
      'GET /repos/acme/widgets/issues 301', 'GET /repositories/1296269/issues 200', // followed by hand, same origin
      'GET /repos/acme/widgets 301', 'GET /repositories/1296269 200', // the repository read again: it moved
    ]);
    expect(t.notes()).toEqual([expect.stringMatching(/^repository acme\/widgets now answers as acme\/gadgets \(GitHub redirects\): swarm follows it; set tracker\.repo/)]);
    gh.clearRequests();
    await t.show(before, { mark: 'running', sticky: 'working', pr: null });
    expect(log().filter((l) => !l.startsWith('GET'))).toEqual([`POST /repos/acme/gadgets/issues/${n}/labels 200`, `POST /repos/acme/gadgets/issues/${n}/comments 201`]);
    expect(gh.labelsOf(n)).toContain('agent:running');
    expect((await t.fetch(String(n)))?.title).toBe('Before the rename'); // the transfer guard knows the new name
  });

  it('a write that meets the 307 first learns the move and is sent again to the new name, once', async () => {
    gh = await startFakeGitHub({ token: TOKEN });
    const n = gh.addIssue({ title: 'x', labels: ['agent'] });
    const t = tracker();
    const view = (await t.fetch(String(n)))!;
    gh.renameRepository('octo/widgets', { getStatus: 307 }); // a temporary redirect is followed too
    gh.clearRequests();
    await t.show(view, { mark: 'running', sticky: null, pr: null });
    expect(log()).toEqual([`POST /repos/acme/widgets/issues/${n}/labels 307`, 'GET /repos/acme/widgets 307', 'GET /repositories/1296269 200', `POST /repos/octo/widgets/issues/${n}/labels 200`]);
  });
});

describe('secondary rate limits without retry-after', () => {
  it('waits a minute, then doubles; while the wait lasts no request is sent; a success ends the streak', async () => {
    gh = await startFakeGitHub({ token: TOKEN });
    gh.addIssue({ title: 'x', labels: ['agent'] });
    let now = 0;
    // 1 ms per second of wait: a minute is 60 ms of this test.
    const t = tracker({ now: () => now, over: { retryAfterBaseMs: 1, maxRetryAfterSec: 60, secondaryRetries: 3 } });
    gh.setFaults({ rate: 1, kinds: ['secondary-bare'], limit: 2 });
    const err = await t.candidates().then(() => null, (e: unknown) => e as TrackerError);
    // The first 60 s wait is sat out in the call; the second limit asks for 120 s: surfaced with when to come back.
    expect(err).toBeInstanceOf(TrackerError);
    expect(err!.kind).toBe('rate_limited');
    expect(err!.retryAt).toBe(new Date(120_000).toISOString());
    expect(log()).toEqual(['GET /repos/acme/widgets/issues 403', 'GET /repos/acme/widgets/issues 403']);
    const blocked = await t.candidates().then(() => null, (e: unknown) => e as TrackerError);
    expect(blocked!.kind).toBe('rate_limited');
    expect(gh.requests).toHaveLength(2); // refused here, never sent
    now += 120;
    expect((await t.candidates()).tickets).toHaveLength(1);
    gh.setFaults({ rate: 1, kinds: ['secondary-429'], limit: 1 });
    gh.clearRequests();
    expect((await t.candidates()).unchanged).toBe(true); // streak over: 60 s again, sat out, then the 304
    expect(log()).toEqual(['GET /repos/acme/widgets/issues 429', 'GET /repos/acme/widgets/issues 304']);
  });
});

describe('GitHub App authentication', () => {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
  const app = { id: 4242, slug: 'swarm-app', installationId: 77, publicKey: keys.publicKey };

  it('mints an installation token (installation found from the repository), refreshes it before its hour is up, acts as <slug>[bot]', async () => {
    // The process clock signs the JWT; the fake checks it on the same clock, shifted by `skew` for the hour.
    let skew = 0;
    const now = () => Date.now() + skew;
    gh = await startFakeGitHub({ app, now });
    const minted: string[] = [];
    const auth = new AppAuth({ appId: '4242', privateKey: keys.privateKey, installationId: null, repo: { owner: 'acme', repo: 'widgets' }, apiUrl: gh.url, now, onToken: (x) => minted.push(x) });
    const n = gh.addIssue({ title: 'x', labels: ['agent'] });
    gh.addComment(n, { user: 'mallory', body: '<!-- swarm:status -->\nplanted by someone else' });
    const t = tracker({ auth, now });
    await t.show((await t.fetch(String(n)))!, { mark: 'running', sticky: 'working on it', pr: null });
    expect(gh.minted).toHaveLength(1);
    expect(minted).toEqual([gh.minted[0]!.token]);
    // GET /user answers an installation token 403: the sticky is matched by the App's bot login instead.
    const sticky = gh.comments.filter((c) => c.issue === n && c.body.includes('swarm:status'));
    expect(sticky.map((c) => [c.user, c.body])).toEqual([['mallory', '<!-- swarm:status -->\nplanted by someone else'], ['swarm-app[bot]', '<!-- swarm:status -->\nworking on it']]);
    expect(log().filter((l) => l.includes('/app') || l.includes('installation') || l.startsWith('GET /user'))).toEqual([
      'GET /app 200', 'GET /repos/acme/widgets/installation 200', 'POST /app/installations/77/access_tokens 201',
    ]);
    // Through the hour: the same token until less than REFRESH_MARGIN_MS is left, then a new one, no 401.
    skew = 30 * 60_000;
    await t.candidates();
    expect(gh.minted).toHaveLength(1);
    skew = 60 * 60_000 - REFRESH_MARGIN_MS + 1000;
    await t.candidates();
    expect(gh.minted).toHaveLength(2);
    skew = 61 * 60_000; // the first token has expired on GitHub's side
    await t.show((await t.fetch(String(n)))!, { mark: 'running', sticky: 'still working', pr: null });
    // No request ever carried an expired installation token.
    expect(gh.requests.filter((r) => r.status === 401 && !r.path.startsWith('/app/'))).toEqual([]);
    // (The JWT is signed on this process's real clock while the fake's runs an hour ahead: @octokit/auth-app
    // reads GitHub's Date header after the 401 and signs again with the difference, as it does against GitHub.)
    const mints = gh.requests.filter((r) => r.path === '/app/installations/77/access_tokens').map((r) => r.status);
    expect(mints.filter((x) => x === 201)).toHaveLength(2);
    expect(gh.comments.filter((c) => c.user === 'swarm-app[bot]').map((c) => c.body)).toEqual(['<!-- swarm:status -->\nstill working']);
  });

  it('a key of another App is refused with GitHub\'s words, as an auth problem naming the keys to check; a rejected token is minted again', async () => {
    gh = await startFakeGitHub({ app: { ...app, tokenTtlSec: 3600 } });
    const wrong = new AppAuth({ appId: '4242', privateKey: other.privateKey, installationId: 77, repo: { owner: 'acme', repo: 'widgets' }, apiUrl: gh.url });
    const err = await tracker({ auth: wrong }).candidates().then(() => null, (e: unknown) => e as TrackerError);
    expect(err?.kind).toBe('auth');
    expect(err?.message).toMatch(/GitHub refused reading the App \(GET \/app\) \(401\): A JSON web token could not be decoded: check tracker\.app_id and that tracker\.private_key is a current key of that App/);

    const auth = new AppAuth({ appId: '4242', privateKey: keys.privateKey, installationId: 77, repo: { owner: 'acme', repo: 'widgets' }, apiUrl: gh.url });
    const t = tracker({ auth });
    await t.candidates();
    const first = gh.minted[0]!.token;
    expect(await auth.renew(first)).not.toBe(first);
    expect(gh.minted).toHaveLength(2);
  });
});

describe('tracker.token_command', () => {
  it('runs at first use, again before the expiry it printed, and after a 401', async () => {
    gh = await startFakeGitHub({ token: 'tok-1' });
    let now = Date.parse('2026-01-01T00:00:00Z');
    const dir = (repo = await makeRepo()).base;
    const script = `${dir}/token.sh`;
    const { writeFileSync } = await import('node:fs');
    const say = (token: string, expires: string) => writeFileSync(script, `echo '{"token":"${token}","expires_at":"${expires}"}'\necho run >> ${dir}/runs\n`);
    say('tok-1', '2026-01-01T01:00:00Z');
    const seen: string[] = [];
    const auth = commandAuth({ command: `sh ${script}`, cwd: dir, env: { PATH: process.env.PATH }, now: () => now, onToken: (x) => seen.push(x) });
    gh.addIssue({ title: 'x', labels: ['agent'] });
    const t = tracker({ auth });
    await t.candidates();
    await t.candidates();
    expect(seen).toEqual(['tok-1']);
    say('tok-2', '2026-01-01T02:00:00Z');
    gh.setTokens(['tok-1', 'tok-2']);
    now = Date.parse('2026-01-01T00:56:00Z'); // less than five minutes left
    await t.candidates();
    expect(seen).toEqual(['tok-1', 'tok-2']);
    say('tok-3', '2026-01-01T03:00:00Z');
    gh.setTokens(['tok-3']); // revoked early: the 401 runs the command again
    expect((await t.candidates()).tickets).toHaveLength(1);
    expect(seen).toEqual(['tok-1', 'tok-2', 'tok-3']);
    writeFileSync(script, 'exit 3\n');
    gh.setTokens([]);
    const err = await t.candidates().then(() => null, (e: unknown) => e as TrackerError);
    expect(err?.kind).toBe('auth');
    expect(err?.message).toBe('tracker.token_command exited with 3: fix the command or the credentials it reads');
  });
});

describe('a fine-grained token on a private repository', () => {
  async function world(grants: Parameters<FakeGitHub['grant']>[1]) {
    repo = await makeRepo();
    await git(repo.dir, 'checkout', '-q', '-b', 'swarm/1-x');
    await git(repo.dir, 'commit', '-q', '--allow-empty', '-m', 'work');
    await git(repo.dir, 'push', '-q', 'origin', 'swarm/1-x');
    gh = await startFakeGitHub({ token: 'ghp_unused', gitDir: repo.origin, private: true });
    gh.grant(TOKEN, grants);
    gh.addIssue({ title: 'x', labels: ['agent'] });
    return gh.addPull({ head: 'swarm/1-x', body: 'Closes #1' });
  }

  it('check runs refused once (and not asked again), CI read through the Actions API, the failing job\'s log for the prompt', async () => {
    const pr = await world({ issues: 'write', pull_requests: 'write', contents: 'read', statuses: 'read', actions: 'read' });
    await gh!.addWorkflowRun(pr, { name: 'CI', jobs: [{ name: 'unit', conclusion: 'failure', log: 'setup\nFAIL widget.test.ts\n', steps: [{ name: 'Run tests', conclusion: 'failure' }] }, { name: 'lint', conclusion: 'success' }] });
    await gh!.addStatus(pr, { context: 'ci/external', state: 'success' });
    gh!.setRequiredChecks({ protection: ['unit'] });
    const t = tracker();
    const first = await t.watch.observe(pr);
    expect(first.checks.map((c) => [c.name, c.conclusion, c.source, c.required])).toEqual([
      ['lint', 'success', 'actions_job', false], ['unit', 'failure', 'actions_job', true], ['ci/external', 'success', 'status', false],
    ]);
    const refusal = gh!.requests.find((r) => r.path.includes('/check-runs'))!;
    expect([refusal.status, refusal.responseHeaders['x-accepted-github-permissions']]).toEqual([403, 'checks=read']);
    expect(t.notes()).toEqual([expect.stringMatching(/^check runs unreadable with this token \(fine-grained tokens lack Checks; GitHub asks for Checks: read\): PR follow-through reads commit statuses, reviews and GitHub Actions runs instead/)]);
    gh!.clearRequests();
    const second = await t.watch.observe(pr);
    expect(second.unchanged).toBe(true);
    expect(log().some((l) => l.includes('check-runs'))).toBe(false);
    const unit = second.checks.find((c) => c.name === 'unit')!;
    expect(await t.watch.logExcerpt(unit, 1000)).toContain('FAIL widget.test.ts');
    expect(unit.summary).toBe('workflow CI, job unit: failure (failed step: Run tests)');
  });

  it('without Actions: read either, statuses still count, and both refusals are named; the writes a token lacks are named at the 403', async () => {
    const pr = await world({ issues: 'read', pull_requests: 'read', statuses: 'read' });
    await gh!.addStatus(pr, { context: 'ci/jenkins', state: 'failure', description: 'broken' });
    const t = tracker();
    const o = await t.watch.observe(pr);
    expect(o.checks.map((c) => [c.name, c.conclusion, c.required])).toEqual([['ci/jenkins', 'failure', null]]);
    expect(t.notes()).toEqual([
      expect.stringContaining('check runs unreadable with this token (fine-grained tokens lack Checks'),
      expect.stringMatching(/^GitHub Actions runs unreadable with this token too; GitHub asks for Actions: read: grant it Actions: read/),
      expect.stringMatching(/^required checks unknown \(the token cannot read main's branch protection\)/),
      'commits unreadable with this token (GitHub asks for Contents: read): who pushed to a PR branch is not named when a human takes over',
    ]);
    // The repository says the user may push; the token still may not write issues.
    expect((await t.checkAccess()).canPush).toBe(true);
    const err = await t.show((await t.fetch('1'))!, { mark: 'running', sticky: null, pr: null }).then(() => null, (e: unknown) => e as TrackerError);
    expect(err?.kind).toBe('auth');
    expect(err?.message).toBe('GitHub refused adding label agent:running to #1 on acme/widgets (403): Resource not accessible by personal access token — grant the token Issues: write (or Pull requests: write)');
  });

  it('a collaborator-permission read is refused to a token whose user cannot push: an auth problem, said', async () => {
    gh = await startFakeGitHub({ token: TOKEN });
    gh.setPermission('swarm-bot', 'read');
    const n = gh.addIssue({ title: 'x', labels: ['agent'], labeledBy: 'octocat' });
    const t = tracker({ cfg: config({ trusted_labelers_only: true }) });
    const err = await t.trust((await t.fetch(String(n)))!).then(() => null, (e: unknown) => e as TrackerError);
    expect(err?.kind).toBe('auth');
    expect(err?.message).toMatch(/\(403\): Must have push access to view collaborator permission\./);
  });

  it('a parent issue reports its sub-issues', async () => {
    gh = await startFakeGitHub({ token: TOKEN });
    const parent = gh.addIssue({ title: 'Epic', labels: ['agent'] });
    const a = gh.addIssue({ title: 'a' });
    const b = gh.addIssue({ title: 'b' });
    gh.setSubIssues(parent, [a, b]);
    gh.closeIssue(a);
    const t = tracker();
    expect((await t.candidates()).tickets.find((x) => x.number === parent)?.sub_issues).toEqual({ open: 1, total: 2 });
  });
});

describe('the fake is as strict as GitHub', () => {
  it('App JWT rules, installation tokens that expire, /user refused to them, fine-grained grants public and private', async () => {
    const { createPrivateKey, sign, generateKeyPairSync: gen } = await import('node:crypto');
    const pair = gen('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
    let now = Date.parse('2026-06-01T12:00:00Z');
    gh = await startFakeGitHub({ token: TOKEN, app: { id: 9, slug: 'bot', installationId: 5, publicKey: pair.publicKey }, now: () => now });
    const jwt = (claims: Record<string, unknown>) => {
      const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const head = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
      return `${head}.${sign('RSA-SHA256', Buffer.from(head), createPrivateKey(pair.privateKey)).toString('base64url')}`;
    };
    const call = async (path: string, auth: string, method = 'GET') => {
      const res = await fetch(`${gh!.url}${path}`, { method, headers: { authorization: auth } });
      return { status: res.status, body: (await res.json()) as { message?: string; token?: string; expires_at?: string }, permissions: res.headers.get('x-accepted-github-permissions') };
    };
    const t = Math.floor(now / 1000);
    expect((await call('/app', `bearer ${jwt({ iat: t - 30, exp: t + 570, iss: 9 })}`)).status).toBe(200);
    expect((await call('/app', `bearer ${jwt({ iat: t - 30, exp: t + 900, iss: 9 })}`)).body.message).toBe("'Expiration time' claim ('exp') is too far in the future");
    expect((await call('/app', `bearer ${jwt({ iat: t - 700, exp: t - 100, iss: 9 })}`)).body.message).toMatch(/^'Expiration time' claim \('exp'\) must be a numeric value representing the future time/);
    expect((await call('/app', `bearer ${jwt({ iat: t + 60, exp: t + 300, iss: 9 })}`)).body.message).toMatch(/^'Issued at' claim \('iat'\) must be an Integer/);
    expect((await call('/app', `bearer ${jwt({ iat: t - 30, exp: t + 570, iss: 10 })}`)).status).toBe(401);
    expect((await call('/repos/acme/widgets/issues', `bearer ${jwt({ iat: t - 30, exp: t + 570, iss: 9 })}`)).status).toBe(401); // a JWT is not a repository credential
    const minted = await call('/app/installations/5/access_tokens', `bearer ${jwt({ iat: t - 30, exp: t + 570, iss: 9 })}`, 'POST');
    expect(minted.status).toBe(201);
    expect(minted.body.expires_at).toBe('2026-06-01T13:00:00Z');
    const inst = `token ${minted.body.token}`;
    expect(await call('/user', inst)).toMatchObject({ status: 403, body: { message: 'Resource not accessible by integration' } });
    expect((await call('/repos/acme/widgets', inst)).status).toBe(200);
    now += 3600_000;
    expect((await call('/repos/acme/widgets', inst)).body.message).toBe('Bad credentials');

    expect(() => gh!.grant('github_pat_x', { checks: 'read' })).toThrow(/no Checks permission/);
    gh.grant('github_pat_reader', { issues: 'read' });
    gh.addIssue({ title: 'x' });
    expect((await call('/repos/acme/widgets/commits/main/check-runs', 'token github_pat_reader')).status).not.toBe(403); // public: reads need no permission
    const write = await call('/repos/acme/widgets/issues/1/labels', 'token github_pat_reader', 'POST');
    expect([write.status, write.body.message, write.permissions]).toEqual([403, 'Resource not accessible by personal access token', 'issues=write; pull_requests=write']);
  });
});
