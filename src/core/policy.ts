// PURE scheduling decisions: eligibility, ordering, model ladder, backoff, the canary after a
// pause, the gate an agent passes at the moment it is spawned (when the loop wakes or stops is in idle.ts;
// what a finished run does and the circuit breaker are in outcome.ts). No I/O, no clock reads, no randomness: `now`
// and random numbers are passed in. The poll loop and `swarm explain` both use eligibility(), so what
// explain says is what the loop does.
import { RECLAIM_COOLDOWN_MS, type Config } from '../config/types.js';
import { markStates } from '../config/tracker-facts.js';
import type { KillReason, StreamEvent, StreamSummary } from '../agent/types.js';
import type { Ticket } from '../tracker/types.js';
import type { DiskFull, PauseKind, PauseState, SwarmState, TicketState } from './types.js';
import { laneComparator, laneGate, laneOf, type Lane } from './lanes.js';
import { accountPauseReason, accountWindow, canaryWaitReason, modelLimitReason, type AccountView, type CanaryTurn } from './account-policy.js';
import { isAuthKind } from './auth-kinds.js';
import { formatMs } from '../util/format.js';
import { pauseInForce } from './pause.js';
import { budgetStop } from './budget.js';

export interface RuleCheck {
  rule: 'open' | 'state' | 'labels' | 'exclude_labels' | 'handed_off' | 'hold' | 'claimed_elsewhere' | 'blockers' | 'sub_issues' | 'reclaim' | 'attempts' | 'retry_wait' | 'running' | 'pause' | 'lane' | 'budget';
  pass: boolean;
  detail: string;
}

export interface EligibilityContext {
  config: Config;
  state: SwarmState;
  now: number;
  /** Keys with a live agent in this daemon. */
  running: ReadonlySet<string>;
  /** Fleet mode: the live daemon holding a ticket's lease when it is another one. */
  heldElsewhere?: (key: string) => string | null;
  /** The shared Claude account as last read: its pause and usage-window figures. */
  account?: AccountView | null;
  /** Background-lane agents this daemon runs or prepares now (for agent.lanes.background.max_concurrent). */
  backgroundRunning?: number;
  /** Why no new ticket may start (the base branch is red, verify.hold_while_red: dispatch), or null. */
  hold?: string | null;
  /** What a ticket still waits for before its next attempt (a reverted one: its revert reaching the base), or null. */
  waitsFor?: (key: string) => string | null;
  /** The disk refuses swarm's writes (the ledger's, in memory only): dispatch waits. */
  disk?: DiskFull | null;
}

/** eligibility() of each ticket of one poll, by key: computed once, read by dispatch, the queue view and /metrics. */
export type EligibilityChecks = ReadonlyMap<string, readonly RuleCheck[]>;

export function eligibilityChecks(tickets: readonly Ticket[], ctx: EligibilityContext): Map<string, RuleCheck[]> {
  return new Map(tickets.map((t) => [t.key, eligibility(t, ctx)]));
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
  const states = markStates(tr); // marks that are workflow states (Linear): it waits in one swarm picks up from, or is ours
  const inStates = t.phase === 'todo' || (ours && t.phase === 'ours');
  if (states !== null) checks.push({ rule: 'state', pass: inStates, detail: inStates ? `state "${t.state}" is eligible` : `state "${t.state}" is not one of ${states.eligible.join(', ')}` });
  checks.push({ rule: 'labels', pass: missing.length === 0, detail: missing.length === 0 ? `carries ${tr.labels.join(', ')}` : `missing label ${missing.join(', ')}` });
  checks.push({ rule: 'exclude_labels', pass: excluded.length === 0, detail: excluded.length === 0 ? 'no excluded label' : `carries excluded label ${excluded.join(', ')}` });
  const handedOff = has(tr.review_label) || has(tr.failed_label) || ts?.status === 'review' || ts?.status === 'done' || ts?.status === 'verifying' || ts?.status === 'red';
  checks.push({ rule: 'handed_off', pass: !handedOff, detail: handedOff ? `already handed off (${has(tr.failed_label) ? tr.failed_label : ts?.pr?.url ?? tr.review_label})` : 'not handed off yet' });
  const hold = ts?.status === 'released' ? ts.hold ?? null : null;
  checks.push({ rule: 'hold', pass: hold === null, detail: hold ? `${hold.reason} (${hold.since}); picked up again once its ${states !== null ? 'labels or state are' : 'label is'} applied afresh, or \`swarm retry ${t.key}\`` : 'not held by an operator' });
  const holder = ctx.heldElsewhere?.(t.key) ?? null;
  const elsewhere = holder !== null || (has(tr.running_label) && !ours);
  const whose = holder !== null ? `held by daemon ${holder} (fleet)` : `carries ${tr.running_label} but this daemon has no claim on it (another daemon, or a human)`;
  checks.push({ rule: 'claimed_elsewhere', pass: !elsewhere, detail: elsewhere ? whose : 'not claimed by anyone else' });
  checks.push({ rule: 'blockers', pass: t.blockers.length === 0, detail: t.blockers.length === 0 ? 'no open blockers' : `blocked by ${t.blockers.join(', ')}` });
  const sub = t.sub_issues;
  if (sub && sub.total > 0) {
    // A parent is the sum of its sub-issues: it waits for them, unless the operator lets parents be claimed.
    const held = sub.open > 0 && tr.claim_parents !== true;
    const counts = `${sub.open} of ${sub.total} sub-issue${sub.total === 1 ? '' : 's'} open`;
    checks.push({ rule: 'sub_issues', pass: !held, detail: held ? `has open sub-issues (${counts}): it waits for them (tracker.claim_parents: true claims parents anyway)` : sub.open > 0 ? `has open sub-issues (${counts}); tracker.claim_parents is true` : `its ${sub.total} sub-issue${sub.total === 1 ? ' is' : 's are'} closed` });
  }
  const reclaim = reclaimWaitMs(ts, ctx.config.agent.reclaim_cooldown ?? RECLAIM_COOLDOWN_MS, ctx.now);
  checks.push({
    rule: 'reclaim',
    pass: reclaim === 0,
    detail: reclaim === 0 ? 'no re-claim cooldown' : `taken away and given back again: it was re-claimed at ${ts!.reclaimed_at}; the next re-claim waits ${formatMs(reclaim)} (agent.reclaim_cooldown; \`swarm retry ${t.key}\` lifts it)`,
  });
  const failed = ts?.status === 'failed';
  const attemptsLeft = ctx.config.agent.max_attempts - (ts?.failures ?? 0);
  checks.push({
    rule: 'attempts',
    pass: !failed && attemptsLeft > 0,
    detail: failed && ts!.followup?.stopped?.why === 'diverged' ? `stopped for a human: ${ts!.followup.stopped.detail}` : failed ? `failed after ${ts!.failures} counted attempts (swarm retry ${t.key} to try again)` : `${ts?.failures ?? 0} of ${ctx.config.agent.max_attempts} counted failures; next model ${modelFor(ts?.failures ?? 0, ctx.config.agent.models)}`,
  });
  const due = ts?.status === 'retry_wait' && ts.next_retry_at ? Date.parse(ts.next_retry_at) : 0;
  const waits = ctx.waitsFor?.(t.key) ?? null;
  checks.push({ rule: 'retry_wait', pass: due <= ctx.now && waits === null, detail: due > ctx.now ? `retry due in ${formatMs(due - ctx.now)} (${ts!.retry_reason ?? 'backoff'})` : waits ?? 'no retry wait' });
  const isRunning = ctx.running.has(t.key);
  checks.push({ rule: 'running', pass: !isRunning, detail: isRunning ? 'an agent is working on it now' : 'no agent running' });
  const pause = scopePause(ctx.state, ctx.now, ctx.disk);
  const shared = pause ? null : accountPauseReason(ctx.account, ctx.now) ?? modelLimitReason(ctx.account, modelFor(ts?.failures ?? 0, ctx.config.agent.models), ctx.now);
  // A red base holds new tickets (verify.hold_while_red: dispatch); one already ours goes on.
  const baseHold = ours ? null : ctx.hold ?? null;
  checks.push({ rule: 'pause', pass: pause === null && shared === null && baseHold === null, detail: pause ? `dispatch paused: ${pause.reason}` : shared ? `dispatch paused: ${shared}` : baseHold ? `dispatch held: ${baseHold}` : 'dispatch not paused' });
  const lane = laneChecks(t, ctx);
  checks.push({ rule: 'lane', pass: lane.wait === null, detail: lane.wait ?? `${lane.lane} lane: may start now` });
  const budget = budgetStop(ctx.config, ctx.state, ts) ?? lane.budget;
  checks.push({ rule: 'budget', pass: budget === null, detail: budget ?? 'within budget' });
  return checks;
}

/**
 * The ticket's lane and what its gate says: `wait` for the window, pacing and background rules (a wait with
 * a known end), `budget` for the daily budget's urgent share (shown with the budget rule, like the budget).
 */
function laneChecks(t: Ticket, ctx: EligibilityContext): { lane: Lane; wait: string | null; budget: string | null } {
  const lane = laneOf(t, ctx.config);
  const input = { window: accountWindow(ctx.account), config: ctx.config, now: ctx.now, backgroundRunning: ctx.backgroundRunning ?? 0 };
  const wait = laneGate(lane, { ...input, spentUsd: -Infinity });
  return { lane, wait, budget: wait === null ? laneGate(lane, { ...input, spentUsd: ctx.state.daily.cost_usd }) : null };
}

/**
 * How long a ticket the tracker took away (closed, unlabelled) and gave back must still wait before swarm
 * claims it again: one re-claim per agent.reclaim_cooldown, counted from the last one. 0: it may be claimed.
 */
export function reclaimWaitMs(ts: TicketState | undefined, cooldown: number, now: number): number {
  if (!ts || ts.status !== 'released' || !ts.cancelled_at || !ts.reclaimed_at) return 0;
  return Math.max(0, Date.parse(ts.reclaimed_at) + cooldown - now);
}

export function isEligible(t: Ticket, ctx: EligibilityContext): boolean {
  return eligibility(t, ctx).every((c) => c.pass);
}

/**
 * Eligible tickets in dispatch order: lane (urgent, normal, background), then priority (0 urgent … 4
 * none), then oldest first, then key. A ticket whose lane waits is not eligible, so it never holds a slot
 * idle ahead of one that may start.
 */
export function choose(tickets: readonly Ticket[], ctx: EligibilityContext, checks?: EligibilityChecks): Ticket[] {
  return tickets.filter((t) => (checks?.get(t.key) ?? eligibility(t, ctx)).every((c) => c.pass)).sort(laneComparator(ctx.config));
}

export function modelFor(failures: number, models: readonly string[]): string {
  return models[Math.min(Math.max(failures, 0), models.length - 1)]!;
}

export function backoffMs(n: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, n - 1));
}

/** The scope's pause in force at `now`, or null (core/pause.ts). */
export function activePause(pause: PauseState | null, now: number): PauseState | null {
  return pauseInForce(pause, now);
}

/**
 * The pause dispatch obeys now: a full disk first (this daemon's own — it cannot write ahead what it would
 * do — and never shared with a fleet; it ends by itself once a write goes through), else the recorded pause.
 */
export function scopePause(state: Pick<SwarmState, 'pause'>, now: number, disk: DiskFull | null = null): PauseState | null {
  if (disk) return { kind: 'disk_full', reason: `disk full (${disk.error}); resumes by itself once swarm can write its files again`, since: disk.since, until: null, limit_type: null };
  return activePause(state.pause, now);
}

/**
 * Slots free right now: concurrency minus running, and only one while a canary run is pending — this
 * daemon's own, or the shared account's (`turn`); none while another daemon runs the account's canary.
 */
export function capacity(config: Config, state: SwarmState, running: number, turn: CanaryTurn = 'none'): number {
  const free = Math.max(0, config.agent.max_concurrent - running);
  if (turn === 'elsewhere') return 0;
  return state.canary || turn !== 'none' ? Math.min(free, running === 0 ? 1 : 0) : free;
}

// --- the canary after a pause ------------------------------------------------------------------------

/**
 * Which pauses are followed by one canary run before the other slots fill: the ones that say something
 * about the way to the model (a usage limit, a login, the breaker). An operator's pause or the tracker's
 * own rate limit does not.
 */
export function needsCanary(kind: PauseKind, sharedAccount = false): boolean {
  // A usage limit belongs to the Claude account: with a shared account record, its one canary is the
  // account's (given to one daemon of all that use it), not one per daemon.
  if (kind === 'rate_limit') return !sharedAccount;
  return kind === 'auth' || kind === 'breaker';
}

/**
 * Whether the canary run has proved the way clear: once the model took a real turn (fast-fail means
 * "before any model turn"), or once it lived longer than fast_fail without the API retrying under it (a
 * run stuck in 5xx/529 retries proves nothing). Asked on every agent event of the canary run.
 */
export function canaryPassed(summary: Pick<StreamSummary, 'sawModelTurn' | 'apiRetries'>, elapsedMs: number, fastFailMs: number): boolean {
  if (summary.sawModelTurn) return true;
  return elapsedMs >= fastFailMs && summary.apiRetries.length === 0;
}

/** What the spawn gate knows beyond the state: the ticket's lane, the attempt's model and the shared account as just read. */
export interface SpawnGateExtra {
  lane: Lane;
  /** The model this attempt runs on: a weekly limit on its family (seven_day_opus…) holds it. */
  model?: string;
  /** Other background-lane agents of this daemon (running or being prepared). */
  backgroundRunning: number;
  account: AccountView | null;
  /** The disk refuses swarm's writes (the ledger's): nothing starts. */
  disk?: DiskFull | null;
}

/**
 * The gate an agent passes in the same synchronous step that spawns it — after its claim, worktree and
 * prompt, which take time during which a pause may begin (here, or on another daemon of the account). null:
 * spawn now. A reason: do not start; the ticket waits (nothing ran, nothing is counted). `live` is how many
 * other agents are running.
 */
export function spawnGate(config: Config, state: SwarmState, ts: TicketState | undefined, now: number, live: number, extra?: SpawnGateExtra): string | null {
  const pause = scopePause(state, now, extra?.disk);
  if (pause) return `dispatch paused (${pause.kind}): ${pause.reason}`;
  const shared = accountPauseReason(extra?.account, now) ?? (extra?.model ? modelLimitReason(extra.account, extra.model, now) : null);
  if (shared) return `dispatch paused (rate_limit): ${shared}`;
  const budget = budgetStop(config, state, ts);
  if (budget) return budget;
  if (extra) {
    const lane = laneGate(extra.lane, { window: accountWindow(extra.account), config, now, backgroundRunning: extra.backgroundRunning, spentUsd: state.daily.cost_usd });
    if (lane) return lane;
  }
  if (state.canary && live > 0) return 'after a pause one canary run goes first';
  return canaryWaitReason(extra?.account, now, live);
}

/** When a held or limited ticket may try again: the pause's end, or now when nothing says. */
export function resumeAt(state: SwarmState, now: number): number | null {
  const pause = scopePause(state, now);
  if (!pause) return now;
  return pause.until === null ? null : Date.parse(pause.until);
}

/**
 * A run to stop at once: a dead login (any kind in the auth table, core/auth-kinds.ts) retries for minutes
 * inside the CLI, so the first such api_retry ends it; a run that goes on paid extra usage while
 * agent.use_extra_usage is false is stopped like a usage limit.
 */
export function earlyKill(ev: StreamEvent, useExtraUsage = true): KillReason | null {
  if (ev.type === 'api_retry' && isAuthKind(ev.error)) return 'auth';
  if (ev.type === 'rate_limit' && ev.isUsingOverage && !useExtraUsage) return 'limit';
  return null;
}

/** Jitter added to a limit's reset, so a fleet does not stampede the API at the same second. */
export function pauseJitterMs(resetAt: number | null, now: number, random: number): number {
  return Math.floor(random * Math.min(30_000, Math.max(1000, ((resetAt ?? 0) - now) * 0.05)));
}

/** The pause a failed tracker poll calls for: a rate limit waits for the tracker's reset; anything else is retried next poll. */
export function trackerPause(err: { kind?: string; message: string; retryAt?: string | null }, now: number): PauseState | null {
  if (err.kind !== 'rate_limited') return null;
  return { kind: 'tracker', reason: err.message, since: iso(now), until: err.retryAt ?? iso(now + 60_000), limit_type: null };
}

const iso = (ms: number) => new Date(ms).toISOString();
