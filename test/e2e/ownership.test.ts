// Issue #23 acceptance 1: swarm touches nothing it did not mark. Two repositories share one absolute
// workspace.root; B's daemon has a live agent and an uncommitted file in its worktree — starting A, and
// `swarm gc` (even --force) in A, leave both alone. workspace.root set to ".", "..", "~" is a configuration
// error naming the key. A repository (with its worktrees inside it) moved to another folder and started
// again: its worktrees are reconnected, and no worktree with uncommitted files is deleted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../helpers/git-repo.js';
import { isAlive, killLeftovers, makeProject, runCli, startDaemon, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

let a: Project;
let b: Project;
let bDaemon: Daemon | null = null;
let shared: string;

function ticket(p: Project, name: string, title: string): void {
  const dir = path.join(p.dir, '.swarm', 'tickets');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.md`), `---\n${JSON.stringify({ title, labels: ['agent'] })}\n---\nDo it.\n`);
}

beforeAll(async () => {
  [a, b] = await Promise.all([makeProject(), makeProject()]);
  shared = path.join(a.base, 'shared-worktrees');
});
afterAll(async () => {
  await bDaemon?.stop();
  for (const p of [a, b]) {
    killLeftovers(p.base);
    p.cleanup();
  }
});

describe('swarm owns only what it marked', () => {
  it('two repositories on one workspace.root: starting A and gc in A leave B\'s agent and uncommitted work alone', async () => {
    b.writeWorkflow({ workspace: { root: shared } });
    b.setScenarios({ busy: [[{ init: true }, { spawnSleep: 1000, pidFile: 'b-agent.pid' }, { hang: true }]] });
    ticket(b, 'busy', 'B is busy');
    bDaemon = startDaemon(b);
    const pidFile = path.join(b.base, 'b-agent.pid');
    await waitFor(() => fs.existsSync(pidFile), { timeoutMs: 60_000, what: "B's agent running" });
    const bAgent = Number(fs.readFileSync(pidFile, 'utf8'));
    const bWorktree = b.state().tickets.busy.worktree as string;
    expect(path.dirname(path.dirname(bWorktree))).toBe(fs.realpathSync(shared));
    fs.writeFileSync(path.join(bWorktree, 'uncommitted.txt'), "B's work in progress\n");

    a.writeWorkflow({ workspace: { root: shared } });
    a.setScenarios({ default: ['commit_only'] });
    ticket(a, 'mine', 'A has work too');
    const run = await runCli(a, ['start', '--until-idle']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const aWorktree = JSON.parse(fs.readFileSync(path.join(a.swarmDir, 'state.json'), 'utf8')).tickets.mine.worktree as string;
    expect(path.dirname(aWorktree)).not.toBe(path.dirname(bWorktree)); // a namespace each
    // A closed ticket makes A's own worktree finished work: gc in A has something of its own to collect.
    fs.writeFileSync(path.join(a.dir, '.swarm', 'tickets', 'mine.md'), fs.readFileSync(path.join(a.dir, '.swarm', 'tickets', 'mine.md'), 'utf8').replace(/^---\n/, '---\nstate: closed\n'));
    for (const args of [['gc'], ['gc', '--force']]) {
      const gc = await runCli(a, args);
      expect(gc.code, gc.stdout + gc.stderr).toBe(0);
      expect(gc.stdout).not.toContain(bWorktree);
    }
    expect(fs.existsSync(aWorktree)).toBe(false); // A's own finished worktree did go

    expect(isAlive(bAgent)).toBe(true);
    expect(fs.readFileSync(path.join(bWorktree, 'uncommitted.txt'), 'utf8')).toBe("B's work in progress\n");
    expect(await git(bWorktree, 'status', '--porcelain')).toContain('?? uncommitted.txt');
    expect(b.state().tickets.busy.status).toBe('running');
    await bDaemon.stop();
    bDaemon = null;
  });

  it('workspace.root ".", "..", "~" are refused: exit 2 naming the key, nothing created', async () => {
    for (const root of ['.', '..', '~']) {
      a.writeWorkflow({ workspace: { root } });
      const res = await runCli(a, ['start', '--once']);
      expect(res.code, `${root}: ${res.stdout}${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(new RegExp(`WORKFLOW\\.md: workspace\\.root "${root.replace(/\./g, '\\.')}" (is the repository itself|contains the repository|is your home folder)`));
    }
    a.writeWorkflow({ workspace: { root: shared } });
  });

  it('a moved repository, started again, reconnects its worktrees and deletes none holding uncommitted files', async () => {
    b.writeWorkflow({ workspace: { root: '.swarm/worktrees' }, agent: { max_attempts: 1 } });
    b.setScenarios({ default: ['no_changes'] });
    fs.rmSync(path.join(b.dir, '.swarm', 'tickets', 'busy.md')); // the first case's ticket is done with
    ticket(b, 'kept', 'Left unfinished');
    const first = await runCli(b, ['start', '--until-idle']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const wt = b.state().tickets.kept.worktree as string;
    expect(wt.startsWith(fs.realpathSync(b.dir))).toBe(true);
    fs.writeFileSync(path.join(wt, 'notes.txt'), 'uncommitted notes\n');

    const moved = path.join(b.base, 'moved-repo');
    fs.renameSync(b.dir, moved);
    const newWt = path.join(moved, path.relative(b.dir, wt));
    const again = await runCli(b, ['start', '--until-idle'], { cwd: moved });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const gc = await runCli(b, ['gc', '--verbose'], { cwd: moved });
    expect(gc.code, gc.stdout + gc.stderr).toBe(0);
    expect(fs.readFileSync(path.join(newWt, 'notes.txt'), 'utf8')).toBe('uncommitted notes\n');
    const list = await git(moved, 'worktree', 'list', '--porcelain');
    expect(list).toContain(`worktree ${newWt}`);
    expect(list).not.toMatch(/prunable/);
    expect(await git(newWt, 'status', '--porcelain')).toContain('?? notes.txt');
    fs.renameSync(moved, b.dir); // cleanup() removes the whole base either way
  });
});
