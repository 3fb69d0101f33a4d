// Branches swarm does not own right now, against real git: a human's force-push makes the ticket's branch
// "diverged" (the local commits kept under a backup ref), origin merely ahead is fast-forwarded; the agent's
// git carries a pre-push guard that refuses a force-push (and a branch deletion) while the repository's own
// hooks keep running; a follow-up's reset to the PR head keeps the local commits it drops.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HookConfig } from '../../src/workspace/hooks.js';
import { Worktrees } from '../../src/workspace/worktree.js';
import { installPushGuard } from '../../src/workspace/push-guard.js';
import { guardBranch } from '../../src/workspace/branch-guard.js';
import { checkoutHead } from '../../src/workspace/branch-facts.js';
import { git, makeRepo, type TestRepo } from '../helpers/git-repo.js';

const hooks: HookConfig = { after_create: '', before_run: '', after_run: '', before_remove: '', timeout: 10_000 };
const ID = { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x' };
let repo: TestRepo;
let wts: Worktrees;
let human: string;
beforeEach(async () => {
  repo = await makeRepo();
  wts = new Worktrees({ repoDir: repo.dir, root: '.swarm/worktrees', baseBranch: 'main', hooks });
  human = path.join(repo.base, 'human');
  await git(repo.base, 'clone', '--quiet', repo.origin, human);
});
afterEach(() => repo.cleanup());

/** git as the agent runs it: in its worktree, with the environment swarm gives it (guard included). */
function agentGit(cwd: string, env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { PATH: process.env.PATH!, HOME: repo.base, GIT_CONFIG_NOSYSTEM: '1', ...ID, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}
async function commit(cwd: string, file: string, env: Record<string, string> = {}): Promise<string> {
  fs.writeFileSync(path.join(cwd, file), `${file}\n`);
  await agentGit(cwd, env, 'add', file);
  const r = await agentGit(cwd, env, 'commit', '-qm', `add ${file}`);
  expect(r.code, r.out).toBe(0);
  return (await git(cwd, 'rev-parse', 'HEAD')).trim();
}

describe('the agent\'s pre-push guard', () => {
  it('refuses a force-push and a deletion, lets a fast-forward through, and the repository\'s own hooks still run', async () => {
    const { path: wt } = await wts.ensure({ key: '1' }, 'swarm/1-x', {});
    // The repository's own hooks (in .git/hooks, as in any clone; the test repo turned them off): a
    // pre-commit that leaves a mark, a pre-push that records what it was told.
    await git(repo.dir, 'config', '--unset', 'core.hooksPath');
    const own = path.join(repo.dir, '.git', 'hooks');
    fs.writeFileSync(path.join(own, 'pre-commit'), `#!/bin/sh\necho ran >> "${path.join(repo.base, 'pre-commit.log')}"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(own, 'pre-push'), `#!/bin/sh\ncat >> "${path.join(repo.base, 'pre-push.log')}"\n`, { mode: 0o755 });
    const env = installPushGuard(wts.home, repo.dir, wts.commonDir, {});
    expect(env).toEqual({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.hooksPath', GIT_CONFIG_VALUE_0: path.join(wts.home, '.swarm-hooks') });

    await commit(wt, 'one.txt', env);
    expect(fs.readFileSync(path.join(repo.base, 'pre-commit.log'), 'utf8')).toBe('ran\n');
    const first = await agentGit(wt, env, 'push', '-q', 'origin', 'HEAD:refs/heads/swarm/1-x');
    expect(first.code, first.out).toBe(0);
    expect(fs.readFileSync(path.join(repo.base, 'pre-push.log'), 'utf8')).toMatch(/refs\/heads\/swarm\/1-x/);

    // A human rewrites the branch on origin.
    await git(human, 'fetch', '-q', 'origin');
    await git(human, 'checkout', '-q', '-b', 'swarm/1-x', 'origin/main');
    const theirs = await commit(human, 'human.txt');
    await git(human, 'push', '-q', '--force', 'origin', 'swarm/1-x');

    await commit(wt, 'two.txt', env);
    await agentGit(wt, env, 'fetch', '-q', 'origin');
    for (const args of [['push', '--force', 'origin', 'HEAD:refs/heads/swarm/1-x'], ['push', 'origin', '+HEAD:refs/heads/swarm/1-x'], ['push', '--force-with-lease', 'origin', 'HEAD:refs/heads/swarm/1-x']]) {
      const r = await agentGit(wt, env, ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.out).toMatch(/swarm: refusing a non-fast-forward push to refs\/heads\/swarm\/1-x/);
    }
    const del = await agentGit(wt, env, 'push', 'origin', ':refs/heads/swarm/1-x');
    expect(del.code).not.toBe(0);
    expect(del.out).toMatch(/swarm: refusing to delete refs\/heads\/swarm\/1-x/);
    expect((await git(repo.origin, 'rev-parse', 'refs/heads/swarm/1-x')).trim()).toBe(theirs); // origin keeps the human's commits

    // A new branch and a fast-forward go through.
    expect((await agentGit(wt, env, 'push', '-q', 'origin', 'HEAD:refs/heads/swarm/1-other')).code).toBe(0);
    await commit(wt, 'three.txt', env);
    expect((await agentGit(wt, env, 'push', '-q', 'origin', 'HEAD:refs/heads/swarm/1-other')).code).toBe(0);
  });
});

describe('before an attempt: is origin\'s branch still ours?', () => {
  it('ours → go; origin ahead → fast-forward; rewritten → stop, the local commits kept under a backup ref', async () => {
    const { path: wt } = await wts.ensure({ key: '2' }, 'swarm/2-y', {});
    const log: string[] = [];
    expect(await guardBranch(wt, 'swarm/2-y', (m) => log.push(m))).toBeNull(); // never pushed
    const mine = await commit(wt, 'mine.txt');
    await git(wt, 'push', '-q', 'origin', 'HEAD:refs/heads/swarm/2-y');
    await git(wt, 'fetch', '-q', 'origin');
    expect(await guardBranch(wt, 'swarm/2-y', (m) => log.push(m))).toBeNull();

    // Someone adds a commit on origin: fast-forwarded into the worktree.
    await git(human, 'fetch', '-q', 'origin');
    await git(human, 'checkout', '-q', '-b', 'swarm/2-y', 'origin/swarm/2-y');
    const added = await commit(human, 'added.txt');
    await git(human, 'push', '-q', 'origin', 'swarm/2-y');
    await git(wt, 'fetch', '-q', 'origin');
    expect(await guardBranch(wt, 'swarm/2-y', (m) => log.push(m))).toBeNull();
    expect((await git(wt, 'rev-parse', 'HEAD')).trim()).toBe(added);
    expect(log.join('\n')).toMatch(/origin\/swarm\/2-y had 1 commit\(s\) the worktree lacked: fast-forwarded/);

    // The human force-pushes a rewrite while the worktree has a commit of its own.
    const local = await commit(wt, 'local.txt');
    await git(human, 'reset', '-q', '--hard', 'origin/main');
    const rewritten = await commit(human, 'rewritten.txt');
    await git(human, 'push', '-q', '--force', 'origin', 'swarm/2-y');
    await git(wt, 'fetch', '-q', 'origin', '+refs/heads/swarm/2-y:refs/remotes/origin/swarm/2-y');
    const d = await guardBranch(wt, 'swarm/2-y', (m) => log.push(m));
    expect(d).toMatchObject({ branch: 'swarm/2-y', local_head: local, remote_head: rewritten, ahead: 3, behind: 1, backup_ref: expect.stringMatching(/^refs\/swarm\/backup\/swarm\/2-y\/\d{8}T\d{6}Z-[0-9a-f]{7}$/) });
    expect(d!.reason).toMatch(/origin\/swarm\/2-y diverged from the local branch \(someone rewrote or force-pushed it\).*No agent runs on the stale branch/);
    expect((await git(repo.dir, 'rev-parse', d!.backup_ref!)).trim()).toBe(local);
    expect((await git(repo.dir, 'merge-base', '--is-ancestor', mine, d!.backup_ref!)).trim()).toBe('');
  });

  it('a follow-up reset to the PR head keeps the local commits it drops under a backup ref', async () => {
    const { path: wt } = await wts.ensure({ key: '3' }, 'swarm/3-z', {});
    await commit(wt, 'base.txt');
    await git(wt, 'push', '-q', 'origin', 'HEAD:refs/heads/swarm/3-z');
    const local = await commit(wt, 'unpushed.txt');
    await git(human, 'fetch', '-q', 'origin');
    await git(human, 'checkout', '-q', '-b', 'swarm/3-z', 'origin/swarm/3-z');
    const head = await commit(human, 'review-fix.txt');
    await git(human, 'push', '-q', 'origin', 'swarm/3-z');
    const backup = await checkoutHead(wt, 'swarm/3-z', head);
    expect((await git(wt, 'rev-parse', 'HEAD')).trim()).toBe(head);
    expect(backup).toMatch(/^refs\/swarm\/backup\/swarm\/3-z\//);
    expect((await git(repo.dir, 'rev-parse', backup!)).trim()).toBe(local);
  });
});
