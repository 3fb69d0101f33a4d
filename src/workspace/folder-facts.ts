// What is in a worktree folder, asked before swarm removes or replaces it: files no commit holds (a folder
// is never removed with those unless forced), whether it is empty, and — for a folder in the way of a
// worktree — moving it aside instead of deleting it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitAt, gitTry } from './git.js';

/** Modified, staged and untracked files (ignored ones do not count); for a folder git cannot read: every entry. */
export async function dirtyFiles(wt: string): Promise<number> {
  if (!fs.existsSync(path.join(wt, '.git'))) return countEntries(wt);
  const out = await gitTry(gitAt(wt), ['status', '--porcelain=v1', '--untracked-files=all']);
  if (out === null) return countEntries(wt); // not a working git checkout: every file counts
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

/** Move a folder out of the way, to `<home>/.swarm-orphaned/<dir>-<time>` (an empty one is removed); returns where. */
export function setAside(home: string, wt: string): string | null {
  if (isEmptyOrMissing(wt)) {
    fs.rmSync(wt, { recursive: true, force: true });
    return null;
  }
  const dir = path.join(home, '.swarm-orphaned');
  fs.mkdirSync(dir, { recursive: true });
  const to = path.join(dir, `${path.basename(wt)}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  fs.renameSync(wt, to);
  return to;
}

export function isEmptyOrMissing(p: string): boolean {
  try {
    return fs.readdirSync(p).length === 0;
  } catch {
    return true;
  }
}

/** Entries in a folder (0 when it is gone). */
export function countEntries(p: string): number {
  try {
    return fs.readdirSync(p).length;
  } catch {
    return 0;
  }
}

/** The real path when it exists, else the absolute one. */
export function realish(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
