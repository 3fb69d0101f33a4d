// What a finished attempt does: its record, the ticket's next status (hand-off, retry, wait for a pause,
// failed…, or for a follow-up: back to review, wait, or a human needed) and what it tripped at scope level
// (the breaker, a usage-limit or auth pause, the daily budget). Decisions come from outcome.ts, pause.ts
// and budget.ts; this turns them into the events lifecycle.ts commits.
import type { Config } from '../config/types.js';
import type { AttemptOutput, PauseState, SwarmState, TicketState } from './types.js';
import { outlasts } from './pause.js';
import { attemptSummary } from './summary.js';
import { activePause } from './policy.js';
import { budgetStop, ticketBudgetStop } from './budget.js';
import { breakerStep, effectOf, type Effect } from './outcome.js';
import { ids, iso, ticketStep, type Draft, type Step } from './step.js';

/** What a finished attempt tripped, reported by `finish` (never found by diffing state). */
export interface Tripped {
  breaker: PauseState | null;
  pause: PauseState | null;
  budget: string | null;
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
      default:
        waitOrStop(drafts, ts, effect, cls.reason, pauseWith, () => inForce?.until ?? null, tripped);
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
  if (waitOrStop(drafts, ts, effect, cls.reason, pauseWith, pausedUntil, tripped)) return;
  if (effect.kind === 'retry' && cls.outcome === 'infra_failed') {
    drafts.push({ type: 'retry_scheduled', ...ids(ts), due: iso(effect.at), reason: cls.reason });
    return;
  }
  drafts.push({ type: 'needs_human', ...ids(ts), why: 'needs_human', reason: `follow-up round ${round} ended without pushing a fix (${cls.outcome}: ${cls.reason})`, label: config.pr.needs_human_label });
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

/**
 * The effects a finished run and a finished follow-up meet alike: wait for a pause (the one in force now,
 * its own or a longer one), wait for a model family's limit, or stop. False for any other effect.
 */
function waitOrStop(
  drafts: Draft[], ts: TicketState, effect: Effect, reason: string,
  pauseWith: (p: PauseState) => boolean, pausedUntil: () => string | null, tripped: Tripped,
): boolean {
  switch (effect.kind) {
    case 'pause':
      if (pauseWith(effect.pause)) tripped.pause = effect.pause;
      // It waits for whichever pause is in force now (its own, or a longer one).
      drafts.push({ type: 'waiting', ...ids(ts), due: pausedUntil(), reason });
      return true;
    case 'model_wait':
      // Only this ticket waits (its next attempt is on the limited family); the account record holds the
      // limit for every other ticket due for that family.
      drafts.push({ type: 'waiting', ...ids(ts), due: effect.limit.until, reason });
      return true;
    case 'cancelled':
      drafts.push({ type: 'cancelled', ...ids(ts), reason, stopping_agent: false, removing_worktree: false });
      return true;
    default:
      return false;
  }
}
