// Git worktree lifecycle under workspace.root: create or reuse one worktree per ticket
// branch (keeping partial work across attempts), repair half-created ones, remove them for gc without ever
// dropping unpushed commits or uncommitted files unless forced. Worktrees live in this repository's own
// namespace, `<root>/<repo-id>/<dir>`, each marked as swarm's before `git worktree add` (ownership.ts);
// nothing without that mark is ever removed. Git mutations are serialised per instance: concurrent
// `worktree add -b --track` calls would fight over .git/config.lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dirSize, gitAt, gitTry, parseWorktreePorcelain, refExists, type GitRunner } from './git.js';
import { runHook, type HookConfig, type HookResult } from './hooks.js';
import { fetchBranch, RecentFetches, worktreeAddArgs } from './branch-refs.js';
import { isStrictlyInside, resolveUnder, worktreeDirName } from './naming.js';
import { Ownership } from './ownership.js';
import { repoIdentity } from './repo-id.js';
import { repairWorktrees, type RepairReport, type WorktreeInfo } from './worktree-repair.js';
import { dirtyFiles, isEmptyOrMissing, realish, setAside } from './folder-facts.js';
import { WorkspaceError } from '../errors.js';

export interface WorktreesOptions {
  repoDir: string;
  /** workspace.root; relative paths are taken against repoDir. */
  root: string;
  baseBranch: string;
  remote?: string;
  hooks: HookConfig;
  log?: (msg: string) => void;
  /** The repository's id and common git folder (repo-id.ts); read (or created) from its git folder when absent. */
  identity?: { id: string; commonDir: string };
}

export interface WorktreeTicket {
  key: string;
  identifier?: string;
}

export interface RemoveResult {
  removed: boolean;
  branchDeleted: boolean;
  /** Commits on the branch that no remote ref has. */
  unpushed: number;
  /** Why the worktree or the branch was kept, when it was. */
  kept: string | null;
  hook: HookResult | null;
}

type Env = Record<string, string | undefined>;

/** The lock reason `git worktree add` sets until its checkout is done (builtin/worktree.c, git 2.39). */
const INITIALIZING = 'initializing';


export class Worktrees {
  readonly repoDir: string;
  /** workspace.root (absolute). */
  readonly root: string;
  /** This repository's namespace under the root, `<root>/<repo-id>`: every worktree swarm makes lives here. */
  readonly home: string;
  readonly repoId: string;
  readonly commonDir: string;
  readonly ownership: Ownership;
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
    const identity = opts.identity ?? repoIdentity(this.repoDir);
    this.repoId = identity.id;
    this.commonDir = identity.commonDir;
    this.home = path.join(this.root, this.repoId);
    this.ownership = new Ownership(this.home, this.repoId, this.repoDir);
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

  /** The directory a branch's worktree lives in (namespace created if needed; always strictly inside it). */
  pathFor(branch: string): string {
    return resolveUnder(this.home, worktreeDirName(branch));
  }

  /**
   * Reconnect worktrees after the repository (or they) moved and bring old-layout ones into the namespace
   * (worktree-repair.ts). Run before anything under the root is judged: start-up, gc, the daily sweep.
   */
  repair(): Promise<RepairReport> {
    const target = { git: this.git, repoDir: this.repoDir, commonDir: this.commonDir, root: this.root, home: this.home, ownership: this.ownership, list: () => this.list(), pathFor: (b: string) => this.pathFor(b) };
    return this.serial(() => repairWorktrees(target, this.log));
  }

  /** Files in a worktree that no commit holds (modified, staged or untracked; ignored ones do not count). */
  dirtyFiles(wt: string): Promise<number> {
    return dirtyFiles(wt);
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
      let entry = (await this.list()).find((w) => realish(w.path) === wt);
      const gitFile = path.join(wt, '.git');
      if ((!entry || entry.prunable || !fs.existsSync(gitFile)) && this.ownership.owns(wt)) {
        // Moved (the repository or the worktree) or its `.git` file lost: reconnect before judging it broken.
        await gitTry(this.git, ['worktree', 'repair']);
        if (fs.existsSync(gitFile)) await gitTry(this.git, ['worktree', 'repair', wt]);
        entry = (await this.list()).find((w) => realish(w.path) === wt);
      }
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
      if (halfAdded) {
        // `git worktree add` never finished: a partial checkout, no work of anyone's.
        await this.forget(wt, true);
        fs.rmSync(wt, { recursive: true, force: true });
      } else {
        // Whatever is in it (an agent's uncommitted work, someone's files) is kept, moved out of the way.
        const aside = setAside(this.home, wt);
        if (aside) this.log(`${id} kept the old contents of ${wt} in ${aside}`);
      }
    }
    await this.pruneLocked();

    const addArgs = await worktreeAddArgs(this.git, this.remote, this.baseBranch, id, branch, wt);
    // Marked as swarm's BEFORE git creates it: a crash from here on leaves a folder gc knows is ours.
    this.ownership.mark(wt, branch);
    try {
      await this.git.raw(['worktree', 'add', ...addArgs]);
    } catch (err) {
      if (isEmptyOrMissing(wt)) {
        fs.rmSync(wt, { recursive: true, force: true });
        this.ownership.unmark(wt);
      }
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
      // Fresh from `git worktree add` a moment ago: only the hook's own output is in it.
      await gitTry(this.git, ['worktree', 'remove', '--force', wt]);
      fs.rmSync(wt, { recursive: true, force: true });
      this.ownership.unmark(wt);
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

  /**
   * Drop git's record of this repository's worktrees whose folder is gone — only those in this
   * repository's namespace (a plain `git worktree prune` would also drop the records of worktrees someone
   * keeps elsewhere, e.g. on a disk that is not mounted right now).
   */
  private async pruneLocked(): Promise<void> {
    let listed: WorktreeInfo[];
    try {
      listed = await this.list();
    } catch {
      return;
    }
    for (const w of listed) {
      if (w.prunable && this.inHome(w.path)) await gitTry(this.git, ['worktree', 'remove', '--force', w.path]);
    }
  }

  /** Directly inside this repository's namespace. */
  private inHome(p: string): boolean {
    return path.dirname(realish(p)) === realish(this.home);
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
    fs.mkdirSync(this.home, { recursive: true });
    const realHome = fs.realpathSync(this.home);
    const wt = realish(wtPath);
    if (!isStrictlyInside(realHome, wt) || path.dirname(wt) !== realHome) {
      throw new WorkspaceError('EPATH', `refusing to remove ${wtPath}: it is not one of this repository's worktree folders in ${realHome}.`);
    }
    let hook: HookResult | null = null;
    const exists = fs.existsSync(wt);
    const keep = (why: string): RemoveResult => ({ removed: false, branchDeleted: false, unpushed: 0, kept: why, hook: null });
    if (exists && !this.ownership.owns(wt)) return keep('not created by swarm (no ownership marker); left alone');
    const entry = (await this.list()).find((w) => realish(w.path) === wt);
    if (entry?.locked != null && entry.locked !== INITIALIZING) {
      // Locked by an operator (`git worktree lock`): theirs to unlock; swarm removes nothing there.
      return keep(`locked${entry.locked ? ` (${entry.locked})` : ''}`);
    }
    if (exists && !opts.force && entry?.locked !== INITIALIZING) {
      // Looked at right before removing: work that no commit holds is never deleted without --force.
      const dirty = await this.dirtyFiles(wt);
      if (dirty > 0) return keep(`${dirty} uncommitted or untracked file(s) in it; use --force to delete them`);
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
    if (removed) this.ownership.unmark(wt);

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
    return parseWorktreePorcelain(out).map((w) => ({
      ...w,
      managed: this.inHome(w.path) && this.ownership.owns(path.join(this.home, path.basename(w.path))) !== null,
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

