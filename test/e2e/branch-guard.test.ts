// Issue #23 acceptance 7: a human force-pushes a ticket's branch (swarm had handed it off), then an operator
// runs `swarm retry`. No agent starts on the stale local branch: the ticket stops for a human (failed,
// with the needs-human label), the reason — in events, status and explain — names the divergence, the
// local commits are kept under a backup ref, and origin keeps the human's commits.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { runCli, useProject, type Project } from '../helpers/daemon.js';

let project: Project;
useProject((p) => (project = p));

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: project.env }).trim();

it('a force-pushed branch, then swarm retry: no agent on the stale branch, needs-human naming the divergence, origin keeps the human\'s commits', async () => {
  project.writeWorkflow({});
  project.setScenarios({ default: [[{ envDump: 'agent-env.json' }, 'commit_only']] });
  const tickets = path.join(project.dir, '.swarm', 'tickets');
  fs.mkdirSync(tickets, { recursive: true });
  fs.writeFileSync(path.join(tickets, 'fp.md'), `---\n${JSON.stringify({ title: 'Force pushed later', labels: ['agent'] })}\n---\nDo it.\n`);
  const first = await runCli(project, ['start', '--until-idle']);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  const ts = project.state().tickets.fp;
  expect(ts.status).toBe('review');
  const branch = ts.branch as string;
  // The agent's git carries the pre-push guard (core.hooksPath through its environment) and its repository's id.
  const env = JSON.parse(fs.readFileSync(path.join(project.base, 'agent-env.json'), 'utf8'));
  expect(env).toMatchObject({ GIT_CONFIG_KEY_0: 'core.hooksPath', SWARM_REPO_ID: fs.readFileSync(path.join(project.dir, '.git', 'swarm-repo-id'), 'utf8').trim() });
  expect(fs.readFileSync(path.join(env.GIT_CONFIG_VALUE_0, 'pre-push'), 'utf8')).toMatch(/refusing a non-fast-forward push/);
  const agentHead = git(ts.worktree, 'rev-parse', 'HEAD');
  expect(git(project.origin, 'rev-parse', `refs/heads/${branch}`)).toBe(agentHead); // handed off: pushed

  // A human rewrites the branch and force-pushes it.
  const human = path.join(project.base, 'human');
  git(project.base, 'clone', '-q', project.origin, human);
  git(human, 'checkout', '-q', '-b', branch, 'origin/main');
  fs.writeFileSync(path.join(human, 'human.txt'), 'the human took over\n');
  git(human, 'add', 'human.txt');
  git(human, '-c', 'user.name=Human', '-c', 'user.email=h@example.invalid', 'commit', '-qm', 'human rewrite');
  git(human, 'push', '-q', '--force', 'origin', branch);
  const humanHead = git(human, 'rev-parse', 'HEAD');

  // A handed-off ticket is retried only with --force (main's #27: a plain retry would run beside its PR).
  const retry = await runCli(project, ['retry', 'fp', '--force']);
  expect(retry.code, retry.stdout + retry.stderr).toBe(0);
  const calls = project.claudeCalls().length;
  const again = await runCli(project, ['start', '--until-idle']);
  expect(again.code, again.stdout + again.stderr).toBe(0);

  expect(project.claudeCalls()).toHaveLength(calls); // no agent started
  const ev = project.events().filter((e) => e.type === 'branch_diverged');
  expect(ev).toHaveLength(1);
  expect(ev[0]).toMatchObject({ ticket: 'fp', branch, local_head: agentHead, remote_head: humanHead, ahead: 1, behind: 1, label: 'agent:needs-human' });
  expect(ev[0].reason).toMatch(new RegExp(`origin/${branch.replace(/\//g, '\\/')} diverged from the local branch \\(someone rewrote or force-pushed it\\)`));
  const after = project.state().tickets.fp;
  expect(after).toMatchObject({ status: 'failed', followup: { stopped: { why: 'diverged' } } });
  expect(after.attempts).toHaveLength(1); // the retry added no attempt
  expect(git(project.origin, 'rev-parse', `refs/heads/${branch}`)).toBe(humanHead); // origin keeps the human's commits
  expect(git(project.dir, 'rev-parse', ev[0].backup_ref)).toBe(agentHead); // and ours are kept locally
  const front = fs.readFileSync(path.join(tickets, 'fp.md'), 'utf8');
  expect(front).toMatch(/agent:needs-human/);
  expect(front).toMatch(/agent:failed/);

  const status = await runCli(project, ['status']);
  expect(status.stdout).toMatch(/Failed \(1\)[\s\S]*fp +0 failures · needs a human: origin\//);
  const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
  expect(json.failed).toEqual([expect.objectContaining({ key: 'fp', reason: expect.stringMatching(/^needs a human: origin\/.* diverged from the local branch/) })]);
  const explain = await runCli(project, ['explain', 'fp']);
  expect(explain.stdout).toMatch(/Next: stopped for a human: origin\/.* diverged from the local branch/);
});
