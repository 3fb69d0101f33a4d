// State → status snapshot (pure): the records with the daemon's view (ViewedState) and the lock, as
// `swarm status --json`, `/api/v1/state` and the dashboard all read it, so they always agree. Imports
// nothing heavy (no Octokit, Linear SDK or nunjucks): `swarm status` must start fast.
import type { AttemptOutcome, PauseState, SwarmState, TicketState, ViewedState } from '../core/types.js';
import type { LockInfo } from '../state/lock.js';
import { fleetSnapshot, type FleetSnapshot } from './status-fleet.js';
import { watchedSnapshot, type WatchedPr } from './status-watch.js';
import { extraParts, type AccountSnapshot, type SnapshotExtra } from './status-account.js';
import type { LaneName, WaitingTicket } from '../core/views.js';
import { verificationSnapshot, type VerificationSnapshot } from './status-verify.js';
import { webhooksSnapshot, type WebhooksSnapshot } from './status-webhooks.js';
import { pauseInForce } from '../core/pause.js';

export interface Snapshot {
  generated_at: string;
  daemon: { running: boolean; pid: number | null; started_at: string | null; heartbeat_age_s: number | null; draining: boolean; config_error: string | null; max_concurrent: number | null;
    /** The tracker refuses the poll itself (Linear: too complex) and retrying cannot help. */
    tracker_error: { message: string; since: string } | null;
    /** Standing problems with the code host, each naming its fix (a permission the token lacks, a moved repository). */
    warnings: string[];
    /** `on`: agents run in swarm's sandbox; `unconfined`: agent.sandbox is off; null when no daemon runs. */
    sandbox: 'on' | 'unconfined' | null };
  pause: (PauseState & { remaining_s: number | null }) | null;
  running: { ticket: string; key: string; title: string; model: string; attempt: number; max_attempts: number; failures: number; elapsed_s: number; last_event: string; cost_usd: number; branch: string }[];
  retry_queue: { ticket: string; key: string; title: string; due_at: string | null; due_in_s: number | null; reason: string; failures: number; next_model_hint: string; lane?: LaneName; waiting_because?: string;
    /** The agent's own final words when its last attempt failed or changed nothing. */
    last_words: string | null }[];
  recent: { ticket: string; key: string; title: string; outcome: string; pr_url: string | null; at: string; cost_usd: number; attempts: number }[];
  failed: { ticket: string; key: string; title: string; failures: number; reason: string; last_words: string | null }[];
  /** Labelled tickets swarm will not work on until a trusted user acts, with the reason and the fix. */
  untrusted: { ticket: string; key: string; title: string; reason: string; fix: string }[];
  /** Tickets in a status this view has no section for (verification after merge, …): shown as they are. */
  other: { ticket: string; key: string; title: string; status: string; last_event: string }[];
  totals: { date: string; cost_usd: number; tokens: SwarmState['daily']['tokens']; prs: number; attempts: Partial<Record<AttemptOutcome, number>>; tickets: number };
  /** Fleet mode: every daemon and every lease; null with the embedded store. */
  fleet: FleetSnapshot | null;
  /** PR follow-through: the handed-off PRs swarm watches, their checks and follow-up rounds. */
  watched: WatchedPr[];
  /** Verification after merge: the base branch, merged tickets' verifications, cost per verified merge. */
  verification?: VerificationSnapshot;
  /** The shared Claude account, when the caller knows it (absent otherwise). */
  account?: AccountSnapshot | null;
  /** Tickets waiting for their lane's turn, with the reason (absent when the caller has no lanes). */
  waiting?: WaitingTicket[];
  /** Webhook sources as the running daemon judges them, and the poll interval in force (null: none configured). */
  webhooks: WebhooksSnapshot | null;
}

export function buildSnapshot(state: ViewedState, lock: { info: LockInfo; alive: boolean } | null, now: number, extra: SnapshotExtra = {}): Snapshot {
  const tickets = Object.values(state.tickets);
  const configured = state.daemon ?? state.configured ?? null;
  const maxAttempts = configured?.max_attempts ?? 3;
  const alive = lock?.alive === true;
  const hb = alive ? Date.parse(lock!.info.heartbeat_at) : NaN;
  const lastAttempt = (t: TicketState) => t.attempts[t.attempts.length - 1];
  return {
    generated_at: new Date(now).toISOString(),
    daemon: {
      running: alive,
      pid: alive ? lock!.info.pid : null,
      started_at: alive ? lock!.info.started_at : null,
      heartbeat_age_s: Number.isFinite(hb) ? Math.max(0, Math.round((now - hb) / 1000)) : null,
      draining: alive && state.daemon?.draining === true,
      config_error: alive ? (state.daemon?.config_error ?? null) : null,
      tracker_error: alive ? refusal(state.daemon?.tracker_error, now) : null,
      warnings: alive ? [...(state.daemon?.notes ?? [])] : [],
      max_concurrent: configured?.max_concurrent ?? null,
      sandbox: alive ? (state.daemon?.sandbox ?? null) : null,
    },
    pause: state.daemon?.disk_full && alive
      ? { kind: 'disk_full', reason: `disk full (${state.daemon.disk_full.error}); resumes by itself once swarm can write its files again`, since: state.daemon.disk_full.since, until: null, limit_type: null, remaining_s: null }
      : state.pause && pauseInForce(state.pause, now)
      ? { ...state.pause, remaining_s: state.pause.until === null ? null : Math.round((Date.parse(state.pause.until) - now) / 1000) }
      : null,
    running: tickets
      .filter((t) => t.status === 'running' || t.status === 'claimed')
      .map((t) => {
        const a = lastAttempt(t);
        const live = a?.outcome === 'running';
        return {
          ticket: t.identifier,
          key: t.key,
          title: t.title,
          model: live ? a!.model : '',
          attempt: live ? a!.number : t.attempts.length + 1,
          max_attempts: maxAttempts,
          failures: t.failures,
          elapsed_s: live ? Math.round((now - Date.parse(a!.started_at)) / 1000) : 0,
          last_event: t.last_event,
          cost_usd: round(t.cost_usd),
          branch: t.branch,
        };
      }),
    retry_queue: tickets
      .filter((t) => t.status === 'retry_wait')
      .map((t) => ({
        ticket: t.identifier,
        key: t.key,
        title: t.title,
        due_at: t.next_retry_at,
        due_in_s: t.next_retry_at ? Math.max(0, Math.round((Date.parse(t.next_retry_at) - now) / 1000)) : null,
        reason: t.retry_reason ?? '',
        failures: t.failures,
        next_model_hint: nextModel(configured?.models, t.failures),
        last_words: lastWords(t),
        ...extra.lanes?.[t.key],
      }))
      .sort((a, b) => (a.due_at ?? '').localeCompare(b.due_at ?? '')),
    recent: tickets
      .filter((t) => t.status === 'review' || t.status === 'done')
      .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
      .slice(0, 10)
      .map((t) => ({ ticket: t.identifier, key: t.key, title: t.title, outcome: lastAttempt(t)?.outcome ?? '', pr_url: t.pr?.url ?? null, at: t.updated_at, cost_usd: round(t.cost_usd), attempts: t.attempts.length })),
    failed: tickets
      .filter((t) => t.status === 'failed')
      .map((t) => ({ ticket: t.identifier, key: t.key, title: t.title, failures: t.failures, reason: t.followup?.stopped?.why === 'diverged' ? `needs a human: ${t.followup.stopped.detail}` : lastAttempt(t)?.reason ?? '', last_words: lastWords(t) })),
    untrusted: (state.queue?.untrusted ?? []).map((u) => ({ ...u })),
    other: tickets
      .filter((t) => !KNOWN_STATUSES.has(t.status))
      .map((t) => ({ ticket: t.identifier, key: t.key, title: t.title, status: String(t.status), last_event: t.last_event })),
    totals: { date: state.daily.date, cost_usd: round(state.daily.cost_usd), tokens: state.daily.tokens, prs: state.daily.prs, attempts: state.daily.attempts, tickets: tickets.length },
    fleet: fleetSnapshot(state, now),
    watched: watchedSnapshot(state),
    verification: verificationSnapshot(state, now),
    webhooks: webhooksSnapshot(state, alive, now),
    ...extraParts(extra, now),
  };
}


/** A finished attempt that failed or changed nothing: what the agent said last (null otherwise). */
function lastWords(t: TicketState): string | null {
  const a = [...t.attempts].reverse().find((x) => x.outcome !== 'running' && x.outcome !== 'interrupted');
  if (!a || !a.summary.trim() || a.outcome === 'pr_opened' || a.outcome === 'pr_auto_opened' || a.outcome === 'cancelled') return null;
  return a.summary.replace(/\s+/g, ' ').trim();
}

const KNOWN_STATUSES: ReadonlySet<string> = new Set(['claimed', 'running', 'retry_wait', 'review', 'failed', 'released', 'done']);

/** A recorded tracker refusal, while the daemon's polls keep meeting it (each one pushes `until`). */
function refusal(e: { message: string; since: string; until: string } | null | undefined, now: number): Snapshot['daemon']['tracker_error'] {
  return e && Date.parse(e.until) > now ? { message: e.message, since: e.since } : null;
}
/** The model ladder (policy.modelFor), inlined to keep this module free of imports. */
function nextModel(models: string[] | undefined, failures: number): string {
  return models && models.length > 0 ? models[Math.min(Math.max(failures, 0), models.length - 1)]! : '';
}
const round = (n: number) => Math.round(n * 10000) / 10000;
