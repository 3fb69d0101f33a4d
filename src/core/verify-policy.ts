// PURE decisions of verification after merge: whether the merge commit's checks are green, red or still to
// be waited for; which merge is charged with a red base; what happens to a charged merge (revert PR, push,
// report, record — or a human, past verify.max_reverts); how a merge is reverted (`git revert -m 1` for a
// merge commit, a plain revert for a squash, the range for a rebase of several commits); and whether the
// base being red holds anything (the revert and re-attempt branch names: orchestrator/verify-branches.ts).
// No I/O, no clock reads.
import type { VerifyConfig } from '../config/types.js';
import type { PrCheck } from '../tracker/pr-watch.js';
import type { BaseView, RevertMode } from './verify-record.js';

/** Conclusions that make a check red (check runs; commit statuses' failure/error). */
const FAILING = new Set(['failure', 'timed_out', 'startup_failure', 'error']);
const short = (sha: string) => sha.slice(0, 7);

export type ChecksVerdict =
  | { kind: 'wait'; why: string }
  | { kind: 'green'; detail: string }
  | { kind: 'red'; failing: PrCheck[]; detail: string }
  /** Still running (or never reported) after verify.checks_timeout: the merge cannot be called green. */
  | { kind: 'timeout'; detail: string };

export interface ChecksInput {
  sha: string;
  mode: VerifyConfig['checks'];
  /** The merge commit's checks; `required` marked when the base branch's requirement is known. */
  checks: readonly PrCheck[];
  /** Check names the base branch requires, when known (null: none, or unreadable: every check counts). */
  required: ReadonlySet<string> | null;
  /**
   * Check names seen on the merge commit's first parent: CI that ran there is expected here too — for
   * `graceMs` (GitHub creates a push's check runs within seconds; one still missing after that is taken
   * not to run for this commit: a path filter, a conditional workflow). Required checks are awaited until
   * the timeout.
   */
  expected: readonly string[];
  graceMs: number;
  elapsedMs: number;
  timeoutMs: number;
}

/** The checks that count under verify.checks: the required ones when known, else every one. */
export function countedChecks(checks: readonly PrCheck[], mode: VerifyConfig['checks'], required: ReadonlySet<string> | null): PrCheck[] {
  if (mode === 'none') return [];
  if (mode === 'required' && required !== null && required.size > 0) return checks.filter((c) => required.has(c.name));
  return [...checks];
}

export function checksVerdict(i: ChecksInput): ChecksVerdict {
  if (i.mode === 'none') return { kind: 'green', detail: 'checks not read (verify.checks: none)' };
  const counted = countedChecks(i.checks, i.mode, i.required);
  const failing = counted.filter((c) => c.conclusion !== null && FAILING.has(c.conclusion));
  if (failing.length > 0) {
    return { kind: 'red', failing, detail: `check${failing.length === 1 ? '' : 's'} ${failing.map((c) => `${c.name} (${c.conclusion})`).join(', ')} failed on ${short(i.sha)}` };
  }
  const requiredMode = i.mode === 'required' && i.required !== null && i.required.size > 0;
  const awaited = requiredMode ? [...i.required!] : i.elapsedMs < i.graceMs ? i.expected : [];
  const missing = awaited.filter((n) => !counted.some((c) => c.name === n));
  const running = counted.filter((c) => c.conclusion === null);
  if (missing.length > 0 || running.length > 0) {
    const what = [running.length > 0 ? `${running.length} running` : '', missing.length > 0 ? `${missing.join(', ')} not reported yet` : ''].filter(Boolean).join(', ');
    if (i.elapsedMs >= i.timeoutMs) return { kind: 'timeout', detail: `checks on ${short(i.sha)} did not finish within verify.checks_timeout (${what})` };
    return { kind: 'wait', why: `waiting for checks on ${short(i.sha)}: ${what}` };
  }
  if (counted.length === 0) return { kind: 'green', detail: `no checks reported on ${short(i.sha)} (none ran on its first parent either)` };
  const scope = requiredMode ? 'required ' : '';
  return { kind: 'green', detail: `${counted.length} ${scope}check${counted.length === 1 ? '' : 's'} passed on ${short(i.sha)}` };
}

export interface Charge {
  charged: boolean;
  note: string;
}

/**
 * Red by its own checks (or its after_merge hook): the merge is charged unless its first parent was already
 * red (then the base was broken before it landed, and reverting it would not heal anything).
 */
export function chargeOwn(reason: 'hook' | 'checks', mergeSha: string, parent: { sha: string; red: string[] } | null): Charge {
  if (reason === 'hook') return { charged: true, note: `hooks.after_merge failed for ${short(mergeSha)}: this merge is charged` };
  if (parent && parent.red.length > 0) {
    return { charged: false, note: `the base was already red at its first parent ${short(parent.sha)} (${parent.red.join(', ')}): this merge is not charged` };
  }
  return { charged: true, note: `its own checks are red while its first parent${parent ? ` ${short(parent.sha)}` : ''} was green: this merge is charged` };
}

export interface LandedMerge {
  key: string;
  identifier: string;
  sha: string;
}

/**
 * Only verify.command is red (it says nothing about which commit): of the swarm merges that landed since
 * the last green base (oldest first, this one among them), the newest is charged, and the note says so.
 */
export function chargeCommand(self: LandedMerge, landed: readonly LandedMerge[]): Charge {
  const all = landed.some((m) => m.key === self.key) ? landed : [...landed, self];
  const newest = all[all.length - 1]!;
  if (all.length <= 1) return { charged: true, note: `verify.command failed after ${short(self.sha)}: this merge is charged` };
  const list = all.map((m) => `${m.identifier} (${short(m.sha)})`).join(', ');
  if (newest.key !== self.key) {
    return { charged: false, note: `only verify.command is red and ${all.length} swarm merges landed since the last green base (${list}): the newest, ${newest.identifier}, is charged, not this one` };
  }
  return { charged: true, note: `only verify.command is red and ${all.length} swarm merges landed since the last green base (${list}): the newest, ${self.identifier}, is charged` };
}

export type RedAction =
  | { act: 'revert'; mode: 'pr' | 'push' }
  | { act: 'report' }
  | { act: 'record' }
  /** verify.max_reverts reached: nothing is reverted; a human decides. */
  | { act: 'max_reverts' }
  /** Not charged: nothing of this ticket's is reverted. */
  | { act: 'none' };

export function redAction(cfg: Pick<VerifyConfig, 'revert' | 'max_reverts'>, charged: boolean, revertsSoFar: number): RedAction {
  if (!charged) return { act: 'none' };
  if (cfg.revert === 'off') return { act: 'record' };
  if (cfg.revert === 'report') return { act: 'report' };
  if (revertsSoFar >= cfg.max_reverts) return { act: 'max_reverts' };
  return { act: 'revert', mode: cfg.revert };
}

export type RevertPlan =
  | { kind: 'merge' }
  | { kind: 'commit' }
  /** A rebase merge of `count` commits ending at the merge sha. */
  | { kind: 'range'; count: number };

/**
 * How GitHub merged it, as the commits show (REST description, "Get a pull request": merge_commit_sha is
 * the merge commit, the squashed commit, or for a rebase "the commit that the base branch was updated
 * to"): two parents → a merge commit; one → a squash or a rebase, a rebase of several commits being the
 * last `rebased` first-parent commits (their messages are the PR's commits').
 */
export function revertPlan(parents: number, rebased: number): RevertPlan {
  if (parents >= 2) return { kind: 'merge' };
  return rebased > 1 ? { kind: 'range', count: rebased } : { kind: 'commit' };
}

/** The `git revert` arguments for a plan (newest first for a range, as git reverts a range). */
export function revertArgs(plan: RevertPlan, sha: string): string[] {
  if (plan.kind === 'merge') return ['revert', '--no-edit', '-m', '1', sha];
  if (plan.kind === 'range') return ['revert', '--no-edit', `${sha}~${plan.count}..${sha}`];
  return ['revert', '--no-edit', sha];
}

/** The command as an operator would type it (for reports and PR bodies). */
export function revertCommand(plan: RevertPlan, sha: string): string {
  return `git ${revertArgs(plan, sha).filter((a) => a !== '--no-edit').join(' ')}`;
}

/** Why the base being red holds dispatch (verify.hold_while_red: dispatch), or null. */
export function dispatchHold(base: BaseView | null | undefined, cfg: Pick<VerifyConfig, 'hold_while_red'>): string | null {
  if (!base?.red || cfg.hold_while_red !== 'dispatch') return null;
  return `base branch ${base.branch} is red (${base.reason}); no new ticket starts until it is green (verify.hold_while_red: dispatch)`;
}

/** Whether swarm's auto-merge is held off by a red base (hold_while_red merge or dispatch). */
export function mergeHeld(base: BaseView | null | undefined, cfg: Pick<VerifyConfig, 'hold_while_red'>): boolean {
  return base?.red === true && cfg.hold_while_red !== 'off';
}

/** A revert's mode as a sentence for the report (verify.revert: report). */
export function wouldRevert(mode: RevertMode, plan: RevertPlan, sha: string, branch: string, draft: boolean): string {
  const how = mode === 'push' ? 'push the revert to the base branch' : `open ${draft ? 'a draft' : 'a'} revert PR from ${branch}`;
  return `swarm would run \`${revertCommand(plan, sha)}\` and ${how}`;
}
