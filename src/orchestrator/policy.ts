// PURE scheduling decisions (SPEC §4): eligibility, ordering, model ladder, backoff, circuit breaker and
// what each classified outcome does to a ticket. No I/O, no clock reads: `now` is passed in. The poll
// loop and `swarm explain` both use eligibility(), so what explain says is what the loop does.
import type { Config } from '../config/types.js';
import type { Classification } from '../agent/types.js';
import type { Ticket } from '../tracker/types.js';
import type { PauseState, SwarmState, TicketState } from '../state/types.js';

export interface RuleCheck {
  rule: 'open' | 'state' | 'labels' | 'exclude_labels' | 'handed_off' | 'claimed_elsewhere' | 'blockers' | 'attempts' | 'retry_wait' | 'running' | 'pause' | 'budget';
  pass: boolean;
  detail: string;
}

export interface EligibilityContext {
  config: Config;
  state: SwarmState;
  now: number;
  /** Keys with a live agent in this daemon. */
  running: ReadonlySet<string>;
}

/** Every rule, in order, with pass/fail and a sentence. Trust, an existing PR and concurrency are checked by the caller (they need I/O or capacity). */
export function eligibility(t: Ticket, ctx: EligibilityContext): RuleCheck[] {
  const tr = ctx.config.tracker;
  const ts = ctx.state.tickets[t.key];
  const labels = new Set(t.labels.map((l) => l.toLowerCase()));
  const has = (l: string) => labels.has(l.toLowerCase());
  const missing = tr.labels.filter((l) => !has(l));
  const excluded = tr.exclude_labels.filter(has);
  const ours = ts !== undefined && (ts.status === 'claimed' || ts.status === 'running' || ts.status === 'retry_wait');
  const checks: RuleCheck[] = [];
  checks.push({ rule: 'open', pass: t.open, detail: t.open ? 'ticket is open' : `ticket is ${t.state || 'closed'}` });
  if (tr.kind === 'linear') {
    const inStates = tr.states.includes(t.state) || (ours && t.state === tr.running_state);
    checks.push({ rule: 'state', pass: inStates, detail: inStates ? `state "${t.state}" is eligible` : `state "${t.state}" is not one of ${tr.states.join(', ')}` });
  }
  checks.push({ rule: 'labels', pass: missing.length === 0, detail: missing.length === 0 ? `carries ${tr.labels.join(', ')}` : `missing label ${missing.join(', ')}` });
  checks.push({ rule: 'exclude_labels', pass: excluded.length === 0, detail: excluded.length === 0 ? 'no excluded label' : `carries excluded label ${excluded.join(', ')}` });
  const handedOff = has(tr.review_label) || has(tr.failed_label) || ts?.status === 'review';
  checks.push({ rule: 'handed_off', pass: !handedOff, detail: handedOff ? `already handed off (${has(tr.failed_label) ? tr.failed_label : ts?.pr?.url ?? tr.review_label})` : 'not handed off yet' });
  const elsewhere = has(tr.running_label) && !ours;
  checks.push({ rule: 'claimed_elsewhere', pass: !elsewhere, detail: elsewhere ? `carries ${tr.running_label} but this daemon has no claim on it (another daemon, or a human)` : 'not claimed by anyone else' });
  checks.push({ rule: 'blockers', pass: t.blockers.length === 0, detail: t.blockers.length === 0 ? 'no open blockers' : `blocked by ${t.blockers.join(', ')}` });
  const failed = ts?.status === 'failed';
  const attemptsLeft = ctx.config.agent.max_attempts - (ts?.failures ?? 0);
  checks.push({
    rule: 'attempts',
    pass: !failed && attemptsLeft > 0,
    detail: failed ? `failed after ${ts!.failures} counted attempts (swarm retry ${t.key} to try again)` : `${ts?.failures ?? 0} of ${ctx.config.agent.max_attempts} counted failures; next model ${modelFor(ts?.failures ?? 0, ctx.config.agent.models)}`,
  });
  const due = ts?.status === 'retry_wait' && ts.next_retry_at ? Date.parse(ts.next_retry_at) : 0;
  checks.push({ rule: 'retry_wait', pass: due <= ctx.now, detail: due > ctx.now ? `retry due in ${formatMs(due - ctx.now)} (${ts!.retry_reason ?? 'backoff'})` : 'no retry wait' });
  const isRunning = ctx.running.has(t.key);
  checks.push({ rule: 'running', pass: !isRunning, detail: isRunning ? 'an agent is working on it now' : 'no agent running' });
  const pause = activePause(ctx.state.pause, ctx.now);
  checks.push({ rule: 'pause', pass: pause === null, detail: pause ? `dispatch paused: ${pause.reason}` : 'dispatch not paused' });
  const budget = budgetStop(ctx.config, ctx.state, ts);
  checks.push({ rule: 'budget', pass: budget === null, detail: budget ?? 'within budget' });
  return checks;
}

export function isEligible(t: Ticket, ctx: EligibilityContext): boolean {
  return eligibility(t, ctx).every((c) => c.pass);
}

/** Eligible tickets in dispatch order: priority (0 urgent … 4 none), then oldest first, then key. */
export function choose(tickets: readonly Ticket[], ctx: EligibilityContext): Ticket[] {
  return tickets.filter((t) => isEligible(t, ctx)).sort(byPriorityThenAge);
}

export function byPriorityThenAge(a: Ticket, b: Ticket): number {
  return a.priority - b.priority || a.created_at.localeCompare(b.created_at) || a.key.localeCompare(b.key, 'en', { numeric: true });
}

export function modelFor(failures: number, models: readonly string[]): string {
  return models[Math.min(Math.max(failures, 0), models.length - 1)]!;
}

export function backoffMs(n: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, n - 1));
}

export function activePause(pause: PauseState | null, now: number): PauseState | null {
  if (!pause) return null;
  if (pause.until !== null && Date.parse(pause.until) <= now) return null;
  return pause;
}

/** Slots free right now: concurrency minus running, and only one while a canary run is pending. */
export function capacity(config: Config, state: SwarmState, running: number): number {
  const free = Math.max(0, config.agent.max_concurrent - running);
  return state.canary ? Math.min(free, running === 0 ? 1 : 0) : free;
}

export function budgetStop(config: Config, state: SwarmState, ts: TicketState | undefined): string | null {
  const daily = config.budget.daily_usd;
  if (daily !== null && state.daily.cost_usd >= daily) return `today's spend $${state.daily.cost_usd.toFixed(2)} reached budget.daily_usd $${daily.toFixed(2)}`;
  return ticketBudgetStop(config, ts);
}

/** The per-ticket half of budgetStop: agent.max_cost_usd spent across attempts. */
export function ticketBudgetStop(config: Config, ts: TicketState | undefined): string | null {
  const per = config.agent.max_cost_usd;
  if (per !== null && ts && ts.cost_usd >= per) return `ticket spent $${ts.cost_usd.toFixed(2)} of agent.max_cost_usd $${per.toFixed(2)}`;
  return null;
}

/** Remaining per-ticket budget to pass as --max-budget-usd (null = no cap). */
export function remainingBudget(config: Config, ts: TicketState | undefined): number | null {
  const per = config.agent.max_cost_usd;
  return per === null ? null : Math.max(0, per - (ts?.cost_usd ?? 0));
}

export type Effect =
  | { kind: 'handoff' }
  | { kind: 'retry'; at: number; reason: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'pause'; pause: PauseState; retryAt: number | null }
  | { kind: 'cancelled' };

export interface BreakerState {
  recent: boolean[];
  consecutive: number;
  level: number;
}

const BREAKER_BASE_MS = 5 * 60_000;
const BREAKER_MAX_MS = 60 * 60_000;
/** Default pause for a limit that did not say when it resets (API-key 429). */
const UNKNOWN_RESET_MS = 5 * 60_000;

/** What a finished attempt does. `failuresAfter` already includes this attempt if it counted. */
export function effectOf(cls: Classification, failuresAfter: number, config: Config, now: number, jitter: number): Effect {
  const a = config.agent;
  switch (cls.outcome) {
    case 'pr_opened':
    case 'pr_auto_opened':
      return { kind: 'handoff' };
    case 'cancelled':
      return { kind: 'cancelled' };
    case 'rate_limited': {
      const until = (cls.resetAt !== null && cls.resetAt > now ? cls.resetAt : now + UNKNOWN_RESET_MS) + jitter;
      const pause: PauseState = { kind: 'rate_limit', reason: cls.reason, since: iso(now), until: iso(until), limit_type: cls.limitType, canary_pending: true };
      return { kind: 'pause', pause, retryAt: until };
    }
    case 'auth_failed': {
      const pause: PauseState = { kind: 'auth', reason: cls.reason, since: iso(now), until: null, limit_type: null, canary_pending: true };
      return { kind: 'pause', pause, retryAt: null };
    }
    case 'infra_failed':
      return { kind: 'retry', at: now + a.retry_backoff, reason: cls.reason };
    default:
      if (failuresAfter >= a.max_attempts) return { kind: 'failed', reason: cls.reason };
      return { kind: 'retry', at: now + backoffMs(failuresAfter, a.retry_backoff, a.max_retry_backoff), reason: cls.reason };
  }
}

/**
 * Feed one finished run into the circuit breaker. `infra` = the run was an infra failure (fast-fail,
 * startup error, 5xx). Returns the new breaker and, when it trips, the pause to apply.
 */
export function breakerStep(b: BreakerState, infra: boolean, now: number): { breaker: BreakerState; pause: PauseState | null } {
  const recent = [...b.recent, infra].slice(-5);
  const consecutive = infra ? b.consecutive + 1 : 0;
  const failedRecent = recent.filter(Boolean).length;
  const trips = infra && (consecutive >= 3 || (recent.length >= 5 && failedRecent / recent.length >= 0.8));
  if (!trips) return { breaker: { recent, consecutive, level: infra ? b.level : 0 }, pause: null };
  const ms = Math.min(BREAKER_MAX_MS, BREAKER_BASE_MS * 2 ** b.level);
  return {
    breaker: { recent: [], consecutive: 0, level: b.level + 1 },
    pause: {
      kind: 'breaker',
      reason: `circuit breaker: ${consecutive >= 3 ? `${consecutive} infrastructure failures in a row` : `${failedRecent} of the last ${recent.length} runs failed on infrastructure`}; pausing ${formatMs(ms)}`,
      since: iso(now),
      until: iso(now + ms),
      limit_type: null,
      canary_pending: true,
    },
  };
}

export function formatMs(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
}

const iso = (ms: number) => new Date(ms).toISOString();
