// tracker.kind: local — swarm on any git repo with no service and no token. Handoff is "commits on
// the ticket's branch" (pushed to origin when there is one); no pull request.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { git } from '../helpers/git-repo.js';
import { makeProject, runCli, type Project } from '../helpers/daemon.js';

let project: Project;
beforeEach(async () => {
  project = await makeProject();
});
afterEach(() => project.cleanup());

function ticket(name: string, front: Record<string, unknown>, body = 'Do it.'): void {
  const dir = path.join(project.dir, '.swarm', 'tickets');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.md`), `---\n${JSON.stringify(front)}\n---\n${body}\n`);
}
const front = (name: string) => fs.readFileSync(path.join(project.dir, '.swarm', 'tickets', `${name}.md`), 'utf8');

it('hands off local tickets as pushed branches, in priority order, honouring blockers and labels', async () => {
  project.writeWorkflow({ agent: { max_concurrent: 1 } });
  project.setScenarios({ default: ['commit_only'] });
  ticket('low', { title: 'Low priority', labels: ['agent'], priority: 'low' });
  ticket('urgent', { title: 'Urgent one', labels: ['agent'], priority: 'P0' });
  ticket('after', { title: 'Needs urgent first', labels: ['agent'], blocked_by: 'urgent' });
  ticket('closed', { title: 'Already closed', labels: ['agent'], state: 'closed' });
  ticket('nolabel', { title: 'Not for agents', labels: ['docs'] });

  const res = await runCli(project, ['start', '--until-idle']);
  expect(res.code, res.stdout + res.stderr).toBe(0);

  const started = project.events().filter((e) => e.type === 'started').map((e) => e.ticket);
  // "after" is blocked while "urgent" is open; swarm hands "urgent" off but does not close it, so it stays blocked.
  expect(started).toEqual(['urgent', 'low']);
  const state = project.state();
  for (const k of ['urgent', 'low']) {
    expect(state.tickets[k].status).toBe('review');
    expect(front(k)).toMatch(/agent:review/);
    expect(front(k)).not.toMatch(/agent:running/);
    const branch = state.tickets[k].branch;
    expect(await git(project.origin, 'rev-parse', '--verify', `refs/heads/${branch}`)).toMatch(/^[0-9a-f]{40}$/);
  }
  expect(state.tickets.closed).toBeUndefined();
  expect(state.tickets.nolabel).toBeUndefined();
  expect(fs.readFileSync(path.join(project.dir, '.swarm', 'tickets', '.status', 'urgent.md'), 'utf8')).toMatch(/Pull request: branch swarm\//);

  // Close the blocker: the blocked ticket becomes eligible.
  fs.writeFileSync(path.join(project.dir, '.swarm', 'tickets', 'urgent.md'), front('urgent').replace(/state: open|"state":"open"/, 'state: closed').replace(/^---\n/, '---\nstate: closed\n'));
  const res2 = await runCli(project, ['start', '--until-idle']);
  expect(res2.code, res2.stdout + res2.stderr).toBe(0);
  expect(project.state().tickets.after.status).toBe('review');
});

it('--dry-run says what would be claimed and changes nothing', async () => {
  ticket('one', { title: 'One', labels: ['agent'] });
  ticket('two', { title: 'Two', labels: ['agent', 'blocked'] });
  const before = front('one');
  const res = await runCli(project, ['start', '--dry-run']);
  expect(res.code, res.stderr).toBe(0);
  expect(res.stdout).toMatch(/claim\s+one One/);
  expect(res.stdout).toMatch(/skip\s+two Two: carries excluded label blocked/);
  expect(res.stdout).toMatch(/nothing was changed/);
  expect(front('one')).toBe(before);
  expect(fs.existsSync(path.join(project.dir, '.swarm', 'state.json'))).toBe(false);
  expect(project.claudeCalls()).toHaveLength(0);
});
