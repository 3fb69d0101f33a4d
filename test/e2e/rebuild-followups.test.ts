// Issue #23 acceptance 3: state.json is deleted after one ticket had two follow-up rounds (and reached the
// pr.max_followups bound) and another stopped for a human (someone else pushed to its PR). The next start
// rebuilds the records from events.jsonl: `swarm status` shows the same rounds and needs-human stops, and no
// follow-up runs again although both PRs' checks are still failing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, runCli, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon | null = null;
beforeAll(async () => {
  ({ project, gh } = await githubWorld());
});
afterAll(async () => {
  await teardown(daemon, gh, project);
});

const FIX = [{ init: true }, { text: 'Fixing the PR.' }, { commit: { file: 'fix.txt' } }, { push: true }, { result: {} }];
const ticket = (n: number) => (fs.existsSync(path.join(project.swarmDir, 'state.json')) ? project.state().tickets[String(n)] : undefined);
const calls = () => project.claudeCalls().length;
const watchesOf = (pr: number) => gh.requests.filter((r) => r.method === 'GET' && r.path === `/repos/acme/widgets/pulls/${pr}`).length;
const watched = (pr: number, rounds: number) => {
  const before = watchesOf(pr);
  return waitFor(() => watchesOf(pr) >= before + rounds, { timeoutMs: 30_000, what: `${rounds} watches of PR #${pr}` });
};
const watchedView = async () =>
  (JSON.parse((await runCli(project, ['status', '--json'])).stdout).watched as { ticket: string; state: string; rounds: number }[])
    .map((w) => ({ ticket: w.ticket, state: w.state, rounds: w.rounds }))
    .sort((a, b) => a.ticket.localeCompare(b.ticket));

it('a deleted state.json is rebuilt with its follow-up rounds and needs-human stops; no extra follow-up runs', async () => {
  project.writeWorkflow(githubConfig(gh, { pr: { watch_interval: '1s', max_followups: 2 } }));
  const bounded = gh.addIssue({ title: 'Keeps failing', labels: ['agent'] });
  const taken = gh.addIssue({ title: 'Taken over by a human', labels: ['agent'] });
  project.setScenarios({ [bounded]: ['commit_and_pr', FIX], [taken]: ['commit_and_pr', FIX] });
  daemon = startDaemon(project);
  await waitFor(() => [bounded, taken].every((n) => ticket(n)?.status === 'review' && gh.labelsOf(n).includes('agent:review')), { timeoutMs: 60_000, what: 'both handed off' });
  const prOf = (n: number) => gh.pulls.find((p) => p.head === ticket(n)!.branch)!.number;
  const [prB, prT] = [prOf(bounded), prOf(taken)];

  // The bounded ticket: every head's check fails → 2 follow-up rounds, then needs-human.
  const failed = new Set<string>();
  const breaker = setInterval(() => {
    void gh.headSha(prB).then(async (sha) => {
      if (failed.has(sha)) return;
      failed.add(sha);
      await gh.addCheckRun(prB, { name: 'build', conclusion: 'failure', sha, summary: 'still broken' });
    });
  }, 200);
  // The other: a human pushes to its branch (with a failing check) → needs-human, no run.
  await waitFor(() => ticket(taken).followup?.seen, { timeoutMs: 30_000, what: 'the PR watched' });
  const human = await gh.addCommit(prT, { author: 'Hanna Human', email: 'hanna@example.invalid', message: 'My own fix' });
  await gh.addCheckRun(prT, { name: 'build', conclusion: 'failure', sha: human, summary: 'broken by the human' });
  try {
    await waitFor(() => [bounded, taken].every((n) => gh.labelsOf(n).includes('agent:needs-human')), { timeoutMs: 90_000, what: 'both need a human' });
    await watched(prB, 2);
  } finally {
    clearInterval(breaker);
  }
  const before = await watchedView();
  expect(before).toEqual([
    { ticket: `#${bounded}`, state: 'needs_human', rounds: 2 },
    { ticket: `#${taken}`, state: 'needs_human', rounds: 0 },
  ]);
  const runs = calls();
  expect(runs).toBe(4); // 1 + 2 follow-ups, and 1

  await daemon.stop();
  daemon = null;
  fs.rmSync(path.join(project.swarmDir, 'state.json'));
  daemon = startDaemon(project);
  await daemon.waitForOutput(/rebuilt 2 ticket record\(s\)/);
  await watched(prB, 3);
  await watched(prT, 1);
  expect(await watchedView()).toEqual(before);
  expect(calls()).toBe(runs); // the failing checks are not followed up again
  expect(ticket(bounded)!.followup).toMatchObject({ rounds: 2, stopped: { why: 'needs_human' } });
  expect(ticket(taken)!.followup).toMatchObject({ stopped: { why: 'human_push' } });
  expect(project.events().filter((e) => e.type === 'followup_started')).toHaveLength(2);
}, 150_000);
