// The persisted state. Versioned; every write replaces the file atomically.
import type { Classification, Outcome, RunResult, TokenUsage } from '../agent/types.js';
import type { PullRequest } from '../tracker/types.js';

/** 2: tickets carry rev/synced_rev/cleared instead of tracker_synced (migrated on load). */
export const STATE_VERSION = 3;

export type AttemptOutcome = Outcome | 'running' | 'interrupted';

export interface AttemptRecord {
  number: number; // 1-based, across all attempts (counted or not)
  model: string;
  outcome: AttemptOutcome;
  counted: boolean;
  reason: string;
  /** The agent's final text, trimmed (for previous_attempts). */
  summary: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number;
  cost_usd: number;
  tokens: TokenUsage;
  session_id: string | null;
  /** Agent process group leader, and its start time (from /proc) so a reused pid is never killed. */
  pid: number | null;
  pid_start: string | null;
  run_file: string;
}

export type TicketStatus =
  | 'claimed' // claimed, workspace/agent being prepared
  | 'running' // agent process alive
  | 'retry_wait' // waiting for backoff / pause before the next attempt
  | 'review' // PR exists; slot freed
  | 'failed' // attempts exhausted
  | 'released' // claim dropped (cancelled, operator release); may be picked up again
  | 'done' // its PR was merged or closed: nothing more to do (the worktree may be collected)
  | 'verifying' // its PR merged: the base branch is being verified (after_merge hook, checks, verify.command)
  | 'red'; // verification found the base red: charging, reverting and reopening under way (write-ahead steps)

export interface TicketState {
  key: string;
  identifier: string;
  title: string;
  url: string;
  branch: string;
  worktree: string;
  status: TicketStatus;
  attempts: AttemptRecord[];
  /** Counted failures so far (drives the model ladder and max_attempts). */
  failures: number;
  next_retry_at: string | null;
  retry_reason: string | null;
  pr: { number: number; url: string } | null;
  cost_usd: number;
  claimed_at: string | null;
  updated_at: string;
  /** Last activity of the running agent in words (for status). */
  last_event: string;
  /**
   * Write-ahead for the tracker: every lifecycle transition bumps `rev` in the same write that records
   * it; `synced_rev` is the last rev the tracker confirmed (every label/state/comment write answered).
   * The ticket is in sync exactly when the two are equal; until then every poll brings it in line.
   */
  rev: number;
  synced_rev: number;
  /** Status `released` after a retry: every one of swarm's marks is removed, not only the claim. */
  cleared: boolean;
  /** PR follow-through: follow-ups after the handoff; null before any PR was watched. */
  followup?: FollowupState | null;
  /** Verification after merge: the current or last verification, reverts so far (verify-record.ts). */
  verify?: import('./verify-record.js').VerifyState | null;
  /**
   * Released by an operator: not picked up again, although still labelled, until the label is applied
   * afresh (seen as gone from a poll's listing, then back) or `swarm retry`. `unlisted`: a poll saw the
   * ticket without its label (a note, not a transition).
   */
  hold?: { reason: string; since: string; unlisted: boolean } | null;
  /** When the tracker last took the ticket away (closed, unlabelled, excluded), until it is claimed again. */
  cancelled_at?: string | null;
  /** The last claim that followed such a cancellation: the next one waits agent.reclaim_cooldown from here. */
  reclaimed_at?: string | null;
}

/** A check as a follow-up prompt shows it (PR text: untrusted). */
export interface FollowupCheck {
  name: string;
  conclusion: string;
  summary: string;
  log_excerpt: string;
}

export interface FollowupComment {
  author: string;
  body: string;
  path: string | null;
  line: number | null;
}

/** The follow-up being prepared or run: what triggered it, kept so a restart runs the same one. */
export interface PendingFollowup {
  kind: 'ci' | 'review';
  round: number;
  head_sha: string;
  /** `<pr>:<head sha>:<ci|review>` — each trigger this follow-up answers. */
  triggers: string[];
  checks: FollowupCheck[];
  comments: FollowupComment[];
}

/** `diverged`: before an attempt, origin's branch had commits the local one lacked (a human rewrote it). */
export type FollowupStop = 'needs_human' | 'human_push' | 'merged' | 'closed' | 'diverged';

export interface FollowupState {
  /** Follow-ups started so far (rounds), bounded by pr.max_followups. */
  rounds: number;
  /**
   * Triggers already acted on, `<pr>:<head sha>:<ci|review>`: recorded in the same write that starts the
   * follow-up, so a kill -9 never leads to a second follow-up for one trigger.
   */
  handled: string[];
  /** Commits swarm's own runs made on the branch: a PR head outside them was pushed by someone else. */
  ours: string[];
  pending: PendingFollowup | null;
  /** Why follow-ups ended (null while they may still happen). */
  stopped: { why: FollowupStop; detail: string; at: string } | null;
  /** The PR as last watched, for `swarm status` and `swarm explain` (a note, not a transition). */
  seen: FollowupSeen | null;
}

export interface FollowupSeen {
  at: string;
  head_sha: string;
  /** "3 passed, 1 failing" */
  checks: string;
  /** What the watcher decided, in one sentence: why a follow-up did or did not happen. */
  decision: string;
  /** A check only a person can clear (stale, action_required): what waits for them. Absent otherwise. */
  human?: string;
}

/**
 * containment: something an agent may have planted (memory above the worktrees) stops dispatch until `swarm resume`.
 * `disk_full` is this daemon's own (never shared with a fleet): it lasts until swarm can write its files again.
 */
export type PauseKind = 'rate_limit' | 'auth' | 'breaker' | 'operator' | 'tracker' | 'containment' | 'disk_full';

export interface PauseState {
  kind: PauseKind;
  reason: string;
  since: string;
  /** null: until an operator runs `swarm resume`. */
  until: string | null;
  limit_type: string | null;
}

export interface DailyTotals {
  date: string; // YYYY-MM-DD (local)
  cost_usd: number;
  tokens: TokenUsage;
  attempts: Partial<Record<AttemptOutcome, number>>;
  prs: number;
}

export interface DaemonInfo {
  pid: number;
  started_at: string;
  heartbeat_at: string;
  draining: boolean;
  config_error: string | null;
  workflow: string;
  /** Copied from the config so `swarm status` need not load WORKFLOW.md. */
  max_attempts: number;
  max_concurrent: number;
  /** agent.models, so `swarm status` can name the model of a waiting ticket's next attempt. */
  models?: string[];
  /** pr.max_followups, for the follow-up rounds `swarm status` shows. */
  max_followups?: number;
  /** Whether agents run in swarm's sandbox (`on`) or with the operator's rights (`unconfined`, agent.sandbox: off). */
  sandbox?: 'on' | 'unconfined';
  /**
   * A tracker refusal that retrying cannot fix (Linear: the poll is too complex), while polls keep meeting
   * it: `swarm status` shows it until `until`, which every refused poll pushes forward.
   */
  tracker_error?: { message: string; since: string; until: string } | null;
  /**
   * Standing problems with the code host, each a sentence naming the fix (a permission the token lacks, a
   * repository that moved): refreshed every poll, shown by `swarm status`.
   */
  notes?: string[];
  /** Webhooks as the daemon judges them (healthy, silent…) and the poll and watch intervals in force. */
  webhooks?: import('./views.js').WebhookView | null;
  /**
   * The disk (or the file-size limit, or a quota) refused a write of swarm's own files: dispatch waits
   * until a write succeeds again (the ledger's fact, shown here). `swarm status` asks the daemon for it.
   */
  disk_full?: DiskFull | null;
}

export interface DiskFull {
  since: string;
  /** The file that could not be written. */
  file: string;
  error: string;
}

/**
 * The records state.json keeps: what must survive a restart, or what decisions read across restarts.
 * What the running daemon only knows while it runs (its configuration in force, errors, notes and views)
 * is not here: it is the loop's `LiveView`, and readers get it through `.swarm/daemon.json`.
 */
export interface SwarmState {
  version: number;
  tickets: Record<string, TicketState>;
  pause: PauseState | null;
  /** Canary gate after a pause: only one run until one gets past fast_fail. */
  canary: boolean;
  breaker: { recent: boolean[]; consecutive: number; level: number };
  daily: DailyTotals;
  /**
   * The base branch as the verifier last saw it: red or green, and why. Kept here (not in the view): a red
   * base holds dispatch (verify.hold_while_red), and a restart must not lift that hold.
   */
  base?: import('./verify-record.js').BaseView | null;
}

/** What the running daemon knows beyond its records, in its memory only (the report carries it to readers). */
export interface LiveView {
  daemon?: DaemonInfo | null;
  /** Fleet mode: the daemons and leases as this daemon last saw them (for `swarm status`); absent otherwise. */
  fleet?: import('./views.js').FleetView | null;
  /** The shared Claude account as this daemon last read it (for `swarm status` and `swarm explain`). */
  account?: AccountSeen | null;
  /** Lanes of the listed tickets and the ones waiting for their lane, at the last poll (for `swarm status`). */
  queue?: import('./views.js').QueueView | null;
  /**
   * No daemon runs: the configuration the last one ran with (its report, kept on disk), so `status` still
   * counts attempts against max_attempts and names the next model. Absent while a daemon runs (see `daemon`).
   */
  configured?: Pick<DaemonInfo, 'max_attempts' | 'max_concurrent' | 'models' | 'max_followups'> | null;
}

/** The records with the view of the daemon that owns them: what status, explain and the dashboard show. */
export type ViewedState = SwarmState & LiveView;

export interface AccountSeen {
  /** This daemon's id in the account's members. */
  self: string;
  /** The account file (no database), read again by `swarm status` for the freshest figures; null in fleet mode. */
  file: string | null;
  /** Where the account name came from: "agent.account", "ANTHROPIC_API_KEY", "login in …". */
  from: string;
  record: import('./account-record.js').AccountRecord;
}

/** What one attempt came to, as the lifecycle records it (orchestrator/attempt.ts runs it). */
export interface AttemptOutput {
  cls: Classification;
  pr: PullRequest | null;
  run: RunResult | null;
  /** Set when the gate refused the spawn: nothing ran; `cls` is meaningless. */
  held: string | null;
  /** Whether the gate let the agent start (an attempt record exists for it). */
  started: boolean;
  /** The branch's commits in the worktree after the run (ahead of base): swarm's own, for follow-through. */
  commits?: string[];
  /** A follow-up that pushed: the branch's new head on origin; null otherwise. */
  followupHead?: string | null;
  /** Before the run: origin's branch was rewritten under the ticket; nothing ran, a human is needed. */
  diverged?: Divergence | null;
  /** Dispatch must stop until an operator acts (something planted above the worktrees): the alert. */
  halt?: string | null;
}

/** A ticket branch origin rewrote under swarm (workspace/branch-guard.ts finds it): what a human is shown. */
export interface Divergence {
  branch: string;
  local_head: string;
  remote_head: string;
  /** Local commits origin lacks. */
  ahead: number;
  /** origin's commits the local branch lacks. */
  behind: number;
  backup_ref: string | null;
  /** One sentence for the ticket, `swarm explain` and the sticky comment: what diverged and what to do. */
  reason: string;
}
