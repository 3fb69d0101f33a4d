// Remove one of this repository's worktrees for gc: never one swarm did not mark, never one an operator
// locked, never uncommitted work or a branch's unpushed commits unless forced.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { refExists } from './git.js';
import { runHook, type HookResult } from './hooks.js';
import { isStrictlyInside } from './naming.js';
import { dirtyFiles, realish } from './folder-facts.js';
import { forget, hookEnv, INITIALIZING, pruneNamespace, unpushedCommits, type HookEnv, type WorktreeContext } from './worktree-ops.js';
import { WorkspaceError } from '../errors.js';

export interface RemoveResult {
  removed: boolean;
  branchDeleted: boolean;
  /** Commits on the branch that no remote ref has. */
  unpushed: number;
  /** Why the worktree or the branch was kept, when it was. */
  kept: string | null;
  hook: HookResult | null;
}

export interface RemoveOptions {
  deleteBranch?: boolean;
  force?: boolean;
  env?: HookEnv;
}

/**
 * Remove a worktree (before_remove hook first; its failure is only logged), prune, and delete the local
 * branch when asked — unless it has commits no remote has, which only `force` overrides.
 */
export async function removeWorktree(c: WorktreeContext, wtPath: string, branch: string, opts: RemoveOptions): Promise<RemoveResult> {
  fs.mkdirSync(c.home, { recursive: true });
  const realHome = fs.realpathSync(c.home);
  const wt = realish(wtPath);
  if (!isStrictlyInside(realHome, wt) || path.dirname(wt) !== realHome) {
    throw new WorkspaceError('EPATH', `refusing to remove ${wtPath}: it is not one of this repository's worktree folders in ${realHome}.`);
  }
  let hook: HookResult | null = null;
  const exists = fs.existsSync(wt);
  const keep = (why: string): RemoveResult => ({ removed: false, branchDeleted: false, unpushed: 0, kept: why, hook: null });
  if (exists && !c.ownership.owns(wt)) return keep('not created by swarm (no ownership marker); left alone');
  const entry = (await c.list()).find((w) => realish(w.path) === wt);
  if (entry?.locked != null && entry.locked !== INITIALIZING) {
    // Locked by an operator (`git worktree lock`): theirs to unlock; swarm removes nothing there.
    return keep(`locked${entry.locked ? ` (${entry.locked})` : ''}`);
  }
  if (exists && !opts.force && entry?.locked !== INITIALIZING) {
    // Looked at right before removing: work that no commit holds is never deleted without --force.
    const dirty = await dirtyFiles(wt);
    if (dirty > 0) return keep(`${dirty} uncommitted or untracked file(s) in it; use --force to delete them`);
  }
  if (exists) {
    hook = await runHook('before_remove', c.hooks.before_remove, {
      cwd: wt,
      env: hookEnv(c, opts.env ?? {}, wt, branch),
      timeoutMs: c.hooks.timeout,
    });
    if (!hook.ok) c.log(`${branch} before_remove hook failed (continuing): ${hook.output.slice(-300).trim()}`);
  }
  if (!(await forget(c, wt, entry?.locked === INITIALIZING)) && exists) {
    fs.rmSync(wt, { recursive: true, force: true });
  }
  await pruneNamespace(c);
  const removed = !fs.existsSync(wt);
  if (removed) c.ownership.unmark(wt);

  const result: RemoveResult = { removed, branchDeleted: false, unpushed: 0, kept: null, hook };
  if (!opts.deleteBranch || !(await refExists(c.git, `refs/heads/${branch}`))) return result;
  result.unpushed = await unpushedCommits(c.git, branch);
  if (result.unpushed > 0 && !opts.force) {
    result.kept = `${result.unpushed} unpushed commit(s)`;
    c.log(`${branch} kept: ${result.kept} (use --force to delete)`);
    return result;
  }
  const still = (await c.list()).find((w) => w.branch === branch);
  if (still) {
    result.kept = `checked out in ${still.path}`;
    return result;
  }
  await c.git.raw(['branch', '-D', branch]);
  result.branchDeleted = true;
  return result;
}
