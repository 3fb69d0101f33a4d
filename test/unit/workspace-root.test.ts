// workspace.root is refused (a configuration error naming the key) when it is the filesystem root, the
// home folder, the repository, a folder holding the repository, or inside its git folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveWorkspaceRoot } from '../../src/workspace/root.js';
import { ConfigError } from '../../src/errors.js';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-root-')));
const home = path.join(base, 'home');
const repo = path.join(home, 'src', 'app');
fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const check = (raw: string) => resolveWorkspaceRoot(raw, repo, { home, gitCommonDir: path.join(repo, '.git'), file: 'WORKFLOW.md' });
const refusal = (raw: string): string => {
  try {
    check(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error(`${raw} was accepted`);
};

describe('workspace.root', () => {
  it('refuses ".", "..", "~", "/", the home folder, an ancestor of the repository and its git folder, naming the key', () => {
    expect(refusal('.')).toMatch(/^WORKFLOW\.md: workspace\.root "\." is the repository itself; use a folder of its own/);
    expect(refusal('..')).toMatch(/workspace\.root "\.\." contains the repository/);
    expect(refusal('~')).toMatch(/workspace\.root "~" is your home folder/);
    expect(refusal('/')).toMatch(/workspace\.root "\/" is the filesystem root/);
    expect(refusal(home)).toMatch(/is your home folder/);
    expect(refusal('~/src')).toMatch(/contains the repository/);
    expect(refusal('../../..')).toMatch(/contains the repository/);
    expect(refusal('.git/worktrees')).toMatch(/inside the repository's git folder/);
    expect(refusal('./')).toMatch(/is the repository itself/);
  });

  it('accepts the default, a sibling folder, and a shared folder in the home, expanding ~', () => {
    expect(check('.swarm/worktrees')).toBe(path.join(repo, '.swarm', 'worktrees'));
    expect(check('../app-worktrees')).toBe(path.join(home, 'src', 'app-worktrees'));
    expect(check('~/worktrees')).toBe(path.join(home, 'worktrees'));
    expect(check(path.join(base, 'shared'))).toBe(path.join(base, 'shared'));
  });

  it('sees through a symlink that leads back to the repository', () => {
    const link = path.join(base, 'sneaky');
    fs.symlinkSync(repo, link);
    expect(refusal(link)).toMatch(/is the repository itself/);
  });
});
