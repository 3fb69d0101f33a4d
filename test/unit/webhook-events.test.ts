// Payload → dirty-set mapping (pure): every event and action swarm subscribes to, what it names, and hostile
// payloads — missing fields, wrong types, enormous arrays, another repository or team — that must map to
// fewer hints or none and never throw.
import { describe, expect, it } from 'vitest';
import { mapGithubDelivery } from '../../src/webhooks/github-events.js';
import { mapLinearDelivery } from '../../src/webhooks/linear-events.js';
import { MAX_HINTS_PER_DELIVERY } from '../../src/webhooks/hints.js';

const REPO = 'acme/widgets';
const repository = { full_name: 'acme/widgets' };
const SHA = 'a'.repeat(40);

function hints(m: ReturnType<typeof mapGithubDelivery>) {
  if (m.kind !== 'hints') throw new Error(`expected hints, got ${JSON.stringify(m)}`);
  return m.hints;
}

describe('GitHub deliveries → objects to re-read', () => {
  it.each(['labeled', 'unlabeled', 'edited', 'closed', 'reopened', 'transferred', 'opened', 'deleted'])('issues.%s names the issue', (action) => {
    expect(hints(mapGithubDelivery('issues', { action, issue: { number: 12 }, repository }, REPO))).toEqual({ tickets: ['12'], prs: [], commits: [] });
  });

  it('issues actions that change nothing swarm decides are ignored', () => {
    for (const action of ['assigned', 'milestoned', 'pinned', 'locked']) expect(mapGithubDelivery('issues', { action, issue: { number: 1 }, repository }, REPO).kind).toBe('ignored');
  });

  it('an issue comment names the issue, a comment on a pull request the PR', () => {
    expect(hints(mapGithubDelivery('issue_comment', { action: 'created', issue: { number: 3 }, repository }, REPO)).tickets).toEqual(['3']);
    expect(hints(mapGithubDelivery('issue_comment', { action: 'created', issue: { number: 4, pull_request: { url: 'x' } }, repository }, REPO)).prs).toEqual([4]);
  });

  it("swarm's own status comment (its hidden marker) is not worth a look", () => {
    expect(mapGithubDelivery('issue_comment', { action: 'edited', issue: { number: 3 }, comment: { body: '<!-- swarm:status -->\nRunning' }, repository }, REPO).kind).toBe('ignored');
    expect(mapGithubDelivery('issue_comment', { action: 'created', issue: { number: 3 }, comment: { body: 'Please also fix the docs' }, repository }, REPO).kind).toBe('hints');
  });

  it('pull_request closed/synchronize, reviews and review comments name the PR', () => {
    expect(hints(mapGithubDelivery('pull_request', { action: 'closed', pull_request: { number: 7, merged: true }, repository }, REPO)).prs).toEqual([7]);
    expect(hints(mapGithubDelivery('pull_request', { action: 'synchronize', pull_request: { number: 7 }, repository }, REPO)).prs).toEqual([7]);
    expect(hints(mapGithubDelivery('pull_request_review', { action: 'submitted', pull_request: { number: 8 }, repository }, REPO)).prs).toEqual([8]);
    expect(hints(mapGithubDelivery('pull_request_review_comment', { action: 'created', pull_request: { number: 9 }, repository }, REPO)).prs).toEqual([9]);
    expect(mapGithubDelivery('pull_request', { action: 'labeled', pull_request: { number: 7 }, repository }, REPO).kind).toBe('ignored');
  });

  it.each(['check_run', 'check_suite', 'workflow_run'])('%s.completed names the head commit and the PRs it lists', (event) => {
    const h = hints(mapGithubDelivery(event, { action: 'completed', [event]: { head_sha: SHA, pull_requests: [{ number: 5 }, { number: 6 }] }, repository }, REPO));
    expect(h).toEqual({ tickets: [], prs: [5, 6], commits: [SHA] });
    expect(mapGithubDelivery(event, { action: 'created', [event]: { head_sha: SHA }, repository }, REPO).kind).toBe('ignored');
  });

  it('a commit status names its commit; a pending one is ignored', () => {
    expect(hints(mapGithubDelivery('status', { sha: SHA, state: 'failure', repository }, REPO)).commits).toEqual([SHA]);
    expect(mapGithubDelivery('status', { sha: SHA, state: 'pending', repository }, REPO).kind).toBe('ignored');
  });

  it('ping is a ping, whatever its body', () => {
    expect(mapGithubDelivery('ping', null, REPO).kind).toBe('ping');
    expect(mapGithubDelivery('ping', { zen: 'x', hook_id: 1 }, REPO).kind).toBe('ping');
  });

  it('a delivery about another repository is ignored (compared regardless of case)', () => {
    expect(mapGithubDelivery('issues', { action: 'labeled', issue: { number: 1 }, repository: { full_name: 'evil/widgets' } }, REPO).kind).toBe('ignored');
    expect(mapGithubDelivery('issues', { action: 'labeled', issue: { number: 1 } }, REPO).kind).toBe('ignored');
    expect(mapGithubDelivery('issues', { action: 'labeled', issue: { number: 1 }, repository: { full_name: 'ACME/Widgets' } }, REPO).kind).toBe('hints');
  });

  it('events swarm does not use are ignored', () => {
    expect(mapGithubDelivery('push', { ref: 'refs/heads/main', repository }, REPO).kind).toBe('ignored');
    expect(mapGithubDelivery('deployment', {}, REPO).kind).toBe('ignored');
  });

  describe('hostile payloads', () => {
    const cases: [string, string, unknown][] = [
      ['a non-object body', 'issues', 'labeled'],
      ['an array body', 'issues', [1, 2, 3]],
      ['null', 'issues', null],
      ['no issue', 'issues', { action: 'labeled', repository }],
      ['an issue that is a string', 'issues', { action: 'labeled', issue: 'everything', repository }],
      ['a string number', 'issues', { action: 'labeled', issue: { number: '12' }, repository }],
      ['a negative number', 'issues', { action: 'labeled', issue: { number: -1 }, repository }],
      ['a fractional number', 'issues', { action: 'labeled', issue: { number: 1.5 }, repository }],
      ['a number past 2^53', 'issues', { action: 'labeled', issue: { number: 2 ** 60 }, repository }],
      ['a non-string action', 'issues', { action: ['labeled'], issue: { number: 1 }, repository }],
      ['a repository that is a number', 'issues', { action: 'labeled', issue: { number: 1 }, repository: 42 }],
      ['a sha that is not hex', 'check_run', { action: 'completed', check_run: { head_sha: 'z'.repeat(40) }, repository }],
      ['a sha with a path in it', 'status', { sha: '../../etc/passwd', state: 'failure', repository }],
      ['pull_requests that is an object', 'check_run', { action: 'completed', check_run: { pull_requests: { number: 1 } }, repository }],
      ['pull_requests of junk', 'check_suite', { action: 'completed', check_suite: { pull_requests: [null, 'x', { number: 'one' }, [], { number: {} }] }, repository }],
    ];
    it.each(cases)('%s maps to nothing and does not throw', (_name, event, payload) => {
      const m = mapGithubDelivery(event, payload, REPO);
      expect(m.kind).toBe('ignored');
    });

    it('a huge pull_requests array is read only up to the cap', () => {
      const pull_requests = Array.from({ length: 1_000_000 }, (_, i) => ({ number: i + 1 }));
      const t0 = Date.now();
      const h = hints(mapGithubDelivery('check_suite', { action: 'completed', check_suite: { head_sha: SHA, pull_requests }, repository }, REPO));
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(h.prs.length + h.commits.length).toBe(MAX_HINTS_PER_DELIVERY);
    });

    it('duplicates are named once; prototype keys are plain data', () => {
      const h = hints(mapGithubDelivery('check_run', JSON.parse(`{"action":"completed","check_run":{"head_sha":"${SHA}","pull_requests":[{"number":2},{"number":2}],"__proto__":{"polluted":1}},"repository":{"full_name":"acme/widgets"}}`), REPO));
      expect(h.prs).toEqual([2]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
});

describe('Linear deliveries → objects to re-read', () => {
  const issue = { id: '3f2b9a40-1c2d-4e5f-8a9b-0c1d2e3f4a5b', identifier: 'ENG-12', team: { key: 'ENG' }, teamId: 't1' };

  it.each(['create', 'update', 'remove'])('Issue.%s names the issue by its identifier', (action) => {
    expect(mapLinearDelivery({ type: 'Issue', action, data: issue }, 'ENG')).toEqual({ kind: 'hints', event: 'Issue', action, hints: { tickets: ['ENG-12'], prs: [], commits: [] } });
  });

  it('a Comment names its issue (identifier when given, else the issue id)', () => {
    const by = (data: unknown) => mapLinearDelivery({ type: 'Comment', action: 'create', data }, 'ENG');
    expect(by({ id: 'c1', issue: { identifier: 'ENG-3' }, issueId: issue.id })).toMatchObject({ kind: 'hints', hints: { tickets: ['ENG-3'] } });
    expect(by({ id: 'c1', issueId: issue.id })).toMatchObject({ kind: 'hints', hints: { tickets: [issue.id] } });
  });

  it('another team, another resource type, an unknown action: ignored', () => {
    expect(mapLinearDelivery({ type: 'Issue', action: 'update', data: { ...issue, identifier: 'OPS-1', team: { key: 'OPS' } } }, 'ENG').kind).toBe('ignored');
    expect(mapLinearDelivery({ type: 'Project', action: 'update', data: {} }, 'ENG').kind).toBe('ignored');
    expect(mapLinearDelivery({ type: 'Issue', action: 'archive', data: issue }, 'ENG').kind).toBe('ignored');
  });

  it.each([
    ['no data', { type: 'Issue', action: 'update' }],
    ['data that is a list', { type: 'Issue', action: 'update', data: [issue] }],
    ['an identifier with spaces', { type: 'Issue', action: 'update', data: { identifier: 'ENG 12; DROP' } }],
    ['an identifier that is a number', { type: 'Issue', action: 'update', data: { identifier: 12 } }],
    ['an id that is not a uuid', { type: 'Issue', action: 'update', data: { id: '../../x' } }],
    ['a comment without an issue', { type: 'Comment', action: 'create', data: { id: 'c1' } }],
    ['a 10 kB identifier', { type: 'Issue', action: 'update', data: { identifier: `ENG-${'9'.repeat(10_000)}` } }],
  ])('%s maps to nothing', (_name, payload) => {
    expect(mapLinearDelivery(payload, 'ENG').kind).toBe('ignored');
  });
});
