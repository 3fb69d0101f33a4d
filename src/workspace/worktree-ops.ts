// What creating and removing a worktree share (worktree.ts hands both the same context): git's own lock
// while adding, forgetting a worktree, pruning this repository's namespace, the hook environment, and the
// count of a branch's commits that no remote has.
import * as path from 'node:path';
import { gitTry, refExists, type GitRunner } from './git.js';
import type { HookConfig } from './hooks.js';
import type { Ownership } from './ownership.js';
import type { WorktreeInfo } from './worktree-repair.js';
import { realish } from './folder-facts.js';

export type HookEnv = Record<string, string | undefined>;

/** The lock reason `git worktree add` sets until its checkout is done (builtin/worktree.c, git 2.39). */
export const INITIALIZING = 'initializing';

/** One repository's worktrees, as ensure and remove see them (always called inside Worktrees' git queue). */
export interface WorktreeContext {
  git: GitRunner;
  /** This repository's namespace under workspace.root, `<root>/<repo-id>`. */
  home: string;
  ownership: Ownership;
  baseBranch: string;
  remote: string;
  hooks: HookConfig;
  log: (msg: string) => void;
  list(): Promise<WorktreeInfo[]>;
}

/** Directly inside this repository's namespace. */
export function inHome(home: string, p: string): boolean {
  return path.dirname(realish(p)) === realish(home);
}

/**
 * `git worktree remove --force`; twice forced for a worktree git itself left locked mid-add (an
 * operator's own `git worktree lock` is respected: that one stays). True when git removed it.
 */
export async function forget(c: WorktreeContext, wt: string, halfAdded: boolean): Promise<boolean> {
  const removed = (await gitTry(c.git, ['worktree', 'remove', '--force', ...(halfAdded ? ['--force'] : []), wt])) !== null;
  if (!removed && halfAdded) await gitTry(c.git, ['worktree', 'unlock', wt]); // then prune drops it
  return removed;
}

/**
 * Drop git's record of this repository's worktrees whose folder is gone — only those in this
 * repository's namespace (a plain `git worktree prune` would also drop the records of worktrees someone
 * keeps elsewhere, e.g. on a disk that is not mounted right now).
 */
export async function pruneNamespace(c: WorktreeContext): Promise<void> {
  let listed: WorktreeInfo[];
  try {
    listed = await c.list();
  } catch {
    return;
  }
  for (const w of listed) {
    if (w.prunable && inHome(c.home, w.path)) await gitTry(c.git, ['worktree', 'remove', '--force', w.path]);
  }
}

export function hookEnv(c: WorktreeContext, env: HookEnv, wt: string, branch: string): HookEnv {
  return { ...env, SWARM_WORKSPACE: wt, SWARM_BRANCH: branch, SWARM_BASE_BRANCH: c.baseBranch };
}

/** Commits on `branch` that are on no remote-tracking ref (0 when the branch does not exist). */
export async function unpushedCommits(git: GitRunner, branch: string): Promise<number> {
  if (!(await refExists(git, `refs/heads/${branch}`))) return 0;
  const out = await git.raw(['rev-list', '--count', `refs/heads/${branch}`, '--not', '--remotes']);
  return Number.parseInt(out.trim(), 10) || 0;
}
