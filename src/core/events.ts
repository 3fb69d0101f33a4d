// Every transition swarm records, as one typed union: what `.swarm/events.jsonl` holds (one JSON object per
// line, `at` first), what the lifecycle fold replays when state.json is lost, what notifications and
// metrics switch over. Ticket events carry the ticket's identifier (`ticket`) and state key (`key`);
// everything a replay needs is in the event itself. The human log line for each lives in event-lines.ts.
import type { AttemptOutcome, FollowupCheck, FollowupComment, PauseKind } from './types.js';
import type { TokenUsage } from '../agent/types.js';
import type { RedReason, RevertMode, RevertOutcome, SettleOutcome, VerifyCheck } from './verify-record.js';

interface At {
  /** ISO time of the transition. */
  at: string;
}
interface T extends At {
  ticket: string;
  key: string;
}

export type TicketEvent =
  | (T & { type: 'claimed'; branch: string; worktree: string; title: string; url: string })
  /** The dedup guard found an open PR for the branch: handed off without a run. */
  | (T & { type: 'pr_found'; pr: string; number: number; branch: string; worktree: string; title: string; url: string })
  | (T & { type: 'started'; attempt: number; model: string; run_file: string; failures: number; max_attempts: number })
  | (T & { type: 'spawned'; attempt: number; pid: number; pid_start: string | null })
  | (T & {
      type: 'finished'; attempt: number; model: string; outcome: AttemptOutcome; counted: boolean; reason: string;
      summary: string; cost_usd: number; tokens: TokenUsage; session_id: string | null; duration_ms: number;
    })
  /** `commits`: the branch's commits this run made (PR follow-through tells a human's push from ours). */
  | (T & { type: 'pr_opened'; pr: string | null; number: number | null; commits?: string[] })
  /** PR follow-through: a follow-up attempt for a failed check or a change request on `head_sha`. */
  | (T & { type: 'followup_started'; pr: number; round: number; kind: 'ci' | 'review'; head_sha: string; triggers: string[]; checks: FollowupCheck[]; comments: FollowupComment[] })
  /** The follow-up pushed to the PR's branch: back to review, watched again. */
  | (T & { type: 'followup_pushed'; round: number; head_sha: string; commits: string[] })
  /** Follow-ups stop until a human removes the needs-human label: max_followups reached, a run that pushed nothing, a human's push. */
  | (T & { type: 'needs_human'; why: 'needs_human' | 'human_push'; reason: string; label: string })
  /** The needs-human label was removed: follow-ups may start again (rounds counted afresh from here). */
  | (T & { type: 'followups_resumed'; reason: string; head_sha: string | null })
  /** Commits on the branch known to be swarm's (a PR found without a run of ours in this state). */
  | (T & { type: 'commits_seen'; commits: string[] })
  /** The PR was merged or closed: the ticket is done. */
  | (T & { type: 'pr_closed'; merged: boolean; pr: string })
  | (T & { type: 'retry_scheduled'; due: string; reason: string })
  /** After a usage limit or an auth failure: the ticket waits for the pause to end (null: an operator). */
  | (T & { type: 'waiting'; due: string | null; reason: string })
  /** A claim that was about to start its agent when a pause began: it waits, nothing ran. */
  | (T & { type: 'held'; due: string | null; reason: string })
  | (T & { type: 'ticket_failed'; reason: string; failures: number })
  | (T & { type: 'cancelled'; reason: string; stopping_agent: boolean; removing_worktree: boolean })
  /**
   * The claim was dropped: `swarm release` (or an operator cancelling the running attempt), or the tracker
   * refused the claim's write. `hold`: the operator's release — not picked up again until the trigger label
   * is applied afresh or `swarm retry`.
   */
  | (T & { type: 'released'; by: 'operator' | 'claim_failed'; reason: string; hold?: boolean })
  /** An operator's release no longer holds the ticket back (its label was applied afresh). */
  | (T & { type: 'hold_lifted'; reason: string })
  | (T & { type: 'retry_requested'; by: 'operator' | 'tracker'; reason: string })
  /** The daemon stopped under a running or claimed ticket (shutdown, crash): not counted, resumes. */
  | (T & { type: 'interrupted'; attempt: number | null; reason: string })
  | VerifyEvent;

/**
 * Verification after merge, each step written before the next one starts: verifying → verified, or
 * verify_red → reverted (the revert PR or push, a report, a record, or why not) → reopened (the re-attempt)
 * or verify_settled (the ticket stays done: reported, recorded, not charged, left to a human).
 */
export type VerifyEvent =
  /** The ticket's PR merged as `merge_sha` into `base`: verification starts. */
  | (T & { type: 'verify_started'; pr: string; number: number; merge_sha: string; base: string; head_sha: string; commits: number })
  | (T & { type: 'verified'; merge_sha: string; detail: string })
  /** Red, with the evidence; `charged`: this merge is the one that turned the base red (so it is reverted). */
  | (T & { type: 'verify_red'; merge_sha: string; reason: RedReason; detail: string; checks: VerifyCheck[]; command_output: string; hook_output: string; charged: boolean; charge_note: string })
  /** What became of the charged merge (verify.revert): a revert PR, a pushed revert, a report, a record — or why none. */
  | (T & { type: 'reverted'; merge_sha: string; mode: RevertMode; outcome: RevertOutcome; branch: string; pr: string | null; number: number | null; pushed_sha: string | null; detail: string })
  /** Reverted: the ticket is reopened and tried again on `branch` (a counted failure: one step up the ladder). */
  | (T & { type: 'reopened'; merge_sha: string; reason: string; branch: string; worktree: string; label: string })
  /** Verification ended without a re-attempt (the ticket stays done). */
  | (T & { type: 'verify_settled'; merge_sha: string; outcome: SettleOutcome; detail: string });

export type ScopeEvent =
  | (At & { type: 'paused'; kind: PauseKind; until: string | null; reason: string; limit_type: string | null })
  | (At & { type: 'resumed'; kind: PauseKind; reason: string; canary: boolean })
  | (At & { type: 'canary_passed'; ticket: string })
  | (At & { type: 'budget_reached'; daily_usd: number; spent_usd: number; reason: string });

export type DaemonEvent =
  | (At & { type: 'daemon_started'; pid: number; mode: string; tracker: string; max_concurrent: number })
  | (At & { type: 'daemon_stopped'; code: number })
  | (At & { type: 'draining'; running: number })
  | (At & { type: 'recovered'; interrupted: number })
  | (At & { type: 'orphan_killed'; ticket: string | null; pid: number; found_by: 'state' | 'environment' })
  | (At & { type: 'state_moved_aside'; moved_to: string; message: string })
  | (At & { type: 'state_rebuilt'; tickets: number; events: number; counted_failures: number; pause: PauseKind | null; file: string })
  | (At & { type: 'config_error'; error: string })
  | (At & { type: 'config_ok'; file: string })
  | (At & { type: 'poll_error'; error: string })
  | (At & { type: 'tracker_error'; error: string })
  /** The tracker refuses the poll itself (Linear: too complex): permanent, logged once per message. */
  | (At & { type: 'tracker_refused'; error: string })
  | (At & { type: 'sync_failed'; ticket: string; key: string; error: string })
  | (At & { type: 'ignored'; ticket: string; reason: string })
  /**
   * Someone swarm does not trust made a change that would be an operator's order (took failed_label or
   * pr.needs_human_label off, moved a Linear issue out of failed_state): not obeyed, the mark is put back.
   */
  | (At & { type: 'control_refused'; ticket: string; key: string; by: string; change: string; reason: string })
  | (At & { type: 'gc'; removed: string[]; kept: { path: string; reason: string }[]; transcripts_deleted: number; bytes_freed: number; errors: string[] })
  | (At & { type: 'server_started'; url: string })
  /** Fleet mode: the database became unreachable, or reachable again. */
  | (At & { type: 'fleet_db'; status: 'ok' | 'unreachable'; error: string | null })
  /** Fleet mode: this daemon's lease on a ticket is gone (another daemon holds it): its agent stops, it writes nothing more for it. */
  | (At & { type: 'lease_lost'; ticket: string; key: string })
  /**
   * Fleet mode: an external write for a ticket (`what`: git push, pull request, tracker update) was not
   * sent — `lost`: another daemon holds the lease now (this run is interrupted, not recorded here);
   * `unreachable`: the database cannot confirm the lease yet (publication waits for it).
   */
  | (At & { type: 'fenced'; ticket: string; key: string; what: string; verdict: 'lost' | 'unreachable' })
  /** Fleet mode: this daemon took a ticket over from a holder that stopped renewing its lease. */
  | (At & { type: 'taken_over'; ticket: string; key: string; from: string })
  /** This daemon joined the shared Claude account (`where`: its file, or the fleet database). */
  | (At & { type: 'account_joined'; account: string; from: string; where: string; others: number })
  /** This daemon's agent hit the account's usage limit: every daemon on the account waits until `until`. */
  /** `model_family`: a weekly limit scoped to one model family (seven_day_opus): only attempts on it wait. */
  | (At & { type: 'account_limit'; account: string; until: string; reason: string; model_family?: string })
  /** The account's one canary run after a limit: taken by this daemon, passed, or given back unproven. */
  | (At & { type: 'account_canary'; account: string; change: 'claimed' | 'passed' | 'released'; ticket: string })
  /** The shared account record could not be read or written (logged once per message). */
  | (At & { type: 'account_error'; error: string })
  /** An operator's message delivered into a running agent's session (the console or the API). */
  | (At & { type: 'operator_message'; ticket: string; key: string; attempt: number; text: string })
  /** The Claude account's usage window as an agent's stream reported it (sampled: on a change, or every few minutes). */
  | (At & { type: 'account_window'; status: string; utilization: number | null; limit_type: string | null; resets_at: string | null })
  /**
   * A request on a webhook route: what was received and what became of it (`result`; `event` is null when
   * the request was not verified, as its headers are then only the sender's word).
   */
  | (At & { type: 'webhook'; source: 'github' | 'linear'; event: string | null; action: string | null; delivery: string | null; result: string; status: number; detail: string })
  /** Webhooks of a source became healthy (a verified delivery) or went silent: the poll interval in force changes. */
  | (At & { type: 'webhooks_health'; source: 'github' | 'linear'; state: 'healthy' | 'silent'; poll_interval_ms: number; detail: string });

export type SwarmEvent = TicketEvent | ScopeEvent | DaemonEvent;
export type EventType = SwarmEvent['type'];
/** An event before the logger stamps its time. */
export type Unstamped<E extends SwarmEvent = SwarmEvent> = E extends SwarmEvent ? Omit<E, 'at'> & { at?: string } : never;

// A record, not a list: a ticket event type added to the union and missing here does not compile.
const TICKET_TYPE_RECORD: Record<TicketEvent['type'], true> = {
  claimed: true, pr_found: true, started: true, spawned: true, finished: true, pr_opened: true, retry_scheduled: true, waiting: true, held: true,
  ticket_failed: true, cancelled: true, released: true, hold_lifted: true, retry_requested: true, interrupted: true,
  followup_started: true, followup_pushed: true, needs_human: true, followups_resumed: true, commits_seen: true, pr_closed: true,
  verify_started: true, verified: true, verify_red: true, reverted: true, reopened: true, verify_settled: true,
};
const TICKET_TYPES: ReadonlySet<string> = new Set(Object.keys(TICKET_TYPE_RECORD));

export function isTicketEvent(ev: SwarmEvent): ev is TicketEvent {
  return TICKET_TYPES.has(ev.type);
}
