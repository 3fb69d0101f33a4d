// The fake GitHub's merges and native auto-merge (each behaviour as GitHub documents or answers it), and
// swarm's code host for verification after merge (tracker/github/merges.ts) against it: real commits in a
// bare origin for merge / squash / rebase, GitHub's refusals, the two GraphQL mutations with the repository's
// "allow auto-merge" setting, auto-merge carried out when the required checks pass, a reopened issue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateConfig } from '../../src/config/schema.js';
import { createOctokit } from '../../src/tracker/github/client.js';
import { createGitHubTracker, type GitHubTracker } from '../../src/tracker/github/tracker.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { makeRepo, git, type TestRepo } from '../helpers/git-repo.js';
import { commitParents, fetchBase, rebasedCount, revertIn, checkout, removeCheckout } from '../../src/workspace/verify-git.js';
import { revertArgs, revertPlan } from '../../src/core/verify-policy.js';

const TOKEN = 'ghp_verifyMergesToken0000000000';
let gh: FakeGitHub;
let repo: TestRepo;
let t: GitHubTracker;

/** A branch with `n` commits pushed to origin, and a PR for it. */
async function prWith(branch: string, files: string[]): Promise<number> {
  await git(repo.dir, 'checkout', '-q', '-b', branch, 'origin/main');
  for (const f of files) {
    fs.writeFileSync(path.join(repo.dir, f), `${f}\n`);
    await git(repo.dir, 'add', f);
    await git(repo.dir, 'commit', '-qm', `add ${f}`);
  }
  await git(repo.dir, 'push', '-q', 'origin', branch);
  await git(repo.dir, 'checkout', '-q', 'main');
  return gh.addPull({ head: branch, title: `Work on ${branch}`, body: 'Closes #1' });
}

const put = (n: number, body: Record<string, unknown>) => fetch(`${gh.url}/repos/acme/widgets/pulls/${n}/merge`, {
  method: 'PUT', headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
}).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
const pull = async (n: number) => (await fetch(`${gh.url}/repos/acme/widgets/pulls/${n}`, { headers: { authorization: `token ${TOKEN}` } }).then((r) => r.json())) as any;
const mainTip = () => execFileSync('git', ['--git-dir', repo.origin, 'rev-parse', 'refs/heads/main'], { encoding: 'utf8' }).trim();

beforeAll(async () => {
  repo = await makeRepo();
  gh = await startFakeGitHub({ token: TOKEN, gitDir: repo.origin });
  await git(repo.dir, 'fetch', '-q', 'origin');
  const config = validateConfig({ tracker: { kind: 'github', repo: 'acme/widgets', trusted_labelers_only: false, throttle_writes: false } }, { file: 'WORKFLOW.md', env: {} }).config;
  t = createGitHubTracker({ config, token: TOKEN, repo: { owner: 'acme', name: 'widgets' }, octokit: createOctokit({ token: TOKEN, apiUrl: gh.url, throttle: false, retries: 0 }) });
});
afterAll(async () => {
  await gh.close();
  repo.cleanup();
});

describe('the fake GitHub merges into the bare origin', () => {
  it('merge: a merge commit with two parents; the PR reads merged with merge_commit_sha and merged_by; the issue its body closes is closed', async () => {
    const issue = gh.addIssue({ title: 'One', labels: ['agent'] });
    expect(issue).toBe(1);
    const n = await prWith('feat-merge', ['a.txt']);
    const base = mainTip();
    const head = (await pull(n)).head.sha;
    const res = await put(n, { merge_method: 'merge' });
    expect(res).toEqual({ status: 200, body: { sha: mainTip(), merged: true, message: 'Pull Request successfully merged' } });
    await fetchBase(repo.dir, 'main');
    expect(await commitParents(repo.dir, res.body.sha)).toEqual([base, head]);
    const p = await pull(n);
    expect(p).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: res.body.sha, merged_by: { login: 'swarm-bot' }, commits: 1 });
    expect(gh.issues.find((i) => i.number === 1)!.state).toBe('closed');
    // Merging again, or with a stale head, is refused in GitHub's words.
    expect(await put(n, {})).toMatchObject({ status: 405, body: { message: 'Pull Request is not mergeable' } });
  });

  it('squash: one commit with one parent; rebase of two commits: both replayed (authors kept), merge_commit_sha the last; revert plans follow', async () => {
    const sq = await prWith('feat-squash', ['b1.txt', 'b2.txt']);
    const base = mainTip();
    const squashed = (await put(sq, { merge_method: 'squash' })).body.sha;
    await fetchBase(repo.dir, 'main');
    expect(await commitParents(repo.dir, squashed)).toEqual([base]);
    expect(await rebasedCount(repo.dir, squashed, (await pull(sq)).head.sha, 2)).toBeLessThanOrEqual(1);

    const rb = await prWith('feat-rebase', ['c1.txt', 'c2.txt']);
    const stale = await put(rb, { merge_method: 'rebase', sha: '0'.repeat(40) });
    expect(stale).toMatchObject({ status: 409, body: { message: 'Head branch was modified. Review and try the merge again.' } });
    const rebased = (await put(rb, { merge_method: 'rebase' })).body.sha;
    await fetchBase(repo.dir, 'main');
    const prHead = (await pull(rb)).head.sha;
    expect(rebased).not.toBe(prHead);
    expect(await rebasedCount(repo.dir, rebased, prHead, 2)).toBe(2);
    expect(execFileSync('git', ['-C', repo.dir, 'log', '--format=%an|%cn', '-2', rebased], { encoding: 'utf8' }).trim().split('\n')).toEqual(['Swarm Test|GitHub', 'Swarm Test|GitHub']);
    expect((await pull(rb)).commits).toBe(2);
    // The range plan reverts both rebased commits and only them.
    const dir = path.join(repo.base, 'revert-check');
    await checkout(repo.dir, dir, 'refs/remotes/origin/main');
    const res = await revertIn(dir, revertArgs(revertPlan(1, 2), rebased));
    expect(res.ok).toBe(true);
    expect(fs.existsSync(path.join(dir, 'c1.txt')) || fs.existsSync(path.join(dir, 'c2.txt'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'b1.txt'))).toBe(true);
    await removeCheckout(repo.dir, dir);
  });

  it('refuses a merge method the repository does not allow, and a PR whose required check has not passed', async () => {
    const n = await prWith('feat-refused', ['d.txt']);
    gh.setMergeSettings({ allow_rebase_merge: false });
    expect(await put(n, { merge_method: 'rebase' })).toMatchObject({ status: 405, body: { message: 'Rebase merges are not allowed on this repository.' } });
    expect(await put(n, { merge_method: 'fast-forward' })).toMatchObject({ status: 422 });
    gh.setRequiredChecks({ protection: ['ci'] });
    expect(await put(n, { merge_method: 'merge' })).toMatchObject({ status: 405, body: { message: 'Required status check "ci" is expected.' } });
    gh.setRequiredChecks({ protection: null });
    gh.setMergeSettings({ allow_rebase_merge: true });
  });
});

describe('native auto-merge (GraphQL) and swarm\'s code host for verification', () => {
  it('not allowed while the repository setting is off; "clean status" with nothing to wait for; armed while a required check is pending, merged (squash) once it passes; disabled', async () => {
    const n = await prWith('feat-auto', ['e.txt']);
    const nodeId = (await pull(n)).node_id;
    expect(await t.merges.setAutoMerge({ key: '1', nodeId: nodeId, method: 'squash' })).toEqual({ ok: false, why: 'not_allowed', message: 'Auto merge is not allowed for this repository' });
    gh.setMergeSettings({ allow_auto_merge: true });
    expect(await t.merges.setAutoMerge({ key: '1', nodeId: nodeId, method: 'squash' })).toEqual({ ok: false, why: 'clean', message: 'Pull request Pull request is in clean status' });
    gh.setRequiredChecks({ protection: ['ci'] });
    expect(await t.merges.setAutoMerge({ key: '1', nodeId: nodeId, method: 'squash' })).toEqual({ ok: true });
    expect((await pull(n)).auto_merge).toMatchObject({ merge_method: 'squash', enabled_by: { login: 'swarm-bot' } });
    // Disabling, then disabling again (nothing to disable: refused here, see the module header).
    expect(await t.merges.setAutoMerge({ key: '1', nodeId: nodeId, method: null })).toEqual({ ok: true });
    expect((await pull(n)).auto_merge).toBeNull();
    expect((await t.merges.setAutoMerge({ key: '1', nodeId: nodeId, method: null })).ok).toBe(false);
    expect(await t.merges.setAutoMerge({ key: '1', nodeId: 'PR_9999', method: 'merge' })).toMatchObject({ ok: false, why: 'failed', message: "Could not resolve to a node with the global id of 'PR_9999'" });
    // Armed again: a passing `ci` on the head completes it, as GitHub would.
    expect(await t.merges.setAutoMerge({ key: '1', nodeId: nodeId, method: 'squash' })).toEqual({ ok: true });
    await gh.addCheckRun(n, { name: 'ci', conclusion: 'success' });
    expect(gh.merges.at(-1)).toMatchObject({ pr: n, method: 'squash' });
    expect(await pull(n)).toMatchObject({ merged: true, auto_merge: null });
    expect(gh.graphqlOperations).toContain('SwarmEnableAutoMerge');
    expect(gh.graphqlOperations).toContain('SwarmDisableAutoMerge');
    gh.setRequiredChecks({ protection: null });
  });

  it('a malformed mutation is refused like GitHub refuses it (strict engine); queries are not served by this slice', async () => {
    const post = (query: string, variables: Record<string, unknown> = {}) => fetch(`${gh.url}/graphql`, { method: 'POST', headers: { authorization: `bearer ${TOKEN}` }, body: JSON.stringify({ query, variables }) }).then((r) => r.json()) as Promise<any>;
    const wrongMethod = await post('mutation($id: ID!, $m: PullRequestMergeMethod) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $m}) { pullRequest { number } } }', { id: 'PR_1', m: 'FAST_FORWARD' });
    expect(wrongMethod.errors[0].message).toMatch(/Variable \$m of type PullRequestMergeMethod was provided invalid value/);
    const unknownField = await post('mutation { enablePullRequestAutoMerge(input: {pullRequestId: "PR_1"}) { pullRequest { mergeable } } }');
    expect(unknownField.errors[0].message).toMatch(/mergeable/);
    const badInput = await post('mutation { disablePullRequestAutoMerge(input: {id: "PR_1"}) { pullRequest { number } } }');
    expect(badInput.errors[0].message).toMatch(/Argument 'input' on Field 'disablePullRequestAutoMerge' has an invalid value/);
    const query = await post('{ viewer { login } }');
    expect(query.errors[0].message).toBe("Field 'viewer' doesn't exist on type 'Query'");
  });

  it('reads the base branch\'s head, protection and a commit\'s checks (required ones marked known); reopens an issue once', async () => {
    const tip = mainTip();
    await gh.addCommitCheckRun(tip, { name: 'ci', conclusion: 'failure', log: 'boom\n' });
    await gh.addCommitStatus(tip, { context: 'deploy', state: 'success' });
    gh.setRequiredChecks({ protection: ['ci'] });
    expect(await t.merges.branch('main')).toEqual({ sha: tip, protected: true });
    expect(await t.merges.branch('no-such-branch')).toEqual({ sha: null, protected: null });
    const cc = await t.merges.commitChecks(tip, 'main', true);
    expect(cc.checks.map((c) => [c.name, c.conclusion])).toEqual([['ci', 'failure'], ['deploy', 'success']]);
    expect([...cc.required!]).toEqual(['ci']);
    expect(await t.merges.logExcerpt(cc.checks[0]!, 100)).toBe('boom');
    gh.setRequiredChecks({ protection: null });

    const n = gh.addIssue({ title: 'Reverted', labels: ['agent', 'agent:review'] });
    gh.closeIssue(n, 'swarm-bot');
    const closed = (await t.fetch(String(n)))!;
    await t.show(closed, { mark: 'cleared', sticky: null, pr: null, reopen: true, reverted: true });
    // Shown again (a crash before the tracker's answer was recorded): the issue is open already; no second reopen.
    await t.show((await t.fetch(String(n)))!, { mark: 'cleared', sticky: null, pr: null, reopen: true, reverted: true });
    expect(gh.issues.find((i) => i.number === n)!.state).toBe('open');
    expect(gh.events.filter((e) => e.issue === n && e.event === 'reopened')).toHaveLength(1);
    expect(gh.labelsOf(n)).toEqual(['agent', 'agent:reverted']);
  });
});
