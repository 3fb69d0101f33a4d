// The fold: how each event changes the state. The ONLY code that sets a ticket's status, attempts,
// counted failures, pause, canary, breaker or daily totals. Live transitions (lifecycle.ts) produce events
// and fold them here; rebuilding a lost state.json replays the events log through the same functions, so a
// replay cannot drift from what happened. Pure: records in, new records out (inputs are never mutated).
import type { SwarmEvent, TicketEvent } from './events.js';
import { isTicketEvent } from './events.js';
import type { AttemptRecord, SwarmState, TicketState } from './types.js';
import { blankTicketState, newAttemptRecord } from './records.js';
import { appendCapped, emptyFollowup } from './followup-record.js';
import { emptyDaily, localDate } from './records.js';
import { breakerStep } from './outcome.js';
import { outlasts, pauseInForce } from './pause.js';
import { applyVerify } from './verify-fold.js';

/** The part of the state that is not per ticket. */
export type Scope = Pick<SwarmState, 'pause' | 'canary' | 'breaker' | 'daily'>;

const ACTIVE = new Set<TicketState['status']>(['claimed', 'running', 'retry_wait']);

/** Apply one ticket event to its record (a blank record when there is none yet). */
export function applyTicket(prev: TicketState | undefined, ev: TicketEvent): TicketState {
  const t: TicketState = prev ? { ...prev } : blankTicketState(ev.key, ev.ticket, ev.at);
  t.identifier = ev.ticket || t.identifier;
  t.updated_at = ev.at;
  const attempt = (n: number, edit: (a: AttemptRecord) => AttemptRecord) => {
    t.attempts = t.attempts.map((a) => (a.number === n ? edit(a) : a));
  };
  const wait = (due: string | null, reason: string, note: string) => {
    Object.assign(t, { status: 'retry_wait', next_retry_at: due, retry_reason: reason, last_event: note });
  };
  switch (ev.type) {
    case 'claimed':
    case 'pr_found':
      // The branch chosen at the first claim is kept for good, even if the title changes later; the worktree
      // follows where the branch's folder is now (workspace.root's per-repository layout may have moved it).
      if (!t.branch) Object.assign(t, { branch: ev.branch, worktree: ev.worktree });
      else if (ev.worktree && ev.branch === t.branch) t.worktree = ev.worktree;
      Object.assign(t, { title: ev.title || t.title, url: ev.url || t.url });
      if (ev.type === 'claimed') {
        // Claimed again after the tracker took it away (a close and reopen): the cooldown counts from here.
        if (prev?.status === 'released' && prev.cancelled_at) Object.assign(t, { reclaimed_at: ev.at, cancelled_at: null });
        Object.assign(t, { status: 'claimed', next_retry_at: null, retry_reason: null, cleared: false, last_event: 'claimed', hold: null });
        t.claimed_at ??= ev.at;
      } else {
        Object.assign(t, { status: 'review', pr: { number: ev.number, url: ev.pr }, next_retry_at: null, retry_reason: null, cleared: false, last_event: `PR ${ev.pr}` });
      }
      break;
    case 'started':
      if (!t.attempts.some((a) => a.number === ev.attempt)) t.attempts = [...t.attempts, newAttemptRecord(ev.attempt, ev.model, ev.at, ev.run_file)];
      Object.assign(t, { status: 'running', next_retry_at: null, retry_reason: null, last_event: 'starting' });
      break;
    case 'spawned':
      attempt(ev.attempt, (a) => ({ ...a, pid: ev.pid, pid_start: ev.pid_start }));
      return t; // not something the tracker shows: no new revision
    case 'finished': {
      if (!t.attempts.some((a) => a.number === ev.attempt)) t.attempts = [...t.attempts, newAttemptRecord(ev.attempt, ev.model, ev.at, '')];
      attempt(ev.attempt, (a) => ({
        ...a, outcome: ev.outcome, counted: ev.counted, reason: ev.reason, summary: ev.summary, ended_at: ev.at,
        duration_ms: ev.duration_ms, cost_usd: ev.cost_usd, tokens: { ...ev.tokens }, session_id: ev.session_id ?? a.session_id, pid: null, pid_start: null,
      }));
      t.cost_usd += ev.cost_usd;
      if (ev.counted) t.failures += 1;
      t.last_event = ev.outcome;
      break;
    }
    case 'pr_opened':
      Object.assign(t, { status: 'review', pr: ev.pr && ev.number !== null ? { number: ev.number, url: ev.pr } : t.pr, next_retry_at: null, retry_reason: null, last_event: ev.pr ? `PR ${ev.pr}` : 'handed off' });
      if (ev.commits?.length || t.followup) t.followup = { ...fu(t), pending: null, ours: appendCapped(fu(t).ours, ev.commits ?? []) };
      break;
    case 'followup_started':
      t.followup = {
        ...fu(t), rounds: Math.max(fu(t).rounds, ev.round), handled: appendCapped(fu(t).handled, ev.triggers),
        pending: { kind: ev.kind, round: ev.round, head_sha: ev.head_sha, triggers: [...ev.triggers], checks: ev.checks.map((c) => ({ ...c })), comments: ev.comments.map((c) => ({ ...c })) },
      };
      Object.assign(t, { status: 'claimed', next_retry_at: null, retry_reason: null, cleared: false, last_event: `follow-up round ${ev.round} (${ev.kind})` });
      t.claimed_at = ev.at;
      break;
    case 'followup_pushed':
      t.followup = { ...fu(t), pending: null, ours: appendCapped(fu(t).ours, ev.commits) };
      Object.assign(t, { status: 'review', next_retry_at: null, retry_reason: null, last_event: `follow-up round ${ev.round} pushed ${ev.head_sha.slice(0, 7)}` });
      break;
    case 'needs_human':
      t.followup = { ...fu(t), pending: null, stopped: { why: ev.why, detail: ev.reason, at: ev.at } };
      Object.assign(t, { status: 'review', next_retry_at: null, retry_reason: null, last_event: `needs a human: ${ev.reason}` });
      break;
    case 'followups_resumed':
      t.followup = { ...fu(t), rounds: 0, stopped: null, pending: null, ours: appendCapped(fu(t).ours, ev.head_sha ? [ev.head_sha] : []) };
      t.last_event = ev.reason;
      break;
    case 'commits_seen':
      t.followup = { ...fu(t), ours: appendCapped(fu(t).ours, ev.commits) };
      return t; // not something the tracker shows: no new revision
    case 'branch_diverged':
      // Stopped for a human: not picked up again until `swarm retry` (or the failed label is removed).
      t.followup = { ...fu(t), pending: null, stopped: { why: 'diverged', detail: ev.reason, at: ev.at } };
      Object.assign(t, { status: 'failed', next_retry_at: null, retry_reason: null, last_event: `needs a human: ${ev.reason}` });
      break;
    case 'pr_closed':
      t.followup = { ...fu(t), pending: null, stopped: { why: ev.merged ? 'merged' : 'closed', detail: ev.pr, at: ev.at } };
      Object.assign(t, { status: 'done', next_retry_at: null, retry_reason: null, last_event: ev.merged ? `merged: ${ev.pr}` : `PR closed unmerged: ${ev.pr}` });
      break;
    case 'retry_scheduled':
      wait(ev.due, ev.reason, `${t.last_event}; retry scheduled`);
      break;
    case 'waiting':
      wait(ev.due, ev.reason, `${t.last_event}; waiting for the pause to end`);
      break;
    case 'held':
      wait(ev.due, ev.reason, `held: ${ev.reason}`);
      break;
    case 'ticket_failed':
      Object.assign(t, { status: 'failed', next_retry_at: null, retry_reason: null, last_event: `failed: ${ev.reason}` });
      break;
    case 'cancelled':
      Object.assign(t, { status: 'released', next_retry_at: null, retry_reason: null, cleared: false, last_event: `cancelled: ${ev.reason}`, cancelled_at: ev.at });
      if (t.followup?.pending) t.followup = { ...t.followup, pending: null };
      break;
    case 'released':
      Object.assign(t, { status: 'released', next_retry_at: null, retry_reason: null, cleared: false, last_event: ev.reason, cancelled_at: null });
      t.hold = ev.hold ? { reason: ev.reason, since: ev.at, unlisted: false } : null;
      if (t.followup?.pending) t.followup = { ...t.followup, pending: null };
      break;
    case 'hold_lifted':
      Object.assign(t, { hold: null, last_event: ev.reason });
      return t; // the tracker already shows it released: no new revision
    case 'retry_requested':
      // History stays; the count restarts. A handed-off or failed ticket loses every mark of swarm's.
      // An operator's retry also lifts the re-claim cooldown and a release's hold.
      Object.assign(t, { failures: 0, next_retry_at: null, retry_reason: null, last_event: ev.reason, cancelled_at: null, reclaimed_at: null, hold: null });
      if (t.status === 'failed' || t.status === 'review' || t.status === 'done') Object.assign(t, { status: 'released', cleared: true, followup: null });
      break;
    case 'verify_started':
    case 'verified':
    case 'verify_red':
    case 'reverted':
    case 'reopened':
    case 'verify_settled':
      applyVerify(t, ev);
      break;
    case 'interrupted': {
      const at = Date.parse(ev.at);
      t.attempts = t.attempts.map((a) => (a.outcome !== 'running' ? a : {
        ...a, outcome: 'interrupted', counted: false, reason: ev.reason, ended_at: ev.at, duration_ms: Math.max(0, at - Date.parse(a.started_at)) || 0, pid: null, pid_start: null,
      }));
      if (ACTIVE.has(t.status)) wait(ev.at, ev.reason, 'interrupted; resuming');
      break;
    }
  }
  t.rev = (prev?.rev ?? 0) + 1;
  return t;
}

/** The ticket's follow-through record, or a fresh one. */
const fu = (t: TicketState) => t.followup ?? emptyFollowup();

const SCOPE_TYPES: ReadonlySet<string> = new Set(['finished', 'pr_opened', 'paused', 'resumed', 'canary_passed']);

/** Whether applyScope changes anything for this event (fleet mode re-folds exactly these on a merge). */
export function changesScope(ev: SwarmEvent): boolean {
  return SCOPE_TYPES.has(ev.type);
}

/** Apply one event to the scope (pause, canary, breaker, daily totals). */
export function applyScope(prev: Scope, ev: SwarmEvent): Scope {
  switch (ev.type) {
    case 'finished': {
      const now = Date.parse(ev.at);
      const day = prev.daily.date === localDate(now) ? prev.daily : emptyDaily(now);
      const daily = {
        ...day,
        cost_usd: day.cost_usd + ev.cost_usd,
        tokens: {
          input: day.tokens.input + ev.tokens.input, output: day.tokens.output + ev.tokens.output,
          cacheRead: day.tokens.cacheRead + ev.tokens.cacheRead, cacheCreation: day.tokens.cacheCreation + ev.tokens.cacheCreation,
        },
        attempts: { ...day.attempts, [ev.outcome]: (day.attempts[ev.outcome] ?? 0) + 1 },
      };
      // Runs we cut short (cancel, shutdown) say nothing about the infrastructure.
      if (ev.outcome === 'cancelled' || ev.outcome === 'interrupted') return { ...prev, daily };
      const infra = ev.outcome === 'infra_failed';
      const breaker = breakerStep(prev.breaker, infra, now).breaker;
      // A run that got past fast_fail (or reached the model) proves the way is clear again.
      const canary = prev.canary && (infra || ev.outcome === 'rate_limited' || ev.outcome === 'auth_failed');
      return { ...prev, daily, breaker, canary };
    }
    case 'pr_opened': {
      const now = Date.parse(ev.at);
      const day = prev.daily.date === localDate(now) ? prev.daily : emptyDaily(now);
      return { ...prev, daily: { ...day, prs: day.prs + 1 } };
    }
    case 'paused': {
      // A pause in force is never shortened, and an open-ended one is never replaced by a timed one: the
      // same answer however the events of several daemons interleave when their scopes are merged.
      if (outlasts(pauseInForce(prev.pause, Date.parse(ev.at)), ev)) return prev;
      return { ...prev, pause: { kind: ev.kind, reason: ev.reason, since: ev.at, until: ev.until, limit_type: ev.limit_type } };
    }
    case 'resumed':
      return { ...prev, pause: null, canary: ev.canary };
    case 'canary_passed':
      return { ...prev, canary: false };
    default:
      return prev;
  }
}

/** Apply any event to a whole state, in place (the ledger's and the rebuild's one way of changing it). */
export function applyEvent(state: SwarmState, ev: SwarmEvent): void {
  if (isTicketEvent(ev)) state.tickets[ev.key] = applyTicket(state.tickets[ev.key], ev);
  const scope = applyScope(state, ev);
  state.pause = scope.pause;
  state.canary = scope.canary;
  state.breaker = scope.breaker;
  state.daily = scope.daily;
}
