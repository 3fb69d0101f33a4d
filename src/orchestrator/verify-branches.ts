// The names of verification's branches: the revert branch of a charged merge and the branch a reverted
// ticket is attempted again on (workspace/naming.ts's rules, within its length limit).
import { branchName, BRANCH_MAX } from '../workspace/naming.js';

export interface BranchOf {
  key: string;
  identifier: string;
  title: string;
  branch: string;
}

/** `<prefix>revert-<n>-<slug>` for the ticket's first revert; `-<k>` after it for a later one. */
export function revertBranch(prefix: string, ts: BranchOf, k: number): string {
  const n = /^\d+$/.test(ts.key) ? Number(ts.key) : 0;
  const name = branchName(`${prefix}revert-`, { key: ts.key, number: n, title: ts.title });
  return k > 1 ? fit(name, `-${k}`) : name;
}

/** The branch a reverted ticket is attempted again on: its first branch with `-r<k>` (k = reverts so far). */
export function reattemptBranch(branch: string, k: number): string {
  const first = branch.replace(/-r\d+$/, '');
  return fit(first, `-r${k}`);
}

function fit(name: string, suffix: string): string {
  return name.length + suffix.length <= BRANCH_MAX ? `${name}${suffix}` : `${name.slice(0, BRANCH_MAX - suffix.length).replace(/[./-]+$/, '')}${suffix}`;
}
