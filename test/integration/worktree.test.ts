import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commitsAhead,
  dirSize,
  originUrl,
  parseGitHubRemote,
  parseWorktreePorcelain,
  pushBranch,
  remoteHeadBranch,
} from '../../src/workspace/git.js';
import type { HookConfig } from '../../src/workspace/hooks.js';
import { Worktrees } from '../../src/workspace/worktree.js';
import { git, makeRepo, type TestRepo } from '../helpers/git-repo.js';
import { WorkspaceError } from '../../src/errors.js';

const noHooks: HookConfig = { after_create: '', before_run: '', after_run: '', before_remove: '', timeout: 10_000 };
const env = { PATH: process.env.PATH };
const ticket = { key: '12', identifier: '#12' };

describe('Worktrees', () => {
  let repo: TestRepo;
  let logs: string[];
  const make = (hooks: Partial<HookConfig> = {}) =>
    new Worktrees({
      repoDir: repo.dir,
      root: '.swarm/worktrees',
      baseBranch: 'main',
      hooks: { ...noHooks, ...hooks },
      log: (m) => logs.push(m),
    });

  beforeEach(async () => {
    repo = await makeRepo();
    logs = [];
  });
  afterEach(() => repo.cleanup());

  it('creates a worktree under the root from origin/main, running after_create once', async () => {
    // origin/main moves ahead of the local main: the new branch must start from the fetched origin/main.
    const other = path.join(repo.base, 'other');
    await git(repo.base, 'clone', '--quiet', repo.origin, other);
    fs.writeFileSync(path.join(other, 'upstream.txt'), 'new upstream work\n');
    await git(other, 'add', 'upstream.txt');
    await git(other, '-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '-m', 'upstream');
    await git(other, 'push', '--quiet', 'origin', 'main');

    const wts = make({ after_create: 'echo "$SWARM_BRANCH" >> created.log' });
    const r = await wts.ensure(ticket, 'swarm/12-fix-login', env);
    expect(r.created).toBe(true);
    // In this repository's own namespace under the root, marked as swarm's.
    expect(path.dirname(r.path)).toBe(path.join(repo.dir, '.swarm', 'worktrees', wts.repoId));
    expect(wts.repoId).toMatch(/^repo-[0-9a-f]{12}$/);
    expect(wts.ownership.owns(r.path)).toMatchObject({ branch: 'swarm/12-fix-login', repo_id: wts.repoId });
    expect(await git(r.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('swarm/12-fix-login');
    expect(fs.existsSync(path.join(r.path, 'upstream.txt'))).toBe(true);
    expect(await git(r.path, 'rev-parse', 'HEAD')).toBe(await git(repo.dir, 'rev-parse', 'origin/main'));
    expect(fs.readFileSync(path.join(r.path, 'created.log'), 'utf8')).toBe('swarm/12-fix-login\n');
    expect(await commitsAhead(r.path, 'main')).toBe(0);

    const again = await wts.ensure(ticket, 'swarm/12-fix-login', env);
    expect(again).toEqual({ path: r.path, created: false });
    expect(fs.readFileSync(path.join(r.path, 'created.log'), 'utf8')).toBe('swarm/12-fix-login\n');
  });

  it('reuses the worktree across attempts, keeping partial work', async () => {
    const wts = make();
    const first = await wts.ensure(ticket, 'swarm/12-x', env);
    fs.writeFileSync(path.join(first.path, 'attempt1.txt'), 'partial work\n');
    const second = await make().ensure(ticket, 'swarm/12-x', env); // a restarted daemon: new instance
    expect(second).toEqual({ path: first.path, created: false });
    expect(fs.readFileSync(path.join(second.path, 'attempt1.txt'), 'utf8')).toBe('partial work\n');
  });

  it('a folder in the way that is not a worktree is set aside, never deleted, and the worktree is created', async () => {
    const wts = make();
    const p = wts.pathFor('swarm/12-x');
    fs.mkdirSync(p, { recursive: true });
    fs.writeFileSync(path.join(p, 'junk.txt'), 'left over from a crash\n');
    const r = await wts.ensure(ticket, 'swarm/12-x', env);
    expect(r).toEqual({ path: p, created: true });
    expect(fs.existsSync(path.join(p, 'junk.txt'))).toBe(false);
    expect(fs.statSync(path.join(p, '.git')).isFile()).toBe(true);
    expect(logs.join('\n')).toMatch(/half-created/);
    const aside = fs.readdirSync(path.join(wts.home, '.swarm-orphaned'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(wts.home, '.swarm-orphaned', aside[0]!, 'junk.txt'), 'utf8')).toBe('left over from a crash\n');
  });

  it('repairs a registered worktree whose .git file is gone, keeping the work in it', async () => {
    const wts = make();
    const first = await wts.ensure(ticket, 'swarm/12-x', env);
    fs.writeFileSync(path.join(first.path, 'uncommitted.txt'), 'agent work\n');
    fs.rmSync(path.join(first.path, '.git'));
    const r = await wts.ensure(ticket, 'swarm/12-x', env);
    expect(r).toEqual({ path: first.path, created: false });
    expect(await git(r.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('swarm/12-x');
    expect(fs.readFileSync(path.join(r.path, 'uncommitted.txt'), 'utf8')).toBe('agent work\n');
  });

  it('recreates a worktree whose `git worktree add` was cut short (git\'s "initializing" lock left), and gc removes one', async () => {
    const wts = make();
    const first = await wts.ensure(ticket, 'swarm/12-x', env);
    // What kill -9 in the middle of `git worktree add` leaves: the lock git holds until the checkout is done,
    // and a checkout missing files.
    const admin = (await git(first.path, 'rev-parse', '--git-dir')).trim();
    fs.writeFileSync(path.join(admin, 'locked'), 'initializing');
    fs.rmSync(path.join(first.path, 'README.md'));
    const r = await wts.ensure(ticket, 'swarm/12-x', env);
    expect(r.created).toBe(true);
    expect(fs.existsSync(path.join(r.path, 'README.md'))).toBe(true);
    expect((await wts.list()).find((w) => w.path === r.path)?.locked).toBeNull();
    // gc of a half-added one: gone from git's list too (a plain --force leaves a locked entry behind).
    fs.writeFileSync(path.join((await git(r.path, 'rev-parse', '--git-dir')).trim(), 'locked'), 'initializing');
    expect((await wts.remove(r.path, 'swarm/12-x', { deleteBranch: true })).removed).toBe(true);
    expect((await wts.list()).map((w) => w.path)).toEqual([repo.dir]);
    // An operator's own lock is respected.
    const locked = await wts.ensure(ticket, 'swarm/12-y', env);
    await git(repo.dir, 'worktree', 'lock', '--reason', 'on a USB disk', locked.path);
    expect(await wts.remove(locked.path, 'swarm/12-y', { deleteBranch: true })).toMatchObject({ removed: false, branchDeleted: false, kept: 'locked (on a USB disk)' });
    expect((await wts.list()).find((w) => w.branch === 'swarm/12-y')?.locked).toBe('on a USB disk');
    expect(fs.existsSync(path.join(locked.path, 'README.md'))).toBe(true);
  });

  it('checks out a branch that already exists on the remote, tracking it', async () => {
    await git(repo.dir, 'checkout', '--quiet', '-b', 'swarm/7-remote');
    fs.writeFileSync(path.join(repo.dir, 'remote-work.txt'), 'pushed earlier\n');
    await git(repo.dir, 'add', 'remote-work.txt');
    await git(repo.dir, 'commit', '--quiet', '-m', 'earlier attempt');
    await git(repo.dir, 'push', '--quiet', 'origin', 'swarm/7-remote');
    await git(repo.dir, 'checkout', '--quiet', 'main');
    await git(repo.dir, 'branch', '-D', 'swarm/7-remote');
    await git(repo.dir, 'update-ref', '-d', 'refs/remotes/origin/swarm/7-remote'); // as on a fresh machine

    const r = await make().ensure({ key: '7' }, 'swarm/7-remote', env);
    expect(r.created).toBe(true);
    expect(fs.readFileSync(path.join(r.path, 'remote-work.txt'), 'utf8')).toBe('pushed earlier\n');
    expect(await git(r.path, 'rev-parse', '--abbrev-ref', '@{upstream}')).toBe('origin/swarm/7-remote');
  });

  it('checks out an existing local branch', async () => {
    await git(repo.dir, 'branch', 'swarm/8-local');
    const r = await make().ensure({ key: '8' }, 'swarm/8-local', env);
    expect(await git(r.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('swarm/8-local');
  });

  it('switches a worktree the agent moved to another branch back, or refuses clearly', async () => {
    const wts = make();
    const { path: p } = await wts.ensure(ticket, 'swarm/12-x', env);
    await git(p, 'checkout', '--quiet', '-b', 'agent-side-branch');
    expect(await wts.ensure(ticket, 'swarm/12-x', env)).toEqual({ path: p, created: false });
    expect(await git(p, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('swarm/12-x');

    // Now a side branch whose checkout back would overwrite uncommitted changes: git refuses, so do we.
    await git(p, 'checkout', '--quiet', '-b', 'agent-side-2');
    fs.writeFileSync(path.join(p, 'README.md'), 'committed on the side\n');
    await git(p, 'commit', '--quiet', '-am', 'side');
    fs.writeFileSync(path.join(p, 'README.md'), 'uncommitted edit\n');
    const err = await wts.ensure(ticket, 'swarm/12-x', env).catch((e: unknown) => e);
    expect((err as WorkspaceError).code).toBe('EWORKTREE');
    expect(fs.readFileSync(path.join(p, 'README.md'), 'utf8')).toBe('uncommitted edit\n');
  });

  it('fails with EWORKTREE when the branch is checked out in the main repository', async () => {
    await git(repo.dir, 'checkout', '--quiet', '-b', 'swarm/9-busy');
    const err = await make().ensure({ key: '9' }, 'swarm/9-busy', env).catch((e: unknown) => e);
    expect((err as WorkspaceError).code).toBe('EWORKTREE');
    expect((err as Error).message).toMatch(/swarm\/9-busy/);
  });

  it('works offline from the local base when the remote is unreachable', async () => {
    await git(repo.dir, 'remote', 'set-url', 'origin', path.join(repo.base, 'gone.git'));
    await git(repo.dir, 'update-ref', '-d', 'refs/remotes/origin/main');
    const r = await make().ensure(ticket, 'swarm/12-offline', env);
    expect(r.created).toBe(true);
    expect(await git(r.path, 'rev-parse', 'HEAD')).toBe(await git(repo.dir, 'rev-parse', 'main'));
    expect(logs.join('\n')).toMatch(/fetch .* failed/);
  });

  it('removes the fresh worktree and throws EHOOK when after_create fails', async () => {
    const wts = make({ after_create: 'echo "npm install exploded" >&2; exit 4' });
    const err = await wts.ensure(ticket, 'swarm/12-x', env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as WorkspaceError).code).toBe('EHOOK');
    expect((err as Error).message).toContain('npm install exploded');
    expect(fs.existsSync(wts.pathFor('swarm/12-x'))).toBe(false);
    expect((await wts.list()).some((w) => w.branch === 'swarm/12-x')).toBe(false);
  });

  it('lists worktrees and marks the managed ones', async () => {
    const wts = make();
    const a = await wts.ensure({ key: '1' }, 'swarm/1-a', env);
    const b = await wts.ensure({ key: '2' }, 'swarm/2-b', env);
    const list = await wts.list();
    expect(list.find((w) => w.path === repo.dir)).toMatchObject({ branch: 'main', managed: false });
    expect(list.filter((w) => w.managed).map((w) => [w.path, w.branch]).sort()).toEqual(
      [
        [a.path, 'swarm/1-a'],
        [b.path, 'swarm/2-b'],
      ].sort(),
    );
    expect(list.every((w) => /^[0-9a-f]{40}$/.test(w.head ?? ''))).toBe(true);
  });

  it('remove keeps a branch with unpushed commits unless forced, and runs before_remove', async () => {
    const marker = path.join(repo.base, 'before-remove.log');
    const wts = make({ before_remove: `echo "$SWARM_BRANCH" >> "${marker}"` });
    const { path: p } = await wts.ensure(ticket, 'swarm/12-x', env);
    fs.writeFileSync(path.join(p, 'work.txt'), 'agent work\n');
    await git(p, 'add', 'work.txt');
    await git(p, 'commit', '--quiet', '-m', 'agent commit');
    expect(await wts.unpushedCommits('swarm/12-x')).toBe(1);
    expect(await commitsAhead(p, 'main')).toBe(1);
    expect(await wts.sizeOf(p)).toBeGreaterThan(0);

    const kept = await wts.remove(p, 'swarm/12-x', { deleteBranch: true });
    expect(kept).toMatchObject({ removed: true, branchDeleted: false, unpushed: 1 });
    expect(fs.existsSync(p)).toBe(false);
    expect(await git(repo.dir, 'branch', '--list', 'swarm/12-x')).toContain('swarm/12-x');
    expect(fs.readFileSync(marker, 'utf8')).toBe('swarm/12-x\n');

    const again = await wts.ensure(ticket, 'swarm/12-x', env); // the kept branch comes back with its work
    expect(fs.readFileSync(path.join(again.path, 'work.txt'), 'utf8')).toBe('agent work\n');
    const forced = await wts.remove(again.path, 'swarm/12-x', { deleteBranch: true, force: true });
    expect(forced).toMatchObject({ removed: true, branchDeleted: true, unpushed: 1 });
    expect(await git(repo.dir, 'branch', '--list', 'swarm/12-x')).toBe('');
  });

  it('remove deletes a pushed branch, and a failing before_remove hook does not block it', async () => {
    const wts = make({ before_remove: 'exit 9' });
    const { path: p } = await wts.ensure(ticket, 'swarm/12-x', env);
    fs.writeFileSync(path.join(p, 'work.txt'), 'agent work\n');
    await git(p, 'add', 'work.txt');
    await git(p, 'commit', '--quiet', '-m', 'agent commit');
    await pushBranch(p, 'swarm/12-x');
    expect(await wts.unpushedCommits('swarm/12-x')).toBe(0);
    expect(await git(p, 'rev-parse', '--abbrev-ref', '@{upstream}')).toBe('origin/swarm/12-x');

    const r = await wts.remove(p, 'swarm/12-x', { deleteBranch: true });
    expect(r).toMatchObject({ removed: true, branchDeleted: true, unpushed: 0 });
    expect(r.hook).toMatchObject({ ok: false, code: 9 });
    expect(logs.join('\n')).toMatch(/before_remove hook failed/);
  });

  it('refuses to remove anything outside the root', async () => {
    const err = await make()
      .remove(repo.dir, 'main', { deleteBranch: true, force: true })
      .catch((e: unknown) => e);
    expect((err as WorkspaceError).code).toBe('EPATH');
    expect(fs.existsSync(path.join(repo.dir, 'README.md'))).toBe(true);
  });

  it('serialises concurrent ensures for different tickets', async () => {
    const wts = make();
    const results = await Promise.all([1, 2, 3, 4].map((n) => wts.ensure({ key: String(n) }, `swarm/${n}-t`, env)));
    expect(new Set(results.map((r) => r.path)).size).toBe(4);
    expect(results.every((r) => r.created)).toBe(true);
  });

  it('a prune (the daemon sweep) never runs beside a worktree add', async () => {
    // git 2.39 lets a concurrent `git worktree prune` delete a half-created worktree's metadata, which
    // fails the add ("could not open .git/worktrees/<id>/locked"). The startup sweep used to prune beside
    // the first dispatches. Interleave many prunes with many adds: every add must succeed.
    const wts = make();
    let adding = true;
    let prunes = 0;
    const pruner = (async () => {
      while (adding) {
        await wts.prune();
        prunes++;
      }
    })();
    const settled = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => wts.ensure({ key: String(i + 1) }, `swarm/${i + 1}-race`, env)));
    adding = false;
    await pruner;
    expect(prunes).toBeGreaterThan(0);
    expect(settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect((await wts.list()).filter((w) => w.branch?.endsWith('-race'))).toHaveLength(24);
  });
});

describe('git helpers', () => {
  let repo: TestRepo;
  beforeEach(async () => {
    repo = await makeRepo({ baseBranch: 'trunk' });
  });
  afterEach(() => repo.cleanup());

  it('finds the remote HEAD branch with or without refs/remotes/origin/HEAD', async () => {
    expect(await remoteHeadBranch(repo.dir)).toBe('trunk'); // via ls-remote --symref
    await git(repo.dir, 'remote', 'set-head', 'origin', 'trunk');
    await git(repo.dir, 'remote', 'set-url', 'origin', path.join(repo.base, 'gone.git'));
    expect(await remoteHeadBranch(repo.dir)).toBe('trunk'); // via the local symref, offline
    await git(repo.dir, 'remote', 'set-head', 'origin', '--delete');
    expect(await remoteHeadBranch(repo.dir)).toBeNull();
  });

  it('reads the origin URL', async () => {
    expect(await originUrl(repo.dir)).toBe(repo.origin);
    await git(repo.dir, 'remote', 'remove', 'origin');
    expect(await originUrl(repo.dir)).toBeNull();
  });

  it('counts commits ahead against the local base when origin/<base> is missing', async () => {
    await git(repo.dir, 'update-ref', '-d', 'refs/remotes/origin/trunk');
    await git(repo.dir, 'commit', '--quiet', '--allow-empty', '-m', 'one');
    await git(repo.dir, 'checkout', '--quiet', '-b', 'feature');
    await git(repo.dir, 'commit', '--quiet', '--allow-empty', '-m', 'two');
    expect(await commitsAhead(repo.dir, 'trunk')).toBe(1);
    await expect(commitsAhead(repo.dir, 'nope')).rejects.toMatchObject({ code: 'EGIT' });
  });

  it('measures disk usage without following symlinks', async () => {
    const d = path.join(repo.base, 'size');
    fs.mkdirSync(path.join(d, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(d, 'a'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(d, 'sub', 'b'), Buffer.alloc(500));
    fs.symlinkSync(repo.dir, path.join(d, 'link-to-repo'));
    const linkSize = fs.lstatSync(path.join(d, 'link-to-repo')).size;
    expect(await dirSize(d)).toBe(1500 + linkSize);
    expect(await dirSize(path.join(repo.base, 'missing'))).toBe(0);
  });
});

describe('parseGitHubRemote', () => {
  it.each([
    ['https://github.com/acme/widgets.git', 'github.com'],
    ['https://github.com/acme/widgets', 'github.com'],
    ['https://github.com/acme/widgets/', 'github.com'],
    ['https://x-access-token:secret@github.com/acme/widgets.git', 'github.com'],
    ['ssh://git@github.com/acme/widgets.git', 'github.com'],
    ['ssh://git@ghe.corp:2222/acme/widgets.git', 'ghe.corp'],
    ['git@github.com:acme/widgets.git', 'github.com'],
    ['git@github.com:acme/widgets', 'github.com'],
    ['git://github.com/acme/widgets.git', 'github.com'],
  ])('parses %s', (url, host) => {
    expect(parseGitHubRemote(url)).toEqual({ owner: 'acme', name: 'widgets', host });
  });

  it.each(['/tmp/repo/origin.git', './origin', 'file:///tmp/x.git', 'https://github.com/acme', 'https://github.com/a/b/c', ''])(
    'rejects %s',
    (url) => {
      expect(parseGitHubRemote(url)).toBeNull();
    },
  );
});

describe('parseWorktreePorcelain', () => {
  it('reads branches, detached heads, prunable entries and C-quoted paths', () => {
    const out = [
      'worktree /repo',
      'HEAD 1111111111111111111111111111111111111111',
      'branch refs/heads/main',
      '',
      'worktree /repo/.swarm/worktrees/a',
      'HEAD 2222222222222222222222222222222222222222',
      'detached',
      'locked initializing',
      '',
      'worktree "/tmp/caf\\303\\251\\nx"',
      'HEAD 3333333333333333333333333333333333333333',
      'branch refs/heads/swarm/1-x',
      'prunable gitdir file points to non-existent location',
      '',
    ].join('\n');
    expect(parseWorktreePorcelain(out)).toEqual([
      { path: '/repo', branch: 'main', head: '1'.repeat(40), prunable: false, locked: null },
      { path: '/repo/.swarm/worktrees/a', branch: null, head: '2'.repeat(40), prunable: false, locked: 'initializing' },
      { path: '/tmp/caf\u00e9\nx', branch: 'swarm/1-x', head: '3'.repeat(40), prunable: true, locked: null },
    ]);
  });
});
