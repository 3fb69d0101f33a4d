// swarm's publication step against a real repository and bare origin: only the ticket's branch, only the
// exact commit checked, never forced, never a branch without the base's history, never a secret.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishBranch, type PublishRequest } from '../../src/publish/publish.js';
import { git, makeRepo, type TestRepo } from '../helpers/git-repo.js';

let repo: TestRepo;
const BRANCH = 'swarm/7-fix';

beforeEach(async () => {
  repo = await makeRepo();
  await git(repo.dir, 'checkout', '-q', '-b', BRANCH);
});
afterEach(() => repo.cleanup());

async function commit(file: string, content: string, message = `change ${file}`): Promise<string> {
  fs.mkdirSync(path.dirname(path.join(repo.dir, file)), { recursive: true });
  fs.writeFileSync(path.join(repo.dir, file), content);
  await git(repo.dir, 'add', file);
  await git(repo.dir, 'commit', '-qm', message);
  return git(repo.dir, 'rev-parse', 'HEAD');
}
const req = (over: Partial<PublishRequest> = {}): PublishRequest => ({ repoDir: repo.dir, branch: BRANCH, base: 'main', remote: 'origin', known: [], ...over });
const remoteRefs = async () => (await git(repo.origin, 'for-each-ref', '--format=%(refname) %(objectname)')).split('\n').filter(Boolean).sort();

describe('publishBranch', () => {
  it('pushes the ticket branch at the commit it checked, and nothing else', async () => {
    const head = await commit('a.txt', 'one\n');
    await git(repo.dir, 'branch', 'swarm/8-other', head); // a branch an agent made: never pushed
    const before = await remoteRefs();
    expect(await publishBranch(req())).toEqual({ kind: 'pushed', head, commits: 1 });
    const after = await remoteRefs();
    expect(after).toEqual([...before, `refs/heads/${BRANCH} ${head}`].sort());
    expect(await publishBranch(req())).toMatchObject({ kind: 'nothing' });
  });

  it('a branch that moved on origin is never overwritten', async () => {
    const mine = await commit('a.txt', 'one\n');
    await git(repo.dir, 'push', '-q', 'origin', `${mine}:refs/heads/${BRANCH}`);
    await git(repo.dir, 'reset', '-q', '--hard', 'main');
    await commit('b.txt', 'rewritten\n');
    expect(await publishBranch(req())).toMatchObject({ kind: 'diverged' });
    expect(await git(repo.origin, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(mine);
  });

  it('a branch without the base\'s history (moved onto anything else) is refused', async () => {
    await git(repo.dir, 'checkout', '-q', '--orphan', 'elsewhere');
    await git(repo.dir, 'rm', '-rfq', '.');
    const orphan = await commit('x.txt', 'unrelated\n');
    await git(repo.dir, 'update-ref', `refs/heads/${BRANCH}`, orphan);
    expect(await publishBranch(req())).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/shares no history with main/) });
    expect(await git(repo.origin, 'for-each-ref', `refs/heads/${BRANCH}`)).toBe('');
  });

  it('a secret in any new commit — even one deleted again — refuses the push, naming file and line, not the value', async () => {
    const token = `ghp_${'x1'.repeat(18)}`;
    await commit('deploy/env.sh', `export A=1\nexport TOKEN=${token}\n`);
    await commit('deploy/env.sh', 'export A=1\n', 'drop the token');
    const res = await publishBranch(req());
    expect(res).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/deploy\/env\.sh line 2/) });
    expect(JSON.stringify(res)).not.toContain(token);
    expect(await git(repo.origin, 'for-each-ref', `refs/heads/${BRANCH}`)).toBe('');
    // A value swarm holds counts the same.
    await git(repo.dir, 'reset', '-q', '--hard', 'main');
    await commit('conf.txt', 'password = operators-db-password\n');
    expect(await publishBranch(req({ known: ['operators-db-password'] }))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/a secret swarm holds.*conf\.txt line 1/) });
  });

  it('the last word before the push (a lease check) can stop it; no remote: checked, kept local', async () => {
    await commit('a.txt', 'one\n');
    expect(await publishBranch(req({ beforePush: async () => 'this daemon no longer holds the ticket' }))).toEqual({ kind: 'failed', reason: 'this daemon no longer holds the ticket' });
    expect(await git(repo.origin, 'for-each-ref', `refs/heads/${BRANCH}`)).toBe('');
    expect(await publishBranch(req({ remote: null }))).toMatchObject({ kind: 'local', commits: 1 });
  });
});
