// Applies a finished attempt to the persisted state: attempt record, ticket status, costs, daily
// totals, breaker and pause. Synchronous and free of tracker I/O; the loop does the tracker calls the
// returned Effect asks for. Decisions themselves come from policy.ts.
import type { Config } from '../config/types.js';
import type { TokenUsage } from '../agent/types.js';
import type { AttemptOutcome, AttemptRecord, SwarmState, TicketState } from '../state/types.js';
import type { Ticket } from '../tracker/types.js';
import type { AttemptOutput } from './attempt.js';
import { attemptSummary } from './attempt.js';
import { breakerStep, effectOf, ticketBudgetStop, type Effect } from './policy.js';
import { emptyDaily, localDate } from '../state/file-store.js';
import { blankTicketState, newAttemptRecord } from '../state/records.js';

export function newTicketState(t: Ticket, branch: string, worktree: string, now: number): TicketState {
  const at = new Date(now).toISOString();
  return { ...blankTicketState(t.key, t.identifier, at), title: t.title, url: t.url, branch, worktree, status: 'claimed', claimed_at: at, last_event: 'claimed' };
}

export function startAttempt(ts: TicketState, model: string, runFile: (n: number) => string, now: number): AttemptRecord {
  const number = ts.attempts.length + 1;
  const rec = newAttemptRecord(number, model, new Date(now).toISOString(), runFile(number));
  ts.attempts.push(rec);
  ts.status = 'running';
  ts.next_retry_at = null;
  ts.retry_reason = null;
  ts.last_event = 'starting';
  ts.updated_at = rec.started_at;
  return rec;
}

/** Tokens of a run: summed over modelUsage (which includes sub-agents on other models), else `usage`. */
export function tokensOf(res: { usage: TokenUsage; modelUsage: Record<string, Partial<TokenUsage>> }): TokenUsage {
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

export function rollDay(state: SwarmState, now: number): void {
  if (state.daily.date !== localDate(now)) state.daily = emptyDaily(now);
}

/** Record the attempt's result and move the ticket; returns what the tracker must be told. */
export function finishAttempt(state: SwarmState, ts: TicketState, rec: AttemptRecord, out: AttemptOutput, config: Config, now: number, jitter: number): Effect {
  const { cls, run } = out;
  const interrupted = cls.outcome === 'cancelled' && run?.killedFor === 'shutdown' || cls.reason === 'interrupted by shutdown';
  const outcome: AttemptOutcome = interrupted ? 'interrupted' : cls.outcome;
  const res = run?.summary.result ?? null;
  rec.outcome = outcome;
  rec.counted = cls.counted;
  rec.reason = cls.reason;
  rec.summary = attemptSummary(run);
  rec.ended_at = new Date(now).toISOString();
  rec.duration_ms = run?.durationMs ?? now - Date.parse(rec.started_at);
  rec.session_id = run?.summary.sessionId ?? rec.session_id;
  if (res) {
    rec.cost_usd = res.totalCostUsd;
    rec.tokens = tokensOf(res);
  }
  rec.pid = null;
  rec.pid_start = null;
  ts.cost_usd += rec.cost_usd;
  ts.updated_at = rec.ended_at;
  if (cls.counted) ts.failures += 1;

  rollDay(state, now);
  const d = state.daily;
  d.cost_usd += rec.cost_usd;
  d.tokens.input += rec.tokens.input;
  d.tokens.output += rec.tokens.output;
  d.tokens.cacheRead += rec.tokens.cacheRead;
  d.tokens.cacheCreation += rec.tokens.cacheCreation;
  d.attempts[outcome] = (d.attempts[outcome] ?? 0) + 1;

  // Breaker and canary: only runs that were not interrupted by us say anything about the infrastructure.
  if (outcome !== 'cancelled' && outcome !== 'interrupted') {
    const infra = cls.outcome === 'infra_failed';
    const step = breakerStep(state.breaker, infra, now);
    state.breaker = step.breaker;
    if (step.pause && !(state.pause && state.pause.until === null)) state.pause = step.pause;
    // A run that got past fast_fail (or reached the model) proves the way is clear again.
    if (!infra && cls.outcome !== 'rate_limited' && cls.outcome !== 'auth_failed') state.canary = false;
  }

  if (interrupted) {
    ts.status = 'retry_wait';
    ts.next_retry_at = new Date(now).toISOString();
    ts.retry_reason = 'interrupted by shutdown';
    ts.last_event = 'interrupted';
    return { kind: 'retry', at: now, reason: 'interrupted by shutdown' };
  }
  let effect = effectOf(cls, ts.failures, config, now, jitter);
  // No attempt can follow once the ticket's own budget is spent: give up now rather than wait forever.
  const spent = effect.kind === 'retry' ? ticketBudgetStop(config, ts) : null;
  if (spent) effect = { kind: 'failed', reason: spent };
  switch (effect.kind) {
    case 'handoff':
      ts.status = 'review';
      ts.pr = out.pr ? { number: out.pr.number, url: out.pr.url } : null;
      ts.last_event = out.pr ? `PR ${out.pr.url}` : 'handed off';
      d.prs += 1;
      break;
    case 'failed':
      ts.status = 'failed';
      ts.last_event = spent ? `failed: ${spent}` : 'failed';
      break;
    case 'retry':
      ts.status = 'retry_wait';
      ts.next_retry_at = new Date(effect.at).toISOString();
      ts.retry_reason = cls.reason;
      ts.last_event = `${outcome}; retry scheduled`;
      break;
    case 'pause':
      // An open-ended pause (auth, operator) waits for a human: a timed one must not lift it.
      if (!(state.pause && state.pause.until === null && effect.pause.until !== null)) state.pause = effect.pause;
      state.canary = true;
      ts.status = 'retry_wait';
      ts.next_retry_at = effect.retryAt === null ? null : new Date(effect.retryAt).toISOString();
      ts.retry_reason = cls.reason;
      ts.last_event = `${outcome}; waiting for the pause to end`;
      break;
    case 'cancelled':
      ts.status = 'released';
      ts.last_event = 'cancelled';
      break;
  }
  return effect;
}
