// Worktrees.prefetch(): while the tracker claim is written the dispatcher fetches the base branch and the
// ticket's branch (and, with no after_create hook, checks the worktree out); the ensure() right after must
// then give exactly what it would have given on its own, and run after_create exactly once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Worktrees } from '../../src/workspace/worktree.js';
import { git, makeRepo, type TestRepo } from '../helpers/git-repo.js';

let repo: TestRepo;
let other: string;
const hooks = { after_create: '', before_run: '', after_run: '', before_remove: '', timeout: 10_000 };
const make = (afterCreate = '') => new Worktrees({ repoDir: repo.dir, root: '.swarm/worktrees', baseBranch: 'main', hooks: { ...hooks, after_create: afterCreate } });

beforeEach(async () => {
  repo = await makeRepo();
  // A second clone pushes work this repository has never fetched.
  other = path.join(repo.base, 'other');
  await git(repo.base, 'clone', '--quiet', repo.origin, other);
  await git(other, 'config', 'user.name', 'Other');
  await git(other, 'config', 'user.email', 'other@example.invalid');
});
afterEach(() => repo.cleanup());

async function pushCommit(branch: string, file: string): Promise<string> {
  await git(other, 'checkout', '--quiet', '-B', branch, 'origin/main');
  fs.writeFileSync(path.join(other, file), `${file}\n`);
  await git(other, 'add', file);
  await git(other, 'commit', '--quiet', '-m', `add ${file}`);
  await git(other, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  return git(other, 'rev-parse', 'HEAD');
}

it('after prefetch, ensure resumes the remote ticket branch pushed elsewhere', async () => {
  const head = await pushCommit('swarm/12-resume', 'resumed.txt');
  const wt = make();
  await wt.prefetch('swarm/12-resume');
  expect(await git(repo.dir, 'rev-parse', 'refs/remotes/origin/swarm/12-resume')).toBe(head);
  const { path: dir } = await wt.ensure({ key: '12' }, 'swarm/12-resume', {});
  expect(await git(dir, 'rev-parse', 'HEAD')).toBe(head);
  expect(fs.existsSync(path.join(dir, 'resumed.txt'))).toBe(true);
});

it('after prefetch, a new ticket branch starts from the base as the remote has it now', async () => {
  const base = await pushCommit('main', 'newer-main.txt');
  const wt = make();
  await wt.prefetch('swarm/13-new');
  const { path: dir } = await wt.ensure({ key: '13' }, 'swarm/13-new', {});
  expect(await git(dir, 'rev-parse', 'HEAD')).toBe(base);
  expect(await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('swarm/13-new');
});

it('never throws, even without a reachable remote; ensure still works from local refs', async () => {
  await git(repo.dir, 'remote', 'set-url', 'origin', path.join(repo.base, 'missing.git'));
  const wt = make();
  await expect(wt.prefetch('swarm/14-offline')).resolves.toBeUndefined();
  const { path: dir } = await wt.ensure({ key: '14' }, 'swarm/14-offline', {});
  expect(await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('swarm/14-offline');
});

it('with no after_create hook, prefetch checks the worktree out and ensure reuses it', async () => {
  const wt = make();
  await wt.prefetch('swarm/15-early', { key: '15' });
  const dir = wt.pathFor('swarm/15-early');
  expect(fs.existsSync(path.join(dir, 'README.md'))).toBe(true);
  const res = await wt.ensure({ key: '15' }, 'swarm/15-early', {});
  expect(res).toEqual({ path: dir, created: false });
  expect(await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('swarm/15-early');
});

it('with an after_create hook, prefetch checks nothing out; ensure creates and runs the hook once with its env', async () => {
  const log = path.join(repo.base, 'after-create.log');
  const wt = make(`echo "$SWARM_ATTEMPT" >> ${JSON.stringify(log)}`);
  await wt.prefetch('swarm/16-hooked', { key: '16' });
  expect(fs.existsSync(wt.pathFor('swarm/16-hooked'))).toBe(false);
  const res = await wt.ensure({ key: '16' }, 'swarm/16-hooked', { SWARM_ATTEMPT: '1' });
  expect(res.created).toBe(true);
  expect(fs.readFileSync(log, 'utf8')).toBe('1\n');
});

it('fetchAhead fetches the refs only; the prefetch and ensure after it use that fetch instead of fetching again', async () => {
  const first = await pushCommit('swarm/17-ahead', 'first.txt');
  const wt = make();
  await wt.fetchAhead('swarm/17-ahead');
  expect(await git(repo.dir, 'rev-parse', 'refs/remotes/origin/swarm/17-ahead')).toBe(first);
  expect(fs.existsSync(wt.pathFor('swarm/17-ahead'))).toBe(false); // nothing checked out
  // Pushed after that fetch: within PREFETCH_FRESH_MS the claim's prefetch and ensure do not fetch again.
  fs.writeFileSync(path.join(other, 'second.txt'), 'second\n');
  await git(other, 'add', 'second.txt');
  await git(other, 'commit', '--quiet', '-m', 'add second.txt');
  await git(other, 'push', '--quiet', 'origin', 'HEAD:refs/heads/swarm/17-ahead');
  const second = await git(other, 'rev-parse', 'HEAD');
  await wt.prefetch('swarm/17-ahead', { key: '17' });
  const { path: dir } = await wt.ensure({ key: '17' }, 'swarm/17-ahead', {});
  expect(await git(dir, 'rev-parse', 'HEAD')).toBe(first);
  expect(await git(repo.dir, 'rev-parse', 'refs/remotes/origin/swarm/17-ahead')).not.toBe(second);
});

it('fetchAhead never throws without a reachable remote', async () => {
  await git(repo.dir, 'remote', 'set-url', 'origin', path.join(repo.base, 'missing.git'));
  await expect(make().fetchAhead('swarm/18-offline')).resolves.toBeUndefined();
});
