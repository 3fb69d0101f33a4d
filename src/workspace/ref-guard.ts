// Refs an agent moved that are not its own. Inside the sandbox an agent may write its branch's ref folder
// (git needs the folder to commit: `refs/heads/swarm/` for `swarm/12-fix`), which also holds the branches
// of other tickets. Before the agent starts swarm notes every ref in that folder; when it ends, a ref that
// is not the agent's own branch and belongs to no ticket being worked on right now is put back as it was
// (moved or deleted → restored; created → deleted), so a ref planted for a later ticket is never checked out
// as that ticket's starting point. Refs outside that folder (other branches, remote-tracking refs,
// packed-refs) are read-only in the sandbox.
import { gitAt, gitTry, parseWorktreePorcelain } from './git.js';

export type RefSnapshot = Map<string, string>;

/** The folder of `branch`'s ref: `refs/heads/swarm/` for `swarm/12-fix`, `refs/heads/` for `12-fix`. */
export function refFolder(branch: string): string {
  const i = branch.lastIndexOf('/');
  return i < 0 ? 'refs/heads/' : `refs/heads/${branch.slice(0, i)}/`;
}

export async function snapshotRefs(repoDir: string, folder: string): Promise<RefSnapshot> {
  const out = await gitTry(gitAt(repoDir), ['for-each-ref', '--format=%(objectname) %(refname)', folder]);
  const refs: RefSnapshot = new Map();
  for (const line of (out ?? '').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) refs.set(line.slice(sp + 1), line.slice(0, sp));
  }
  return refs;
}

export interface RefRepair {
  ref: string;
  /** What it was before the run (null: it did not exist). */
  was: string | null;
  /** What the agent left (null: deleted). */
  found: string | null;
  /** Whether swarm managed to put it back. */
  restored: boolean;
}

/**
 * Put back every ref of `folder` that changed since `before`, except `own` (the agent's branch) and the
 * branches `busy` names (another ticket's attempt was prepared or ran meanwhile: swarm's worktree set-up
 * and that ticket's own run account for its ref). A created branch that a worktree has checked out is
 * swarm's own doing (`git worktree add`), never deleted.
 */
export async function restoreForeignRefs(repoDir: string, folder: string, before: RefSnapshot, own: string, busy: (branch: string) => boolean): Promise<RefRepair[]> {
  const after = await snapshotRefs(repoDir, folder);
  const git = gitAt(repoDir);
  const repairs: RefRepair[] = [];
  let checkedOut: Set<string> | null = null;
  for (const ref of new Set([...before.keys(), ...after.keys()])) {
    const branch = ref.slice('refs/heads/'.length);
    const was = before.get(ref) ?? null;
    const found = after.get(ref) ?? null;
    if (was === found || branch === own || busy(branch)) continue;
    if (was === null) {
      checkedOut ??= new Set(parseWorktreePorcelain((await gitTry(git, ['worktree', 'list', '--porcelain'])) ?? '').map((w) => w.branch ?? ''));
      if (checkedOut.has(branch)) continue;
    }
    // Compare-and-swap on what the agent left: a ref someone changed again meanwhile is left alone.
    const args = was === null ? ['update-ref', '-d', ref, found!] : ['update-ref', ref, was, found ?? '0'.repeat(was.length)];
    repairs.push({ ref, was, found, restored: (await gitTry(git, args)) !== null });
  }
  return repairs;
}
