// workspace.root, checked before anything is created or removed under it. gc and the start-up sweep act
// only inside `<root>/<repo-id>/` on directories swarm marked, but a root that is the repository, holds
// it, or is the home folder or `/` invites every other tool (and every operator reading the path) to
// confuse swarm's worktrees with real work: refused with a configuration error (exit 2) naming the key.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors.js';
import { isStrictlyInside, realpathNearest } from './naming.js';

const HINT = 'use a folder of its own, e.g. .swarm/worktrees (the default) or ~/swarm-worktrees';

/** `~` and `~/…` in workspace.root mean the home folder, as in a shell. */
export function expandHome(raw: string, home: string | undefined): string {
  if (raw === '~' || raw.startsWith('~/')) {
    if (!home) throw new ConfigError(`workspace.root "${raw}" starts with ~ but HOME is not set; write the folder out in full`);
    return path.join(home, raw.slice(1));
  }
  return raw;
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return realpathNearest(path.resolve(p));
  }
}

/**
 * The absolute workspace root for `raw` (relative to the repository; `~` expanded), or a ConfigError
 * naming `file` and workspace.root when it is `/`, the home folder, the repository itself, a folder that
 * contains the repository, or a folder inside its git directory.
 */
export function resolveWorkspaceRoot(raw: string, repoDir: string, opts: { home?: string; gitCommonDir?: string; file?: string } = {}): string {
  const where = opts.file ? `${opts.file}: ` : '';
  const fail = (why: string): never => {
    throw new ConfigError(`${where}workspace.root ${JSON.stringify(raw)} ${why}; ${HINT}`);
  };
  if (raw.trim() === '' || raw.includes('\0')) fail('is not a folder name');
  const abs = path.resolve(repoDir, expandHome(raw.trim(), opts.home));
  const root = real(abs);
  const repo = real(repoDir);
  if (root === path.parse(root).root) fail('is the filesystem root');
  if (opts.home && root === real(opts.home)) fail('is your home folder');
  if (root === repo) fail('is the repository itself');
  if (isStrictlyInside(root, repo)) fail(`contains the repository (${repo})`);
  if (opts.gitCommonDir) {
    const gitDir = real(opts.gitCommonDir);
    if (root === gitDir || isStrictlyInside(gitDir, root)) fail(`is inside the repository's git folder (${gitDir})`);
  }
  return abs;
}
