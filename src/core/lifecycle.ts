// The ticket lifecycle: every way a ticket's record can change, as pure transitions — claim, hand off (a PR
// found before running), start, spawned, finish (finish.ts), hold, cancel, drop the claim, retry, interrupt —
// plus the scope's pause, resume and canary. Each returns the events it implies and the record after them,
// folded by fold.ts (the same fold that replays events.jsonl; step.ts). The loop, the dispatcher, reconcile,
// recovery and the operator controls all change state only through these; the ledger commits them.
import type { PullRequest, Ticket } from '../tracker/types.js';
import type { FollowupCheck, FollowupComment, PauseState, SwarmState, TicketState } from './types.js';
import { needsCanary, resumeAt } from './policy.js';
import { ids, iso, scopeStep, ticketStep, type Step } from './step.js';

export { ticketStep, type Draft, type Step } from './step.js';
export { finish, tokensOf, type Tripped } from './finish.js';

/** Claim a ticket: a new record, or the existing one (its first branch kept). */
export function claim(ts: TicketState | undefined, t: Ticket, branch: string, worktree: string, now: number): Step {
  return ticketStep(ts, t.key, [{ type: 'claimed', ...ids(t), branch: ts?.branch || branch, worktree: whereNow(ts, branch, worktree), title: t.title, url: t.url }], now);
}

/** The dedup guard: an open PR exists for the branch (maybe opened while the daemon was down). */
export function handOffFound(ts: TicketState | undefined, t: Ticket, pr: PullRequest, branch: string, worktree: string, now: number): Step {
  return ticketStep(ts, t.key, [{ type: 'pr_found', ...ids(t), pr: pr.url, number: pr.number, branch: ts?.branch || branch, worktree: whereNow(ts, branch, worktree), title: t.title, url: t.url }], now);
}

/** The worktree of the kept branch as the caller found it now (its folder may have moved), else the recorded one. */
function whereNow(ts: TicketState | undefined, branch: string, worktree: string): string {
  if (ts?.branch && ts.branch !== branch) return ts.worktree;
  return worktree || ts?.worktree || '';
}

/** An attempt begins (called in the same synchronous step as the spawn, after the gate let it through). */
export function start(ts: TicketState, model: string, runFile: string, maxAttempts: number, now: number): Step {
  const attempt = ts.attempts.length + 1;
  return ticketStep(ts, ts.key, [{ type: 'started', ...ids(ts), attempt, model, run_file: runFile, failures: ts.failures, max_attempts: maxAttempts }], now);
}

/** The agent's process group leader, recorded so a restart can find an orphan. */
export function spawned(ts: TicketState, attempt: number, pid: number, pidStart: string | null, now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'spawned', ...ids(ts), attempt, pid, pid_start: pidStart }], now);
}

/** The gate refused to spawn (a pause began, the canary is running, a budget ran out): nothing ran. */
export function hold(ts: TicketState, reason: string, state: SwarmState, now: number): Step {
  const due = resumeAt(state, now);
  return ticketStep(ts, ts.key, [{ type: 'held', ...ids(ts), due: due === null ? null : iso(due), reason }], now);
}

/** Stop working on a ticket that was closed, unlabelled or excluded. */
export function cancel(ts: TicketState, reason: string, opts: { stoppingAgent: boolean; removingWorktree: boolean }, now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'cancelled', ...ids(ts), reason, stopping_agent: opts.stoppingAgent, removing_worktree: opts.removingWorktree }], now);
}

/**
 * Drop the claim (`swarm release`, or a claim the tracker would not take); worktree and branch are kept.
 * `hold`: an operator's release — the ticket is left alone until its label is applied afresh or `swarm retry`.
 */
export function dropClaim(ts: TicketState, by: 'operator' | 'claim_failed', reason: string, now: number, hold = false): Step {
  return ticketStep(ts, ts.key, [{ type: 'released', ...ids(ts), by, reason, ...(hold ? { hold: true } : {}) }], now);
}

/** An operator's hold ends: the ticket's label was applied afresh. */
export function liftHold(ts: TicketState, reason: string, now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'hold_lifted', ...ids(ts), reason }], now);
}

/** Clear the count and every mark so the ticket is picked up again (`swarm retry`, a human removing the failed label). */
export function retry(ts: TicketState, by: 'operator' | 'tracker', reason: string, now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'retry_requested', ...ids(ts), by, reason }], now);
}

/** The daemon is gone from under a claimed or running ticket: not counted; it resumes at once. */
export function interrupt(ts: TicketState, reason: string, now: number): Step {
  const running = ts.attempts.find((a) => a.outcome === 'running');
  return ticketStep(ts, ts.key, [{ type: 'interrupted', ...ids(ts), attempt: running?.number ?? null, reason }], now);
}

// --- PR follow-through ------------------------------------------------------------------------------

/** A follow-up begins: its round and triggers are recorded before anything runs (at most once per trigger). */
export function followupStarted(ts: TicketState, f: { pr: number; round: number; kind: 'ci' | 'review'; head_sha: string; triggers: string[]; checks: FollowupCheck[]; comments: FollowupComment[] }, now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'followup_started', ...ids(ts), ...f }], now);
}

/** No more follow-ups until a human removes the needs-human label. */
export function needsHuman(ts: TicketState, why: 'needs_human' | 'human_push', reason: string, label: string, now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'needs_human', ...ids(ts), why, reason, label }], now);
}

/** A human removed the needs-human label: follow-ups may start again, counted afresh; the current head is taken as ours. */
export function followupsResumed(ts: TicketState, reason: string, head: string | null, now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'followups_resumed', ...ids(ts), reason, head_sha: head }], now);
}

/** Commits known to be swarm's on the branch (the PR was found, not opened by a run in this record). */
export function commitsSeen(ts: TicketState, commits: string[], now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'commits_seen', ...ids(ts), commits }], now);
}

/**
 * Origin's branch was rewritten under the ticket (a human force-pushed it): no agent runs on the stale
 * local branch; the ticket stops for a human, the local commits kept under `backup_ref`.
 */
export function branchDiverged(
  ts: TicketState,
  d: { branch: string; local_head: string; remote_head: string; ahead: number; behind: number; backup_ref: string | null; reason: string },
  label: string,
  now: number,
): Step {
  return ticketStep(ts, ts.key, [{ type: 'branch_diverged', ...ids(ts), ...d, label }], now);
}

/** The PR was merged or closed: the ticket is done. */
export function prClosed(ts: TicketState, merged: boolean, now: number): Step {
  return ticketStep(ts, ts.key, [{ type: 'pr_closed', ...ids(ts), merged, pr: ts.pr?.url ?? '' }], now);
}

// --- scope ------------------------------------------------------------------------------------------

export function pause(p: Omit<PauseState, 'since'>, now: number): Step {
  return scopeStep([{ type: 'paused', kind: p.kind, until: p.until, reason: p.reason, limit_type: p.limit_type }], now);
}

/**
 * Lift the pause; the canary rule (policy.needsCanary) decides whether one run goes first here. With a
 * shared account a usage limit's canary is the account's, given to one of its daemons.
 */
export function resume(current: PauseState, why: string, now: number, sharedAccount = false): Step {
  return scopeStep([{ type: 'resumed', kind: current.kind, reason: why, canary: needsCanary(current.kind, sharedAccount) }], now);
}

export function canaryDone(ticket: string, now: number): Step {
  return scopeStep([{ type: 'canary_passed', ticket }], now);
}
