// Git worktree lifecycle under workspace.root: create or reuse one worktree per ticket
// branch (keeping partial work across attempts), repair half-created ones, remove them for gc without ever
// dropping unpushed commits unless forced. Git mutations are serialised per instance: concurrent
// `worktree add -b --track` calls would fight over .git/config.lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dirSize, gitAt, gitTry, parseWorktreePorcelain, refExists, type GitRunner } from './git.js';
import { runHook, type HookConfig, type HookResult } from './hooks.js';
import { fetchBranch, RecentFetches, worktreeAddArgs } from './branch-refs.js';
import { isStrictlyInside, resolveUnder, worktreeDirName } from './naming.js';
import { WorkspaceError } from '../errors.js';

export interface WorktreesOptions {
  repoDir: string;
  /** workspace.root; relative paths are taken against repoDir. */
  root: string;
  baseBranch: string;
  remote?: string;
  hooks: HookConfig;
  log?: (msg: string) => void;
}

export interface WorktreeTicket {
  key: string;
  identifier?: string;
}

export interface WorktreeInfo {
  path: string;
  /** Short branch name, or null when detached / bare. */
  branch: string | null;
  head: string | null;
  /** Registered but its directory is gone (`git worktree prune` will drop it). */
  prunable: boolean;
  /** Locked (`git worktree lock`, or git's own lock while adding): the reason, or null. */
  locked: string | null;
  /** Lies inside this instance's workspace root. */
  managed: boolean;
}

export interface RemoveResult {
  removed: boolean;
  branchDeleted: boolean;
  /** Commits on the branch that no remote ref has. */
  unpushed: number;
  /** Why the branch was kept, when it was. */
  kept: string | null;
  hook: HookResult | null;
}

type Env = Record<string, string | undefined>;

/** The lock reason `git worktree add` sets until its checkout is done (builtin/worktree.c, git 2.39). */
const INITIALIZING = 'initializing';

function realish(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export class Worktrees {
  readonly repoDir: string;
  readonly root: string;
  readonly baseBranch: string;
  readonly remote: string;
  private readonly hooks: HookConfig;
  private readonly log: (msg: string) => void;
  private readonly git: GitRunner;
  private chain: Promise<unknown> = Promise.resolve();
  /** Branches whose refs fetchAhead() or prefetch() fetched: the ensure() after the claim need not fetch again. */
  private readonly fetches = new RecentFetches();

  constructor(opts: WorktreesOptions) {
    this.repoDir = path.resolve(opts.repoDir);
    this.root = path.resolve(this.repoDir, opts.root);
    this.baseBranch = opts.baseBranch;
    this.remote = opts.remote ?? 'origin';
    this.hooks = opts.hooks;
    this.log = opts.log ?? (() => {});
    this.git = gitAt(this.repoDir);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The directory a branch's worktree lives in (root created if needed; always strictly inside it). */
  pathFor(branch: string): string {
    return resolveUnder(this.root, worktreeDirName(branch));
  }

  /**
   * Create or reuse the worktree for `branch`. `env` is the hook environment (SWARM_WORKSPACE, SWARM_BRANCH
   * and SWARM_BASE_BRANCH are filled in here). after_create runs only when the worktree was created; when
   * it fails the fresh worktree is removed again (so the next attempt re-runs it) and EHOOK is thrown.
   */
  ensure(ticket: WorktreeTicket, branch: string, env: Env): Promise<{ path: string; created: boolean }> {
    return this.serial(() => this.ensureLocked(ticket, branch, env));
  }

  /**
   * Get ready for the ensure() that follows a claim, while the tracker claim is being written: with no
   * after_create hook, check the worktree out now (nothing needs the attempt's environment); otherwise only
   * fetch the base branch and `branch`. Either way that ensure() (within FETCH_FRESH_MS) skips its
   * fetch. Never throws: a failure here is met again, and reported, by ensure().
   */
  prefetch(branch: string, ticket: WorktreeTicket = { key: branch }): Promise<void> {
    return this.serial(async () => {
      if (this.hooks.after_create.trim() === '') {
        await this.ensureLocked(ticket, branch, {});
      } else if (!this.fetches.fresh(branch)) {
        await this.fetch(branch, branch);
      }
      this.fetches.note(branch);
    }).catch(() => undefined);
  }

  /**
   * Fetch the base branch and `branch` (refs only, nothing checked out) while the ticket is still being
   * re-read and checked before its claim, so the prefetch() or ensure() that follows (within
   * FETCH_FRESH_MS) skips its fetch. Never throws.
   */
  fetchAhead(branch: string): Promise<void> {
    return this.serial(async () => {
      await this.fetch(branch, branch);
      this.fetches.note(branch);
    }).catch(() => undefined);
  }

  private async ensureLocked(ticket: WorktreeTicket, branch: string, env: Env) {
    const id = ticket.identifier ?? ticket.key;
    const wt = this.pathFor(branch);
    if (!this.fetches.take(branch)) await this.fetch(id, branch);

    if (fs.existsSync(wt)) {
      const entry = (await this.list()).find((w) => realish(w.path) === wt);
      const gitFile = path.join(wt, '.git');
      // `git worktree add` locks the new worktree "initializing" until its checkout is complete: a lock
      // left behind means the add was cut short (kill -9) and the checkout may be missing files.
      const halfAdded = entry?.locked === INITIALIZING;
      if (entry && !halfAdded && entry.branch === branch && fs.existsSync(gitFile) && fs.statSync(gitFile).isFile()) {
        this.log(`${id} reusing worktree ${wt} on ${branch}`);
        return { path: wt, created: false };
      }
      if (entry && !halfAdded && entry.branch !== branch && fs.existsSync(gitFile)) {
        // The agent moved its worktree to another branch (or detached HEAD). Switch back if git can do so
        // without touching local changes; otherwise refuse rather than discard whatever it did there.
        if ((await gitTry(gitAt(wt), ['checkout', '--quiet', branch, '--'])) !== null) {
          this.log(`${id} worktree ${wt} was on ${entry.branch ?? 'a detached HEAD'}; switched back to ${branch}`);
          return { path: wt, created: false };
        }
        throw new WorkspaceError(
          'EWORKTREE',
          `${id}: worktree ${wt} is on ${entry.branch ?? 'a detached HEAD'}, expected ${branch}; check ${branch} out there or remove the worktree.`,
        );
      }
      this.log(`${id} worktree ${wt} is half-created or broken; recreating it`);
      if (entry) await this.forget(wt, halfAdded);
      fs.rmSync(wt, { recursive: true, force: true });
    }
    await this.pruneLocked();

    const addArgs = await worktreeAddArgs(this.git, this.remote, this.baseBranch, id, branch, wt);
    try {
      await this.git.raw(['worktree', 'add', ...addArgs]);
    } catch (err) {
      fs.rmSync(wt, { recursive: true, force: true });
      await this.pruneLocked();
      throw new WorkspaceError('EWORKTREE', `${id}: git worktree add for ${branch} failed: ${(err as Error).message.trim()}`);
    }
    this.log(`${id} created worktree ${wt} on ${branch}`);

    const hook = await runHook('after_create', this.hooks.after_create, {
      cwd: wt,
      env: this.hookEnv(env, wt, branch),
      timeoutMs: this.hooks.timeout,
    });
    if (!hook.ok) {
      await gitTry(this.git, ['worktree', 'remove', '--force', wt]);
      fs.rmSync(wt, { recursive: true, force: true });
      await this.pruneLocked();
      const why = hook.timedOut ? 'timed out' : `exited with ${hook.code}`;
      const err = new WorkspaceError('EHOOK', `${id}: after_create hook ${why}: ${hook.output.slice(-500).trim()}`);
      throw Object.assign(err, { hook });
    }
    return { path: wt, created: true };
  }

  /**
   * `git worktree remove --force`; twice forced for a worktree git itself left locked mid-add (an
   * operator's own `git worktree lock` is respected: that one stays). True when git removed it.
   */
  private async forget(wt: string, halfAdded: boolean): Promise<boolean> {
    const removed = (await gitTry(this.git, ['worktree', 'remove', '--force', ...(halfAdded ? ['--force'] : []), wt])) !== null;
    if (!removed && halfAdded) await gitTry(this.git, ['worktree', 'unlock', wt]); // then prune drops it
    return removed;
  }

  /**
   * `git worktree prune`, in the same queue as this instance's adds: a prune that runs while
   * `git worktree add` is under way deletes the new worktree's half-written metadata and the add fails
   * (git 2.39). Across processes (`swarm gc` beside a daemon) the window is microseconds, and an add it
   * breaks is an uncounted infra failure that is retried.
   */
  prune(): Promise<void> {
    return this.serial(() => this.pruneLocked());
  }

  private async pruneLocked(): Promise<void> {
    await gitTry(this.git, ['worktree', 'prune']);
  }

  /** The base branch's and `branch`'s refs from the remote (offline: logged under `id`, local refs used). */
  private fetch(id: string, branch: string): Promise<void> {
    return fetchBranch(this.git, this.remote, this.baseBranch, branch, (why) => this.log(`${id} ${why}`));
  }

  private hookEnv(env: Env, wt: string, branch: string): Env {
    return { ...env, SWARM_WORKSPACE: wt, SWARM_BRANCH: branch, SWARM_BASE_BRANCH: this.baseBranch };
  }

  /**
   * Remove a worktree (before_remove hook first; its failure is only logged), prune, and delete the local
   * branch when asked — unless it has commits no remote has, which only `force` overrides.
   */
  remove(
    wtPath: string,
    branch: string,
    opts: { deleteBranch?: boolean; force?: boolean; env?: Env } = {},
  ): Promise<RemoveResult> {
    return this.serial(() => this.removeLocked(wtPath, branch, opts));
  }

  private async removeLocked(
    wtPath: string,
    branch: string,
    opts: { deleteBranch?: boolean; force?: boolean; env?: Env },
  ): Promise<RemoveResult> {
    fs.mkdirSync(this.root, { recursive: true });
    const realRoot = fs.realpathSync(this.root);
    const wt = realish(wtPath);
    if (!isStrictlyInside(realRoot, wt)) {
      throw new WorkspaceError('EPATH', `refusing to remove ${wtPath}: it is not inside ${realRoot}.`);
    }
    let hook: HookResult | null = null;
    const exists = fs.existsSync(wt);
    const entry = (await this.list()).find((w) => realish(w.path) === wt);
    if (entry?.locked != null && entry.locked !== INITIALIZING) {
      // Locked by an operator (`git worktree lock`): theirs to unlock; swarm removes nothing there.
      return { removed: false, branchDeleted: false, unpushed: 0, kept: `locked${entry.locked ? ` (${entry.locked})` : ''}`, hook: null };
    }
    if (exists) {
      hook = await runHook('before_remove', this.hooks.before_remove, {
        cwd: wt,
        env: this.hookEnv(opts.env ?? {}, wt, branch),
        timeoutMs: this.hooks.timeout,
      });
      if (!hook.ok) this.log(`${branch} before_remove hook failed (continuing): ${hook.output.slice(-300).trim()}`);
    }
    if (!(await this.forget(wt, entry?.locked === INITIALIZING)) && exists) {
      fs.rmSync(wt, { recursive: true, force: true });
    }
    await this.pruneLocked();
    const removed = !fs.existsSync(wt);

    const result: RemoveResult = { removed, branchDeleted: false, unpushed: 0, kept: null, hook };
    if (!opts.deleteBranch || !(await refExists(this.git, `refs/heads/${branch}`))) return result;
    result.unpushed = await this.unpushedCommits(branch);
    if (result.unpushed > 0 && !opts.force) {
      result.kept = `${result.unpushed} unpushed commit(s)`;
      this.log(`${branch} kept: ${result.kept} (use --force to delete)`);
      return result;
    }
    const still = (await this.list()).find((w) => w.branch === branch);
    if (still) {
      result.kept = `checked out in ${still.path}`;
      return result;
    }
    await this.git.raw(['branch', '-D', branch]);
    result.branchDeleted = true;
    return result;
  }

  /** Every worktree git knows (including the main checkout), from `git worktree list --porcelain`. */
  async list(): Promise<WorktreeInfo[]> {
    const out = await this.git.raw(['worktree', 'list', '--porcelain']);
    let realRoot: string | null = null;
    try {
      realRoot = fs.realpathSync(this.root);
    } catch {
      realRoot = null;
    }
    return parseWorktreePorcelain(out).map((w) => ({
      ...w,
      managed: realRoot !== null && isStrictlyInside(realRoot, realish(w.path)),
    }));
  }

  /** Commits on `branch` that are on no remote-tracking ref (0 when the branch does not exist). */
  async unpushedCommits(branch: string): Promise<number> {
    if (!(await refExists(this.git, `refs/heads/${branch}`))) return 0;
    const out = await this.git.raw(['rev-list', '--count', `refs/heads/${branch}`, '--not', '--remotes']);
    return Number.parseInt(out.trim(), 10) || 0;
  }

  /** Bytes under a worktree (walks, never follows symlinks). */
  sizeOf(p: string): Promise<number> {
    return dirSize(p);
  }
}
