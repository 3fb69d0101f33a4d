// Create or reuse one ticket branch's worktree, keeping partial work across attempts: reconnect a moved
// one, switch one the agent left on another branch back, set aside (never delete) a broken one's
// contents, mark the folder as swarm's before `git worktree add`, and run the after_create hook.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitAt, gitTry } from './git.js';
import { runHook } from './hooks.js';
import { worktreeAddArgs } from './branch-refs.js';
import { isEmptyOrMissing, realish, setAside } from './folder-facts.js';
import { forget, hookEnv, INITIALIZING, pruneNamespace, type HookEnv, type WorktreeContext } from './worktree-ops.js';
import { WorkspaceError } from '../errors.js';

/**
 * The worktree `wt` for `branch` (its refs already fetched), created when it is missing or broken. `id`
 * names the ticket in logs and errors. When after_create fails the fresh worktree is removed again (so the
 * next attempt re-runs it) and EHOOK is thrown.
 */
export async function ensureWorktree(
  c: WorktreeContext, id: string, branch: string, wt: string, env: HookEnv,
): Promise<{ path: string; created: boolean }> {
  if (fs.existsSync(wt)) {
    let entry = (await c.list()).find((w) => realish(w.path) === wt);
    const gitFile = path.join(wt, '.git');
    if ((!entry || entry.prunable || !fs.existsSync(gitFile)) && c.ownership.owns(wt)) {
      // Moved (the repository or the worktree) or its `.git` file lost: reconnect before judging it broken.
      await gitTry(c.git, ['worktree', 'repair']);
      if (fs.existsSync(gitFile)) await gitTry(c.git, ['worktree', 'repair', wt]);
      entry = (await c.list()).find((w) => realish(w.path) === wt);
    }
    // `git worktree add` locks the new worktree "initializing" until its checkout is complete: a lock
    // left behind means the add was cut short (kill -9) and the checkout may be missing files.
    const halfAdded = entry?.locked === INITIALIZING;
    if (entry && !halfAdded && entry.branch === branch && fs.existsSync(gitFile) && fs.statSync(gitFile).isFile()) {
      c.log(`${id} reusing worktree ${wt} on ${branch}`);
      return { path: wt, created: false };
    }
    if (entry && !halfAdded && entry.branch !== branch && fs.existsSync(gitFile)) {
      // The agent moved its worktree to another branch (or detached HEAD). Switch back if git can do so
      // without touching local changes; otherwise refuse rather than discard whatever it did there.
      if ((await gitTry(gitAt(wt), ['checkout', '--quiet', branch, '--'])) !== null) {
        c.log(`${id} worktree ${wt} was on ${entry.branch ?? 'a detached HEAD'}; switched back to ${branch}`);
        return { path: wt, created: false };
      }
      throw new WorkspaceError(
        'EWORKTREE',
        `${id}: worktree ${wt} is on ${entry.branch ?? 'a detached HEAD'}, expected ${branch}; check ${branch} out there or remove the worktree.`,
      );
    }
    c.log(`${id} worktree ${wt} is half-created or broken; recreating it`);
    if (halfAdded) {
      // `git worktree add` never finished: a partial checkout, no work of anyone's.
      await forget(c, wt, true);
      fs.rmSync(wt, { recursive: true, force: true });
    } else {
      // Whatever is in it (an agent's uncommitted work, someone's files) is kept, moved out of the way.
      const aside = setAside(c.home, wt);
      if (aside) c.log(`${id} kept the old contents of ${wt} in ${aside}`);
    }
  }
  await pruneNamespace(c);

  const addArgs = await worktreeAddArgs(c.git, c.remote, c.baseBranch, id, branch, wt);
  // Marked as swarm's BEFORE git creates it: a crash from here on leaves a folder gc knows is ours.
  c.ownership.mark(wt, branch);
  try {
    await c.git.raw(['worktree', 'add', ...addArgs]);
  } catch (err) {
    if (isEmptyOrMissing(wt)) {
      fs.rmSync(wt, { recursive: true, force: true });
      c.ownership.unmark(wt);
    }
    await pruneNamespace(c);
    throw new WorkspaceError('EWORKTREE', `${id}: git worktree add for ${branch} failed: ${(err as Error).message.trim()}`);
  }
  c.log(`${id} created worktree ${wt} on ${branch}`);

  const hook = await runHook('after_create', c.hooks.after_create, {
    cwd: wt,
    env: hookEnv(c, env, wt, branch),
    timeoutMs: c.hooks.timeout,
  });
  if (!hook.ok) {
    // Fresh from `git worktree add` a moment ago: only the hook's own output is in it.
    await gitTry(c.git, ['worktree', 'remove', '--force', wt]);
    fs.rmSync(wt, { recursive: true, force: true });
    c.ownership.unmark(wt);
    await pruneNamespace(c);
    const why = hook.timedOut ? 'timed out' : `exited with ${hook.code}`;
    const err = new WorkspaceError('EHOOK', `${id}: after_create hook ${why}: ${hook.output.slice(-500).trim()}`);
    throw Object.assign(err, { hook });
  }
  return { path: wt, created: true };
}
