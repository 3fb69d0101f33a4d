// Git worktree lifecycle under workspace.root: create or reuse one worktree per ticket branch (keeping
// partial work across attempts; worktree-ensure.ts), repair half-created ones, remove them for gc without
// ever dropping unpushed commits or uncommitted files unless forced (worktree-remove.ts). Worktrees live in
// this repository's own namespace, `<root>/<repo-id>/<dir>`, each marked as swarm's before `git worktree add` (ownership.ts);
// nothing without that mark is ever removed. Git mutations are serialised per instance: concurrent
// `worktree add -b --track` calls would fight over .git/config.lock.
import * as path from 'node:path';
import { dirSize, gitAt, parseWorktreePorcelain, type GitRunner } from './git.js';
import type { HookConfig } from './hooks.js';
import { fetchBranch, RecentFetches } from './branch-refs.js';
import { resolveUnder, worktreeDirName } from './naming.js';
import { Ownership } from './ownership.js';
import { repoIdentity } from './repo-id.js';
import { repairWorktrees, type RepairReport, type WorktreeInfo } from './worktree-repair.js';
import { dirtyFiles } from './folder-facts.js';
import { inHome, pruneNamespace, unpushedCommits, type HookEnv, type WorktreeContext } from './worktree-ops.js';
import { ensureWorktree } from './worktree-ensure.js';
import { removeWorktree, type RemoveOptions, type RemoveResult } from './worktree-remove.js';

export type { RemoveResult } from './worktree-remove.js';

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
  /** What ensure and remove are handed (worktree-ops.ts). */
  private readonly ctx: WorktreeContext;
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
    this.ctx = {
      git: this.git, home: this.home, ownership: this.ownership, baseBranch: this.baseBranch, remote: this.remote,
      hooks: this.hooks, log: this.log, list: () => this.list(),
    };
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
  ensure(ticket: WorktreeTicket, branch: string, env: HookEnv): Promise<{ path: string; created: boolean }> {
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

  private async ensureLocked(ticket: WorktreeTicket, branch: string, env: HookEnv) {
    const id = ticket.identifier ?? ticket.key;
    const wt = this.pathFor(branch);
    if (!this.fetches.take(branch)) await this.fetch(id, branch);
    return ensureWorktree(this.ctx, id, branch, wt, env);
  }

  /**
   * `git worktree prune`, in the same queue as this instance's adds: a prune that runs while
   * `git worktree add` is under way deletes the new worktree's half-written metadata and the add fails
   * (git 2.39). Across processes (`swarm gc` beside a daemon) the window is microseconds, and an add it
   * breaks is an uncounted infra failure that is retried. Only this repository's namespace is pruned.
   */
  prune(): Promise<void> {
    return this.serial(() => pruneNamespace(this.ctx));
  }

  /** The base branch's and `branch`'s refs from the remote (offline: logged under `id`, local refs used). */
  private fetch(id: string, branch: string): Promise<void> {
    return fetchBranch(this.git, this.remote, this.baseBranch, branch, (why) => this.log(`${id} ${why}`));
  }

  /**
   * Remove a worktree (before_remove hook first; its failure is only logged), prune, and delete the local
   * branch when asked — unless it has commits no remote has, which only `force` overrides.
   */
  remove(wtPath: string, branch: string, opts: RemoveOptions = {}): Promise<RemoveResult> {
    return this.serial(() => removeWorktree(this.ctx, wtPath, branch, opts));
  }

  /** Every worktree git knows (including the main checkout), from `git worktree list --porcelain`. */
  async list(): Promise<WorktreeInfo[]> {
    const out = await this.git.raw(['worktree', 'list', '--porcelain']);
    return parseWorktreePorcelain(out).map((w) => ({
      ...w,
      managed: inHome(this.home, w.path) && this.ownership.owns(path.join(this.home, path.basename(w.path))) !== null,
    }));
  }

  /** Commits on `branch` that are on no remote-tracking ref (0 when the branch does not exist). */
  unpushedCommits(branch: string): Promise<number> {
    return unpushedCommits(this.git, branch);
  }

  /** Bytes under a worktree (walks, never follows symlinks). */
  sizeOf(p: string): Promise<number> {
    return dirSize(p);
  }
}
