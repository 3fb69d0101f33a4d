// The pure parts of issue #24's GitHub work: which permission a 403 asks for, the secondary-limit backoff,
// token-command output, the GitHub API host for an origin, the auth keys of WORKFLOW.md, stale and
// action_required checks, optional checks, and parents with open sub-issues.
import { describe, expect, it } from 'vitest';
import { describeAccepted, parseAcceptedPermissions, tokenKind } from '../../src/tracker/github/permissions.js';
import { mapGitHubError, missingPermission } from '../../src/tracker/github/errors.js';
import { SecondaryBackoff, SecondaryLimitWait } from '../../src/tracker/github/secondary.js';
import { AuthSourceError, parseCommandOutput } from '../../src/tracker/github/auth.js';
import { githubApiUrl, linearCodeHostApi } from '../../src/tracker/github/api-url.js';
import { validateConfig } from '../../src/config/schema.js';
import { resolveGithubCredentials } from '../../src/config/credentials.js';
import { decideFollowup, checkSummary } from '../../src/core/followup-policy.js';
import { eligibility } from '../../src/core/policy.js';
import { markRequired } from '../../src/tracker/github/required-checks.js';
import { blankTicketState } from '../../src/core/records.js';
import { emptyState } from '../../src/state/empty-state.js';
import type { PrCheck, PrObservation } from '../../src/tracker/pr-watch.js';
import type { Ticket } from '../../src/tracker/types.js';
import type { TicketState } from '../../src/core/types.js';

const cfg = (raw: Record<string, unknown> = {}) => validateConfig(raw, { file: 'WORKFLOW.md', env: { KEY: '-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----' } }).config;
const err403 = (headers: Record<string, string>, message = 'Resource not accessible by personal access token') =>
  Object.assign(new Error(message), { status: 403, response: { headers } });

describe('a 403 names the permission', () => {
  it('reads X-Accepted-GitHub-Permissions: sets by ";", permissions within a set by ","', () => {
    expect(parseAcceptedPermissions('issues=write; pull_requests=write')).toEqual([[{ name: 'issues', level: 'write' }], [{ name: 'pull_requests', level: 'write' }]]);
    expect(describeAccepted('issues=write; pull_requests=write')).toBe('Issues: write (or Pull requests: write)');
    expect(describeAccepted('contents=read,statuses=read')).toBe('Contents: read + Commit statuses: read');
    expect(describeAccepted('checks=read')).toBe('Checks: read');
    expect(describeAccepted('')).toBeNull();
    expect(describeAccepted(undefined)).toBeNull();
  });

  it('puts it in the error an operator sees (fine-grained and classic), never for a rate limit', () => {
    const now = () => new Date('2026-01-01T00:00:00Z');
    const fine = mapGitHubError(err403({ 'x-accepted-github-permissions': 'issues=write; pull_requests=write' }), { repo: 'acme/widgets', token: 't', now, what: 'adding label agent:running to #1' });
    expect(fine.kind).toBe('auth');
    expect(fine.message).toBe('GitHub refused adding label agent:running to #1 on acme/widgets (403): Resource not accessible by personal access token — grant the token Issues: write (or Pull requests: write)');
    expect(missingPermission(err403({ 'x-accepted-oauth-scopes': 'repo' }))).toBe('a classic token needs the scope repo');
    expect(missingPermission(err403({}))).toBe('the token lacks permission for it');
    const limited = mapGitHubError(err403({ 'retry-after': '30' }, 'You have exceeded a secondary rate limit'), { repo: 'acme/widgets', token: 't', now, what: 'x' });
    expect(limited.kind).toBe('rate_limited');
    expect(mapGitHubError(new AuthSourceError('tracker.token_command exited with 1'), { repo: 'a/b', token: 't', now, what: 'x' }).kind).toBe('auth');
  });

  it('names the kind of token by its documented prefix', () => {
    expect(tokenKind('github_pat_11AAA')).toBe('fine-grained personal access token');
    expect(tokenKind('ghp_abc')).toBe('classic personal access token');
    expect(tokenKind('ghs_abc')).toBe('GitHub App installation token');
  });
});

describe('secondary rate limits', () => {
  const limit = (status: number, headers: Record<string, string> = {}, message = 'You have exceeded a secondary rate limit.') =>
    Object.assign(new Error(message), { status, response: { headers } });

  it('retry-after wins; without it at least a minute, doubling while limits keep coming, reset by a success', () => {
    let t = 0;
    const b = new SecondaryBackoff(() => t);
    expect(b.onError(limit(403, { 'retry-after': '7' }))).toEqual({ waitSec: 7, streak: 1 });
    expect(b.remainingSec()).toBe(7);
    t += 7000;
    expect(b.remainingSec()).toBe(0);
    expect(b.onError(limit(429))).toEqual({ waitSec: 120, streak: 2 });
    expect(b.onError(limit(403))).toEqual({ waitSec: 240, streak: 3 });
    b.success();
    expect(b.onError(limit(429, {}, 'Too Many Requests'))).toEqual({ waitSec: 60, streak: 1 });
    for (let i = 0; i < 10; i++) b.onError(limit(403));
    expect(b.onError(limit(403))!.waitSec).toBe(30 * 60); // capped
  });

  it('is not a secondary limit: a permission 403, the primary limit, or our own wait', () => {
    const b = new SecondaryBackoff(() => 0);
    expect(b.onError(limit(403, {}, 'Resource not accessible by personal access token'))).toBeNull();
    expect(b.onError(limit(403, { 'x-ratelimit-remaining': '0' }, 'API rate limit exceeded'))).toBeNull();
    expect(b.onError(new SecondaryLimitWait(5))).toBeNull();
    expect(b.onError(limit(500))).toBeNull();
  });
});

describe('tracker.token_command output', () => {
  it('a bare token, or JSON with expires_at; never echoes what it could not use', () => {
    expect(parseCommandOutput('ghs_abc\n')).toEqual({ token: 'ghs_abc', expiresAt: null });
    expect(parseCommandOutput('{"token":"ghs_x","expires_at":"2026-01-01T01:00:00Z"}')).toEqual({ token: 'ghs_x', expiresAt: Date.parse('2026-01-01T01:00:00Z') });
    expect(() => parseCommandOutput('')).toThrow(AuthSourceError);
    expect(() => parseCommandOutput('{"tok": "secret-value"}')).toThrow(/without a "token"/);
    expect(() => parseCommandOutput('{not json secret-value')).not.toThrow(/secret-value/);
  });
});

describe('the GitHub API of an origin', () => {
  it('github.com, GHE.com data residency (api.SUBDOMAIN.ghe.com), GitHub Enterprise Server', () => {
    expect(githubApiUrl('github.com')).toBe('https://api.github.com');
    expect(githubApiUrl(undefined)).toBe('https://api.github.com');
    expect(githubApiUrl('octocorp.ghe.com')).toBe('https://api.octocorp.ghe.com');
    expect(githubApiUrl('ghe.example.com')).toBe('https://ghe.example.com/api/v3');
    expect(linearCodeHostApi('git@octocorp.ghe.com:acme/widgets.git', {})).toBe('https://api.octocorp.ghe.com');
    expect(linearCodeHostApi('https://octocorp.ghe.com/acme/widgets.git', { GITHUB_API_URL: 'http://127.0.0.1:9' })).toBe('http://127.0.0.1:9');
  });
});

describe('GitHub auth keys', () => {
  it('an App needs both keys; one way to authenticate at a time; the inline key is a secret', () => {
    expect(() => cfg({ tracker: { app_id: '123' } })).toThrow(/tracker\.private_key is missing/);
    expect(() => cfg({ tracker: { private_key: 'key.pem' } })).toThrow(/tracker\.app_id is missing/);
    expect(() => cfg({ tracker: { app_id: 'abc', private_key: 'k.pem' } })).toThrow(/tracker\.app_id must be the App's numeric id/);
    expect(() => cfg({ tracker: { app_id: '1', private_key: 'k.pem', token_command: 'x' } })).toThrow(/tracker\.app_id and tracker\.token_command are both set/);
    expect(() => cfg({ tracker: { token: 'x', token_command: 'y' } })).toThrow(/tracker\.token_command and tracker\.token are both set/);
    expect(() => cfg({ tracker: { installation_id: 5 } })).toThrow(/tracker\.installation_id is set but tracker\.app_id is not/);
    const v = validateConfig({ tracker: { app_id: 123, private_key: '$KEY', installation_id: 9 } }, { file: 'WORKFLOW.md', env: { KEY: '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----' } });
    expect(v.config.tracker).toMatchObject({ app_id: '123', installation_id: 9 });
    expect(v.secrets).toContain('-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----');
    expect(resolveGithubCredentials(v.config, '/nowhere')).toMatchObject({ kind: 'app', appId: '123', installationId: 9, source: 'tracker.private_key' });
    expect(() => resolveGithubCredentials(cfg({ tracker: { app_id: '1', private_key: 'missing.pem' } }), '/nowhere')).toThrow(/cannot read \/nowhere\/missing\.pem \(ENOENT\)/);
    expect(cfg().pr.followup_checks).toBe('required');
    expect(() => cfg({ pr: { followup_checks: 'some' } })).toThrow(/pr\.followup_checks must be one of required \| all/);
  });
});

const HEAD = 'b'.repeat(40);
const check = (name: string, conclusion: string | null, required?: boolean | null): PrCheck => ({ id: 1, name, status: conclusion === null ? 'in_progress' : 'completed', conclusion, summary: '', app: 'github-actions', details_url: null, source: 'check_run', ...(required !== undefined ? { required } : {}) });
const obs = (checks: PrCheck[]): PrObservation => ({ number: 7, state: 'open', head_sha: HEAD, head_branch: 'swarm/1-x', unchanged: false, checks, reviews: [], comments: [], head_pushed_by: { login: 'swarm-bot', committer_email: null } });
const inReview = (): TicketState => ({ ...blankTicketState('1', '#1', '2026-01-01T00:00:00Z'), status: 'review', pr: { number: 7, url: 'u' }, followup: { rounds: 0, handled: [], ours: [HEAD], pending: null, stopped: null, seen: null } });

describe('checks only a person can clear, and optional checks', () => {
  it('stale and action_required: no follow-up, "needs a human" with what to do', () => {
    for (const conclusion of ['stale', 'action_required']) {
      const d = decideFollowup(inReview(), obs([check('deploy', conclusion), check('unit', 'success')]), { config: cfg(), budgetStop: null });
      expect(d.act).toBe('none');
      expect(d).toMatchObject({ why: expect.stringMatching(new RegExp(`^needs a human: check deploy is ${conclusion} on bbbbbbb`)), human: expect.any(String) });
    }
    expect(checkSummary(obs([check('deploy', 'stale'), check('unit', 'success')]))).toBe('1 passed, 1 needs a human');
    // A real failure beside it is still followed up.
    expect(decideFollowup(inReview(), obs([check('deploy', 'stale'), check('unit', 'failure')]), { config: cfg(), budgetStop: null })).toMatchObject({ act: 'followup', failing: [expect.objectContaining({ name: 'unit' })] });
  });

  it('pr.followup_checks: required follows up required checks only (every check when none are known); all follows up any', () => {
    const optional = obs([check('lint', 'failure', false), check('unit', 'success', true)]);
    const required = decideFollowup(inReview(), optional, { config: cfg(), budgetStop: null });
    expect(required).toEqual({ act: 'none', why: expect.stringContaining('lint failed but the base branch does not require it') });
    expect(checkSummary(optional, cfg())).toBe('1 passed, 1 optional failing');
    expect(decideFollowup(inReview(), optional, { config: cfg({ pr: { followup_checks: 'all' } }), budgetStop: null }).act).toBe('followup');
    expect(decideFollowup(inReview(), obs([check('lint', 'failure', null)]), { config: cfg(), budgetStop: null }).act).toBe('followup');
    expect(markRequired([check('a', 'failure'), check('b', 'failure')], { kind: 'known', names: new Set(['a']) }).map((c) => c.required)).toEqual([true, false]);
    expect(markRequired([check('a', 'failure')], { kind: 'unknown', why: 'x' }).map((c) => c.required)).toEqual([null]);
  });
});

describe('parents with open sub-issues', () => {
  const ticket = (sub: Ticket['sub_issues']): Ticket => ({ key: '1', id: '1', identifier: '#1', number: 1, title: 'Epic', body: '', url: 'u', labels: ['agent'], priority: 4, state: 'open', open: true, phase: 'todo', created_at: '', updated_at: '', blockers: [], branch_hint: null, sub_issues: sub });
  const rules = (t: Ticket, c = cfg()) => eligibility(t, { config: c, state: emptyState(0), now: 0, running: new Set() }).filter((r) => r.rule === 'sub_issues');
  it('held as "has open sub-issues" unless tracker.claim_parents; a parent whose sub-issues are closed is claimable', () => {
    expect(rules(ticket({ open: 2, total: 3 }))).toEqual([{ rule: 'sub_issues', pass: false, detail: 'has open sub-issues (2 of 3 sub-issues open): it waits for them (tracker.claim_parents: true claims parents anyway)' }]);
    expect(rules(ticket({ open: 2, total: 3 }), cfg({ tracker: { claim_parents: true } }))[0]!.pass).toBe(true);
    expect(rules(ticket({ open: 0, total: 3 }))[0]).toMatchObject({ pass: true, detail: 'its 3 sub-issues are closed' });
    expect(rules(ticket(null))).toEqual([]);
  });
});
