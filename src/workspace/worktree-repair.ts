// Before anything under workspace.root is judged (start-up, gc, the daily sweep): reconnect this
// repository's worktrees after a move, and bring worktrees of the old un-namespaced layout
// (`<root>/<dir>`) into this repository's namespace (`<root>/<repo-id>/<dir>`, marked as swarm's).
//
// A moved repository (or moved worktrees) makes git list real worktrees as "prunable" and their folders
// look unregistered: judged then, they would be deleted. `git worktree repair` fixes the links both ways,
// but given a path it trusts that path's `.git` file and may rewire the repository it names — so it is
// only ever handed folders that are provably this repository's: those swarm marked in its own namespace,
// and old-layout folders whose `.git` file points at an admin folder of this repository that points back
// at them (where they are, or where they were relative to the repository before it moved).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitTry, type GitRunner, type PorcelainWorktree } from './git.js';
import { realish as real } from './folder-facts.js';
import type { Ownership } from './ownership.js';
import { worktreeDirName } from './naming.js';

/** A worktree git lists (git.ts), and whether it is one of swarm's. */
export interface WorktreeInfo extends PorcelainWorktree {
  /** Lies in this repository's namespace under workspace.root and carries swarm's ownership marker. */
  managed: boolean;
}

export interface RepairReport {
  /** Folders `git worktree repair` was run on. */
  repaired: string[];
  /** Old-layout worktrees moved into this repository's namespace. */
  migrated: { from: string; to: string }[];
  /** Old-layout registrations whose folder was gone (git metadata dropped). */
  forgotten: string[];
  problems: string[];
}

export interface RepairTarget {
  git: GitRunner;
  repoDir: string;
  commonDir: string;
  root: string;
  home: string;
  ownership: Ownership;
  list(): Promise<WorktreeInfo[]>;
  pathFor(branch: string): string;
}

export async function repairWorktrees(t: RepairTarget, log: (msg: string) => void): Promise<RepairReport> {
  const report: RepairReport = { repaired: [], migrated: [], forgotten: [], problems: [] };
  // This repository's own registrations: rewrite each worktree's `.git` file to point back here (a
  // repository that moved leaves them pointing at its old place). Only paths git itself lists are touched.
  await gitTry(t.git, ['worktree', 'repair']);
  const home = real(t.home);
  const marked = t.ownership.markedNames().map((n) => path.join(home, n)).filter((p) => isWorktreeDir(p));
  const legacy = legacyDirs(t).filter((p) => ownsLegacy(t, p));
  for (const p of [...marked, ...legacy]) {
    if ((await gitTry(t.git, ['worktree', 'repair', p])) !== null) report.repaired.push(p);
    else report.problems.push(`git worktree repair ${p} failed`);
  }
  await migrate(t, report, log);
  return report;
}

/** A folder holding a `.git` file (a linked worktree's), not a `.git` folder (a repository of its own). */
function isWorktreeDir(p: string): boolean {
  try {
    return fs.statSync(path.join(p, '.git')).isFile();
  } catch {
    return false;
  }
}

/** Folders directly under the root (the old layout), other than namespaces and hidden ones. */
function legacyDirs(t: RepairTarget): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(t.root);
  } catch {
    return [];
  }
  const root = real(t.root);
  return names.filter((n) => !n.startsWith('.')).map((n) => path.join(root, n)).filter((p) => !fs.existsSync(path.join(p, '.swarm-namespace.json')) && isWorktreeDir(p));
}

/**
 * Whether old-layout folder `p` is one of this repository's worktrees: its `.git` file names an admin
 * folder `<id>` that this repository has, and that admin folder's `gitdir` names `p` — where it is, or
 * where it was relative to the repository before the repository moved.
 */
function ownsLegacy(t: RepairTarget, p: string): boolean {
  try {
    const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(path.join(p, '.git'), 'utf8'));
    if (!m) return false;
    const named = path.resolve(p, m[1]!.trim());
    const id = path.basename(named);
    const back = fs.readFileSync(path.join(t.commonDir, 'worktrees', id, 'gitdir'), 'utf8').trim();
    const dotgit = path.join(p, '.git');
    if (path.resolve(back) === dotgit || real(path.dirname(back)) === real(p)) return true;
    // Moved with the repository: the old repository folder is the one above the old common git folder.
    const oldTop = path.dirname(path.dirname(path.dirname(named)));
    const newTop = path.dirname(t.commonDir);
    return path.relative(oldTop, path.dirname(back)) === path.relative(real(newTop), real(p));
  } catch {
    return false;
  }
}

/** Old-layout registrations of this repository (`<root>/<dir-of-its-branch>`) move into the namespace. */
async function migrate(t: RepairTarget, report: RepairReport, log: (msg: string) => void): Promise<void> {
  const root = real(t.root);
  let listed: WorktreeInfo[];
  try {
    listed = await t.list();
  } catch (err) {
    report.problems.push(`git worktree list failed: ${(err as Error).message}`);
    return;
  }
  for (const w of listed) {
    const at = real(w.path);
    if (!w.branch || path.dirname(at) !== root || path.basename(at) !== worktreeDirName(w.branch) || w.locked !== null) continue;
    if (w.prunable) {
      // Its folder is gone: only git's record of it is left (it would keep the branch "checked out").
      if ((await gitTry(t.git, ['worktree', 'remove', '--force', w.path])) !== null) report.forgotten.push(w.path);
      continue;
    }
    const to = t.pathFor(w.branch);
    if (fs.existsSync(to)) {
      report.problems.push(`cannot move ${w.path} into ${to}: that folder already exists`);
      continue;
    }
    t.ownership.mark(to, w.branch);
    if ((await gitTry(t.git, ['worktree', 'move', w.path, to])) === null) {
      t.ownership.unmark(to);
      report.problems.push(`git worktree move ${w.path} ${to} failed (left where it is)`);
      continue;
    }
    report.migrated.push({ from: w.path, to });
    log(`moved worktree ${w.path} to ${to} (worktrees are now kept per repository under workspace.root)`);
  }
}
