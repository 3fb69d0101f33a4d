// swarm owns only what it marked: worktrees live in `<root>/<repo-id>/`, each marked before `git worktree
// add`; removal refuses an unmarked folder, a folder of another repository and (without force) one with
// uncommitted or untracked files; a moved repository is reconnected before anything is judged; worktrees
// of the old un-namespaced layout move into the namespace with their files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HookConfig } from '../../src/workspace/hooks.js';
import { Worktrees } from '../../src/workspace/worktree.js';
import { repoIdentity } from '../../src/workspace/repo-id.js';
import { worktreeDirName } from '../../src/workspace/naming.js';
import { git, makeRepo, type TestRepo } from '../helpers/git-repo.js';

const hooks: HookConfig = { after_create: '', before_run: '', after_run: '', before_remove: '', timeout: 10_000 };
const env = { PATH: process.env.PATH };
let repo: TestRepo;
let other: TestRepo;
let shared: string;
beforeEach(async () => {
  [repo, other] = await Promise.all([makeRepo(), makeRepo()]);
  shared = path.join(repo.base, 'shared-root');
});
afterEach(() => {
  repo.cleanup();
  other.cleanup();
});
const make = (dir: string, root: string) => new Worktrees({ repoDir: dir, root, baseBranch: 'main', hooks });

describe('worktree ownership', () => {
  it('two repositories sharing one root get separate namespaces; removal never touches the other one or unmarked folders', async () => {
    const a = make(repo.dir, shared);
    const b = make(other.dir, shared);
    expect(a.repoId).not.toBe(b.repoId);
    const wa = await a.ensure({ key: '1' }, 'swarm/1-x', env);
    const wb = await b.ensure({ key: '1' }, 'swarm/1-x', env);
    expect(path.dirname(wa.path)).toBe(path.join(shared, a.repoId));
    expect(path.dirname(wb.path)).toBe(path.join(shared, b.repoId));
    fs.writeFileSync(path.join(wb.path, 'uncommitted.txt'), 'B is working\n');

    // A may not remove B's worktree (another namespace), nor a folder it did not mark in its own.
    await expect(a.remove(wb.path, 'swarm/1-x', { force: true })).rejects.toMatchObject({ code: 'EPATH' });
    const stray = path.join(a.home, 'not-ours');
    fs.mkdirSync(stray);
    fs.writeFileSync(path.join(stray, 'keep.txt'), 'x');
    expect(await a.remove(stray, 'x', { force: true })).toMatchObject({ removed: false, kept: expect.stringMatching(/no ownership marker/) });
    expect(fs.existsSync(path.join(stray, 'keep.txt'))).toBe(true);
    // A folder that claims to be another repository's namespace is refused outright.
    fs.writeFileSync(path.join(a.home, '.swarm-namespace.json'), JSON.stringify({ swarm: 'worktrees', version: 1, repo_id: b.repoId }));
    expect(() => a.ownership.mark(path.join(a.home, 'y'), 'y')).toThrow(/belongs to another repository/);
    expect(fs.readFileSync(path.join(wb.path, 'uncommitted.txt'), 'utf8')).toBe('B is working\n');
  });

  it('remove keeps a worktree with uncommitted or untracked files unless forced, deciding right before removing', async () => {
    const a = make(repo.dir, '.swarm/worktrees');
    const w = await a.ensure({ key: '1' }, 'swarm/1-x', env);
    fs.writeFileSync(path.join(w.path, 'new.txt'), 'untracked\n');
    expect(await a.dirtyFiles(w.path)).toBe(1);
    expect(await a.remove(w.path, 'swarm/1-x', { deleteBranch: true })).toMatchObject({ removed: false, kept: '1 uncommitted or untracked file(s) in it; use --force to delete them' });
    expect(fs.existsSync(path.join(w.path, 'new.txt'))).toBe(true);
    fs.rmSync(path.join(w.path, 'new.txt'));
    fs.appendFileSync(path.join(w.path, 'README.md'), 'edited\n');
    expect(await a.remove(w.path, 'swarm/1-x', {})).toMatchObject({ removed: false });
    expect(await a.remove(w.path, 'swarm/1-x', { force: true })).toMatchObject({ removed: true });
    expect(a.ownership.owns(w.path)).toBeNull(); // the mark goes with the folder
  });

  it('a moved repository keeps its id and its worktrees: repaired, never judged prunable, files intact', async () => {
    const before = make(repo.dir, '.swarm/worktrees');
    const w = await before.ensure({ key: '1' }, 'swarm/1-x', env);
    fs.writeFileSync(path.join(w.path, 'uncommitted.txt'), 'in progress\n');
    const moved = path.join(repo.base, 'moved-repo');
    fs.renameSync(repo.dir, moved);
    expect(repoIdentity(moved).id).toBe(before.repoId);
    const after = make(moved, '.swarm/worktrees');
    const newPath = after.pathFor('swarm/1-x');
    expect((await after.list()).find((x) => x.branch === 'swarm/1-x')).toMatchObject({ prunable: true, managed: false });
    const report = await after.repair();
    expect(report.repaired).toContain(newPath);
    expect((await after.list()).find((x) => x.branch === 'swarm/1-x')).toMatchObject({ path: newPath, prunable: false, managed: true });
    expect(await git(newPath, 'status', '--porcelain')).toBe('?? uncommitted.txt');
    expect(await after.ensure({ key: '1' }, 'swarm/1-x', env)).toEqual({ path: newPath, created: false });
  });

  it('a worktree of the old un-namespaced layout moves into the namespace with its files, marked', async () => {
    const root = path.join(repo.dir, '.swarm', 'worktrees');
    const old = path.join(root, worktreeDirName('swarm/2-y'));
    fs.mkdirSync(root, { recursive: true });
    await git(repo.dir, 'worktree', 'add', '-q', '-b', 'swarm/2-y', old, 'main');
    fs.writeFileSync(path.join(old, 'wip.txt'), 'not committed yet\n');
    // Someone else's folder beside it (not a worktree of this repository) is left exactly where it is.
    fs.mkdirSync(path.join(root, 'someone-else'));
    const a = make(repo.dir, '.swarm/worktrees');
    const r = await a.repair();
    const to = a.pathFor('swarm/2-y');
    expect(r.migrated).toEqual([{ from: old, to }]);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.readFileSync(path.join(to, 'wip.txt'), 'utf8')).toBe('not committed yet\n');
    expect(a.ownership.owns(to)).toMatchObject({ branch: 'swarm/2-y' });
    expect((await a.list()).find((x) => x.branch === 'swarm/2-y')).toMatchObject({ path: to, managed: true });
    expect(fs.existsSync(path.join(root, 'someone-else'))).toBe(true);
  });
});
