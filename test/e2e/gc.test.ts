// `swarm gc` and the daemon's own sweep (issue #5 hygiene): finished tickets' worktrees and local branches
// go (PR merged/closed, ticket closed), unpushed commits stay unless --force (and the output says which
// and why), stale git metadata is pruned, half-created directories are removed, old transcripts are
// deleted, bytes freed are reported; a running daemon's tickets are never touched.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, runCli, startDaemon, waitFor, type Daemon, type Project, githubWorld, teardown } from '../helpers/daemon.js';

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon | null = null;

beforeEach(async () => {
  ({ project, gh } = await githubWorld());
});

afterEach(async () => {
  await teardown(daemon, gh, project);
  daemon = null;
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: project.env });
const branchExists = (b: string) => git(project.dir, 'branch', '--list', b).trim() !== '';

describe('swarm gc', () => {
  it('removes finished work, keeps unpushed commits unless --force, prunes, deletes old transcripts; dry-run changes nothing', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 3 } }));
    const [merged, open, closed] = ['Merged work', 'Open PR', 'Closed ticket'].map((title) => gh.addIssue({ title, labels: ['agent'] }));
    project.setScenarios({ default: ['commit_and_pr'] });
    const run = await runCli(project, ['start', '--until-idle']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const st = project.state();
    const t = (n: number) => st.tickets[String(n)];
    for (const n of [merged, open, closed]) expect(fs.existsSync(t(n).worktree)).toBe(true);

    gh.mergePull(gh.pulls.find((p) => p.head === t(merged!).branch)!.number);
    gh.closeIssue(closed!);
    fs.writeFileSync(path.join(t(closed!).worktree, 'local-only.txt'), 'never pushed\n');
    git(t(closed!).worktree, 'add', 'local-only.txt');
    git(t(closed!).worktree, 'commit', '-qm', 'local only');
    fs.writeFileSync(path.join(t(closed!).worktree, 'scratch.txt'), 'untracked notes\n');
    // This repository's namespace: a marked folder git does not know (a crash between the mark and
    // `git worktree add`) is swarm's to remove; a folder swarm never marked, there or beside it, is not.
    const ns = path.dirname(t(merged!).worktree);
    const repoId = path.basename(ns);
    expect(repoId).toBe(fs.readFileSync(path.join(project.dir, '.git', 'swarm-repo-id'), 'utf8').trim());
    const junk = path.join(ns, 'half-created-dir');
    fs.mkdirSync(junk, { recursive: true });
    fs.writeFileSync(path.join(ns, '.swarm-owned', 'half-created-dir.json'), JSON.stringify({ swarm: 'worktree', version: 1, repo_id: repoId, dir: 'half-created-dir', branch: 'swarm/99-x', created_at: '', pid: 1 }));
    const strangers = [path.join(ns, 'not-marked'), path.join(project.swarmDir, 'worktrees', 'someone-elses')];
    for (const d of strangers) {
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'x.txt'), 'x'.repeat(5000));
    }
    const oldRun = t(open!).attempts[0].run_file as string;
    const month = (Date.now() - 30 * 86_400_000) / 1000;
    fs.utimesSync(oldRun, month, month);
    const freshRun = t(merged!).attempts[0].run_file as string;

    const dry = await runCli(project, ['gc', '--dry-run']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would remove ${t(merged!).worktree} and branch ${t(merged!).branch}`);
    expect(dry.stdout).toMatch(/PR merged/);
    expect(dry.stdout).toContain(`would remove ${fs.realpathSync(junk)}`);
    expect(dry.stdout).toMatch(new RegExp(`kept .*#${closed}.*ticket closed, but its worktree holds 1 uncommitted or untracked file\\(s\\); use --force`));
    expect(dry.stdout).toMatch(/would free \d+(\.\d)? (B|KB|MB): 2 worktree\(s\), 1 transcript\(s\)/);
    for (const n of [merged, open, closed]) expect(fs.existsSync(t(n!).worktree)).toBe(true);
    expect(fs.existsSync(junk) && fs.existsSync(oldRun)).toBe(true);

    const real = await runCli(project, ['gc']);
    expect(real.code, real.stdout + real.stderr).toBe(0);
    expect(real.stdout).toMatch(/freed \d+(\.\d)? (B|KB|MB): 2 worktree\(s\), 1 transcript\(s\); 1 kept, 1 still in progress/);
    expect(fs.existsSync(t(merged!).worktree)).toBe(false);
    expect(branchExists(t(merged!).branch)).toBe(false);
    expect(fs.existsSync(junk)).toBe(false);
    expect(fs.existsSync(oldRun)).toBe(false);
    expect(fs.existsSync(freshRun)).toBe(true);
    expect(fs.existsSync(t(open!).worktree)).toBe(true); // PR still open
    expect(fs.existsSync(t(closed!).worktree) && branchExists(t(closed!).branch)).toBe(true); // unpushed commit and untracked file kept
    expect(fs.existsSync(path.join(t(closed!).worktree, 'scratch.txt'))).toBe(true);
    expect(real.stdout).toMatch(/kept .*uncommitted or untracked/);
    for (const d of strangers) expect(fs.existsSync(path.join(d, 'x.txt'))).toBe(true);

    fs.rmSync(path.join(t(closed!).worktree, 'scratch.txt'));
    const unpushedOnly = await runCli(project, ['gc']);
    expect(unpushedOnly.stdout).toMatch(new RegExp(`kept .*#${closed}.*ticket closed, but .* has 1 unpushed commit\\(s\\); use --force`));
    fs.writeFileSync(path.join(t(closed!).worktree, 'scratch.txt'), 'untracked notes\n');
    const forced = await runCli(project, ['gc', '--force']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/--force: 1 unpushed commit\(s\) and 1 uncommitted file\(s\) deleted/);
    for (const d of strangers) expect(fs.existsSync(path.join(d, 'x.txt'))).toBe(true); // never swarm's, even with --force
    expect(fs.existsSync(t(closed!).worktree)).toBe(false);
    expect(branchExists(t(closed!).branch)).toBe(false);
    expect(git(project.dir, 'worktree', 'list', '--porcelain')).not.toMatch(/prunable/);
  });

  it('the daemon sweeps at startup; with a daemon running, gc leaves its tickets alone and prunes stale metadata', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 3 } }));
    const done = gh.addIssue({ title: 'Done and merged', labels: ['agent'] });
    project.setScenarios({ default: ['commit_and_pr'] });
    expect((await runCli(project, ['start', '--until-idle'])).code).toBe(0);
    const doneTs = project.state().tickets[String(done)];
    gh.mergePull(gh.pulls.find((p) => p.head === doneTs.branch)!.number);

    // A ticket that will be running, with a (contrived) merged PR: finished by the rule, but busy.
    const busy = gh.addIssue({ title: 'Busy right now', labels: ['agent'] });
    project.setScenarios({ [busy]: [[{ init: true }, { spawnSleep: 1000, pidFile: 'busy.pid' }, { hang: true }]] });
    const sweepsBefore = project.events().filter((e) => e.type === 'gc').length;
    daemon = startDaemon(project);
    // Startup sweep: the merged ticket's worktree and branch are gone without anyone running gc.
    await waitFor(() => project.events().filter((e) => e.type === 'gc').length > sweepsBefore, { timeoutMs: 60_000, what: 'startup sweep' });
    const sweepEv = project.events().filter((e) => e.type === 'gc')[sweepsBefore]!;
    expect(sweepEv.removed).toContain(doneTs.worktree);
    expect(fs.existsSync(doneTs.worktree)).toBe(false);
    expect(branchExists(doneTs.branch)).toBe(false);

    await waitFor(() => fs.existsSync(path.join(project.base, 'busy.pid')), { timeoutMs: 60_000, what: 'busy agent running' });
    const busyTs = project.state().tickets[String(busy)];
    gh.mergePull(gh.addPull({ head: busyTs.branch }));
    // Worktrees whose directory vanished: git metadata only. Ours (in this repository's namespace) is
    // dropped; one kept elsewhere (say on a disk that is not mounted now) is not swarm's to forget.
    const ghost = path.join(path.dirname(busyTs.worktree), 'ghost');
    git(project.dir, 'worktree', 'add', '-q', '-b', 'ghost-branch', ghost, 'main');
    fs.rmSync(ghost, { recursive: true, force: true });
    const foreign = path.join(project.base, 'usb-disk', 'foreign-ghost');
    git(project.dir, 'worktree', 'add', '-q', '-b', 'foreign-branch', foreign, 'main');
    fs.rmSync(foreign, { recursive: true, force: true });
    expect(git(project.dir, 'worktree', 'list', '--porcelain')).toMatch(/prunable/);

    const res = await runCli(project, ['gc', '--verbose']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain(`a daemon runs (pid ${daemon.proc.pid})`);
    expect(res.stdout).toMatch(new RegExp(`left .*#${busy}.*the running daemon \\(pid ${daemon.proc.pid}\\) is working on #${busy}`));
    expect(fs.existsSync(busyTs.worktree)).toBe(true);
    const after = git(project.dir, 'worktree', 'list', '--porcelain');
    expect(after).not.toContain(ghost);
    expect(after).toMatch(/foreign-ghost\n[^\n]*\n[^\n]*\nprunable/);
    expect(project.state().tickets[String(busy)].status).toBe('running');
  });
});
