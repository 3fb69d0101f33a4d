// The tracker boundary: normalised tickets in, claims/releases/comments out. Adapters (github, linear,
// local) map their service onto this and do nothing else: no scheduling, no policy.

export interface TicketComment {
  author: string;
  body: string;
  created_at: string;
  /** Whether the author has write access (GitHub) / is a workspace member (Linear) / always (local). */
  trusted: boolean;
}

/**
 * Where the ticket stands for swarm, as its tracker shows it (set by the adapter, see phase.ts): `todo`
 * waiting to be picked up, `ours` carrying swarm's claim, `review` handed off, `failed` given up on,
 * `closed`, or `other` (a workflow state that is none of these).
 */
export type TicketPhase = 'todo' | 'ours' | 'review' | 'failed' | 'closed' | 'other';

export interface Ticket {
  /** Stable key used in state and on the command line: GitHub "12", Linear "ENG-12", local file stem. */
  key: string;
  /** Tracker-internal id (GitHub node number as string, Linear uuid, local path). */
  id: string;
  /** Human identifier: "#12", "ENG-12", "fix-login". */
  identifier: string;
  /** Issue number (GitHub, Linear's number); 0 when the tracker has none. */
  number: number;
  title: string;
  body: string;
  url: string;
  labels: string[];
  /** 0 urgent … 3 low, 4 none (Linear's scale; GitHub P0–P3 labels map onto it). */
  priority: number;
  /** Tracker state name: "open"/"closed" (GitHub, local) or the Linear workflow state name. */
  state: string;
  /** False once the ticket is closed / completed / canceled. */
  open: boolean;
  /** swarm's mark as the tracker shows it: GitHub and local by swarm's labels, Linear by its workflow state. */
  phase: TicketPhase;
  created_at: string;
  updated_at: string;
  /** Identifiers of blockers that are still open, resolved by the adapter (candidates() and fetch() alike). */
  blockers: string[];
  /** Tracker-suggested branch name (Linear's branchName), used under branch_prefix when present. */
  branch_hint: string | null;
  /**
   * Sub-issues (GitHub's `sub_issues_summary`): how many there are and how many are still open. A parent
   * with open sub-issues waits for them unless tracker.claim_parents is true. Absent: none, or not known.
   */
  sub_issues?: { open: number; total: number } | null;
  /** What the adapter read only in part (capped references, comments), one sentence each, for `swarm explain`. */
  notes?: string[];
}

export interface PullRequest {
  number: number;
  url: string;
  state: 'open' | 'closed' | 'merged';
  branch: string;
}

/** What a poll saw: all open tickets carrying the trigger labels (eligibility is decided by policy). */
export interface CandidateList {
  tickets: Ticket[];
  /** True when the tracker answered "unchanged" (304) and `tickets` is the cached list. */
  unchanged: boolean;
}

/** Sticky status comment content; adapters find/edit the one comment carrying STICKY_MARKER. */
export const STICKY_MARKER = '<!-- swarm:status -->';

/** Why a ticket the tracker returned may not be trusted (trusted_labelers_only / allowed_authors). */
export interface TrustVerdict {
  trusted: boolean;
  reason: string;
}

/** Who made a change to a ticket, and whether they may direct swarm (write access, a trusted role). */
export interface ChangeActor {
  /** "@triager", "Mallory <m@x.io>", "the GitHub integration". */
  by: string;
  trusted: boolean;
  /** The role that decided it, in words: "admin", "triage permission", "a guest". */
  as: string;
}

/** A change swarm reads as an operator's order: a label of swarm's taken off, or (Linear) the failed state left. */
export type OperatorChange = { removedLabel: string } | { leftState: string };

/**
 * The mark swarm puts on a ticket: `running` while it holds a claim (running label / Linear running_state),
 * `review` once the work is handed off, `failed` when it gave up. `released`: the claim is dropped
 * (cancelled, `swarm release`) and nothing else is touched, so a human's own move stays. `cleared`: every
 * mark of swarm's is removed (failed label, Linear's failed/review state) so the ticket is picked up
 * again from scratch (`swarm retry`).
 */
export type Mark = 'running' | 'review' | 'failed' | 'released' | 'cleared';

/** What `Tracker.show()` makes the ticket look like. */
export interface Appearance {
  mark: Mark;
  /** PR follow-through stopped for a human: pr.needs_human_label shown (removed otherwise, when present). */
  needsHuman?: boolean;
  /** Content of the sticky status comment; null leaves the comment alone. */
  sticky: string | null;
  /** The pull request to link to the ticket (Linear attaches it; GitHub links through "Closes #n"). */
  pr: PullRequest | null;
  /**
   * Its merge was reverted: reopen the ticket when it is closed (GitHub: the issue; Linear: verify.reopen_state,
   * default the first of tracker.states). Only until the tracker confirmed it once, so it is never reopened twice.
   */
  reopen?: boolean;
  /** One of its merges was reverted: verify.reverted_label is shown. */
  reverted?: boolean;
  /**
   * Where the ticket stands and, after an attempt that failed or changed nothing, the agent's own last words
   * (its final summary). The local tracker writes it into the ticket file; hosted trackers keep to the sticky.
   */
  note?: { status: string; last_words: string | null };
}

export interface Tracker {
  readonly kind: 'github' | 'linear' | 'local';
  /** One listing per poll: open tickets with all trigger labels, including ones we are running. */
  candidates(): Promise<CandidateList>;
  /** Fresh read of one ticket (just before claiming, and for explain). null if it does not exist. */
  fetch(key: string): Promise<Ticket | null>;
  /** Comments for the prompt (trusted flag set; the caller filters). */
  comments(ticket: Ticket): Promise<TicketComment[]>;
  /**
   * Whether the ticket's text may reach an agent: the trigger label's newest application is by a trusted
   * user, and nobody untrusted changed the title or description since (tracker.trusted_labelers_only,
   * tracker.allowed_authors; Linear: tracker.trusted_roles). Asked at every claim, retry and follow-up.
   */
  trust(ticket: Ticket): Promise<TrustVerdict>;
  /**
   * Who made `change` (the newest such change), judged like an editor (untrusted when there is no record of
   * who did it). null: the tracker does not judge it (no trust restrictions configured) and the change
   * counts. Absent: every change counts (local ticket files are the operator's own).
   */
  changedBy?(ticket: Ticket, change: OperatorChange): Promise<ChangeActor | null>;
  /**
   * Make the ticket look the way `appearance` says — swarm's labels or Linear state, the one sticky comment,
   * the PR link — writing only what differs from `now`, the ticket as the tracker reported it moments ago
   * (this poll's listing, or a fetch just made). Idempotent: calling it again after a crash, a timeout or a
   * partial failure converges on the same picture and never duplicates a comment. Throws TrackerError
   * 'not_found' when the ticket is gone from this tracker (deleted, transferred).
   */
  show(now: Ticket, appearance: Appearance): Promise<void>;
  /** Tracker-level problems swarm should surface (e.g. rate limit), cleared on success. */
  rateLimit(): { remaining: number | null; resetAt: string | null };
  /** Requests sent so far (for /metrics and benches). */
  requestCount(): number;
  /** Adopt a reloaded configuration (labels, states…) without rebuilding the client. */
  setConfig?(config: import('../config/types.js').Config): void;
}

export interface OpenPullRequest {
  branch: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  /** The ticket it is for, when `branch` is not that ticket's own branch (a revert PR); the fleet fence checks its lease. */
  key?: string;
}

/** Where pull requests live: GitHub for github and linear trackers; none for local (handoff = branch). */
export interface CodeHost {
  readonly kind: 'github' | 'none';
  /** The PR whose head is `branch` (open preferred, else the newest closed/merged), or null. */
  findPullRequest(branch: string): Promise<PullRequest | null>;
  /** Open a PR (branch already pushed); an ambiguous failure is resolved by looking the PR up, never by a second POST. */
  openPullRequest(req: OpenPullRequest): Promise<PullRequest>;
  /** PR follow-through: checks, reviews and comments of a PR (GitHub); absent where there are no PRs (local). */
  readonly watch?: import('./pr-watch.js').PrWatcher;
  /** Verification after merge: the base branch's head and checks, native auto-merge (GitHub); absent otherwise. */
  readonly merges?: import('./merge-host.js').MergeHost;
  /**
   * Standing problems with the code host an operator should know of — a permission the token lacks, a
   * repository that moved — each one sentence naming the fix (`swarm status`, `swarm doctor`).
   */
  notes?(): string[];
}


