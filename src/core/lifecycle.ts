// The ticket lifecycle: every way a ticket's record can change, as pure transitions — claim, hand off (a PR
// found before running), start, spawned, finish, hold, cancel, drop the claim, retry, interrupt — plus
// the scope's pause, resume and canary. Each returns the events it implies and the record after them,
// folded by fold.ts (the same fold that replays events.jsonl). The loop, the dispatcher, reconcile,
// recovery and the operator controls all change state only through these; the ledger commits them.
import type { Config } from '../config/types.js';
import type { PullRequest, Ticket } from '../tracker/types.js';
import type { ScopeEvent, SwarmEvent, TicketEvent, Unstamped } from './events.js';
import type { AttemptOutput, FollowupCheck, FollowupComment, PauseState, SwarmState, TicketState } from './types.js';
import { applyTicket } from './fold.js';
import { outlasts } from './pause.js';
import { attemptSummary } from './summary.js';
import { activePause, needsCanary, resumeAt } from './policy.js';
import { budgetStop, ticketBudgetStop } from './budget.js';
import { breakerStep, effectOf } from './outcome.js';

/** A transition's result: the events to log (in order) and, for a ticket, its record after them. */
export interface Step {
  key: string | null;
  ticket: TicketState | null;
  events: SwarmEvent[];
}

/** What a finished attempt tripped, reported by `finish` (never found by diffing state). */
export interface Tripped {
  breaker: PauseState | null;
  pause: PauseState | null;
  budget: string | null;
}

type TicketDraft = Unstamped<TicketEvent>;
export type Draft = TicketDraft | Unstamped<ScopeEvent>;
const iso = (ms: number) => new Date(ms).toISOString();

/** Stamp the drafts (in order) and fold the ticket's own through its record. */
export function ticketStep(ts: TicketState | undefined, key: string, drafts: Draft[], now: number): Step {
  const at = iso(now);
  const events = drafts.map((d) => ({ ...d, at: d.at ?? at }) as SwarmEvent);
  let ticket = ts;
  for (const ev of events) if ('key' in ev && ev.key === key) ticket = applyTicket(ticket, ev as TicketEvent);
  return { key, ticket: ticket ?? null, events };
}

const ids = (t: { key: string; identifier: string }) => ({ ticket: t.identifier, key: t.key });

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

/**
 * A finished attempt: its record, the ticket's next status (hand-off, retry, wait for a pause, failed…)
 * and what it tripped at scope level (breaker, usage-limit or auth pause, daily budget). Decisions come
 * from policy.ts; `jitter` is the random part of a limit's pause (policy.pauseJitterMs).
 */
export function finish(state: SwarmState, ts: TicketState, attempt: number, out: AttemptOutput, config: Config, now: number, jitter: number): Step & { tripped: Tripped } {
  const { cls, run } = out;
  const rec = ts.attempts.find((a) => a.number === attempt)!;
  const interrupted = cls.outcome === 'cancelled' && (run?.killedFor === 'shutdown' || cls.reason === 'interrupted by shutdown');
  const outcome = interrupted ? 'interrupted' : cls.outcome;
  const res = run?.summary.result ?? null;
  const cost = res?.totalCostUsd ?? 0;
  // A follow-up is bounded by pr.max_followups (its round was taken when it started), not by the
  // ticket's attempts: its run is classified like any other but never counted as a failure.
  const following = ts.followup?.pending ?? null;
  const counted = cls.counted && following === null;
  const drafts: Draft[] = [{
    type: 'finished', ...ids(ts), attempt, model: rec.model, outcome, counted, reason: following ? `follow-up round ${following.round}: ${cls.reason}` : cls.reason, summary: attemptSummary(run),
    cost_usd: cost, tokens: res ? tokensOf(res) : { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    session_id: run?.summary.sessionId ?? null, duration_ms: run?.durationMs ?? Math.max(0, now - Date.parse(rec.started_at)),
  }];
  const tripped: Tripped = { breaker: null, pause: null, budget: null };
  // A pause in force is never shortened: a later limit with an earlier (or more lightly jittered) reset,
  // or a breaker shorter than a usage limit, leaves it as it is. An open-ended one waits for a human.
  let inForce = activePause(state.pause, now);
  const pauseWith = (p: PauseState): boolean => {
    if (outlasts(inForce, p)) return false;
    drafts.push({ type: 'paused', kind: p.kind, until: p.until, reason: p.reason, limit_type: p.limit_type });
    inForce = p;
    return true;
  };

  // Scope: the breaker, fed by every run we did not cut short ourselves.
  if (outcome !== 'cancelled' && outcome !== 'interrupted') {
    const step = breakerStep(state.breaker, cls.outcome === 'infra_failed', now);
    if (step.pause && pauseWith(step.pause)) tripped.breaker = step.pause;
  }
  const after = { ...state, daily: { ...state.daily, cost_usd: state.daily.cost_usd + cost } };
  if (budgetStop(config, state, undefined) === null) {
    const stop = budgetStop(config, after, undefined);
    if (stop) {
      drafts.push({ type: 'budget_reached', daily_usd: config.budget.daily_usd ?? 0, spent_usd: after.daily.cost_usd, reason: stop });
      tripped.budget = stop;
    }
  }

  // The ticket: a claim dropped or cancelled while the agent ran stays released.
  const failuresAfter = ts.failures + (counted ? 1 : 0);
  if (ts.status === 'released') {
    // nothing more: the attempt is recorded
  } else if (interrupted) {
    drafts.push({ type: 'interrupted', ...ids(ts), attempt: null, reason: 'interrupted by shutdown' });
  } else if (following) {
    followupEffect(drafts, ts, following.round, out, config, now, jitter, pauseWith, () => inForce?.until ?? null, tripped);
  } else {
    let effect = effectOf(cls, failuresAfter, config, now, jitter);
    // No attempt can follow once the ticket's own budget is spent: give up now rather than wait forever.
    const spent = effect.kind === 'retry' ? ticketBudgetStop(config, { ...ts, cost_usd: ts.cost_usd + cost }) : null;
    if (spent) effect = { kind: 'failed', reason: spent };
    switch (effect.kind) {
      case 'handoff':
        drafts.push({ type: 'pr_opened', ...ids(ts), pr: out.pr?.url ?? null, number: out.pr?.number ?? null, commits: out.commits });
        break;
      case 'failed':
        drafts.push({ type: 'ticket_failed', ...ids(ts), reason: effect.reason, failures: failuresAfter });
        break;
      case 'retry':
        drafts.push({ type: 'retry_scheduled', ...ids(ts), due: iso(effect.at), reason: cls.reason });
        break;
      case 'pause':
        if (pauseWith(effect.pause)) tripped.pause = effect.pause;
        // It waits for whichever pause is in force now (its own, or a longer one).
        drafts.push({ type: 'waiting', ...ids(ts), due: inForce?.until ?? null, reason: cls.reason });
        break;
      case 'model_wait':
        // Only this ticket waits (its next attempt is on the limited family); the account record holds the
        // limit for every other ticket due for that family.
        drafts.push({ type: 'waiting', ...ids(ts), due: effect.limit.until, reason: cls.reason });
        break;
      case 'cancelled':
        drafts.push({ type: 'cancelled', ...ids(ts), reason: cls.reason, stopping_agent: false, removing_worktree: false });
        break;
    }
  }
  return { ...ticketStep(ts, ts.key, drafts, now), tripped };
}

/**
 * What a finished follow-up does: pushed → back to review (watched again); a usage limit, a login or an
 * infrastructure failure → the same follow-up waits and runs again (its round is not taken twice); a run
 * that ended without pushing anything → a human is needed (it would meet the same trigger again).
 */
function followupEffect(
  drafts: Draft[], ts: TicketState, round: number, out: AttemptOutput, config: Config, now: number, jitter: number,
  pauseWith: (p: PauseState) => boolean, pausedUntil: () => string | null, tripped: Tripped,
): void {
  const { cls } = out;
  if (out.followupHead != null && (cls.outcome === 'pr_opened' || cls.outcome === 'pr_auto_opened')) {
    drafts.push({ type: 'followup_pushed', ...ids(ts), round, head_sha: out.followupHead, commits: out.commits ?? [] });
    return;
  }
  const effect = effectOf(cls, ts.failures, config, now, jitter);
  switch (effect.kind) {
    case 'pause':
      if (pauseWith(effect.pause)) tripped.pause = effect.pause;
      drafts.push({ type: 'waiting', ...ids(ts), due: pausedUntil(), reason: cls.reason });
      return;
    case 'model_wait':
      drafts.push({ type: 'waiting', ...ids(ts), due: effect.limit.until, reason: cls.reason });
      return;
    case 'cancelled':
      drafts.push({ type: 'cancelled', ...ids(ts), reason: cls.reason, stopping_agent: false, removing_worktree: false });
      return;
    case 'retry':
      if (cls.outcome === 'infra_failed') {
        drafts.push({ type: 'retry_scheduled', ...ids(ts), due: iso(effect.at), reason: cls.reason });
        return;
      }
  }
  drafts.push({ type: 'needs_human', ...ids(ts), why: 'needs_human', reason: `follow-up round ${round} ended without pushing a fix (${cls.outcome}: ${cls.reason})`, label: config.pr.needs_human_label });
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

/** Tokens of a run: summed over modelUsage (which includes sub-agents on other models), else `usage`. */
export function tokensOf(res: { usage: { input: number; output: number; cacheRead: number; cacheCreation: number }; modelUsage: Record<string, Partial<Record<'input' | 'output' | 'cacheRead' | 'cacheCreation', number>>> }) {
  const models = Object.values(res.modelUsage);
  if (models.length === 0) return { ...res.usage };
  const sum = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };
  for (const m of models) {
    sum.input += m.input ?? 0;
    sum.output += m.output ?? 0;
    sum.cacheRead += m.cacheRead ?? 0;
    sum.cacheCreation += m.cacheCreation ?? 0;
  }
  return sum;
}

// --- scope ------------------------------------------------------------------------------------------

function scopeStep(events: Unstamped<ScopeEvent>[], now: number): Step {
  return { key: null, ticket: null, events: events.map((e) => ({ ...e, at: e.at ?? iso(now) }) as SwarmEvent) };
}

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
