// What swarm sees of a pull request it handed off (PR follow-through): the head commit, its checks and
// commit statuses, reviews and comments, each comment and review marked trusted or not. Adapter-neutral:
// the GitHub code host implements it (GitHub mode, and Linear mode through the repository's GitHub PRs);
// a code host without pull requests (local: the handoff is a branch) has none. No policy here: which
// conclusion counts as failing, which review triggers a follow-up, is decided by the caller.

/** One check on the head commit: a check run, or a commit status context mapped onto the same shape. */
export interface PrCheck {
  /** Check run id, or the commit status id. */
  id: number;
  /** Check run name, or the status context (e.g. "ci/jenkins"). */
  name: string;
  /**
   * Check runs: queued | in_progress | completed | waiting | requested | pending (GitHub's values).
   * Statuses: `pending` while the state is pending, else `completed`.
   */
  status: string;
  /**
   * null until completed. Check runs: success | failure | neutral | cancelled | skipped | timed_out |
   * action_required (and whatever GitHub adds, e.g. stale / startup_failure). Statuses: the state —
   * success | failure | error.
   */
  conclusion: string | null;
  /** Check run output.summary (else output.title), or the status description; "" when none. Untrusted text. */
  summary: string;
  /** App slug of a check run ("github-actions" for Actions); "" for a status. */
  app: string;
  details_url: string | null;
  /**
   * Where it came from: the Checks API, the combined commit status, or — for a token that cannot read check
   * runs — a GitHub Actions job (`actions_job`, its log readable) or a workflow run without jobs (`actions_run`).
   */
  source: 'check_run' | 'status' | 'actions_job' | 'actions_run';
  /**
   * Whether the PR's base branch requires this check (branch protection or rulesets): true, false (it
   * requires others), or null/absent (it requires none, or the token cannot read which it requires).
   */
  required?: boolean | null;
}

export interface PrReview {
  id: number;
  /** Login; "ghost" for a deleted account. */
  author: string;
  /** The author has write access or more (or is the token's user): the same rule as for trigger labels. */
  trusted: boolean;
  /** APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED (submitted reviews only; PENDING drafts are left out). */
  state: string;
  /** The head commit the review was submitted on. */
  commit_id: string;
  submitted_at: string;
  /** Untrusted text. */
  body: string;
}

export interface PrComment {
  id: number;
  author: string;
  trusted: boolean;
  /** Untrusted text. */
  body: string;
  /** Review comments: the file; conversation comments: null. */
  path: string | null;
  /** Review comments: the line in `commit_id` (null for a comment on a whole file); conversation: null. */
  line: number | null;
  /** Review comments: the commit the line refers to; conversation: null. */
  commit_id: string | null;
  created_at: string;
  /** `review`: on a line of the diff (/pulls/{n}/comments); `conversation`: on the PR's timeline (/issues/{n}/comments). */
  kind: 'review' | 'conversation';
}

/** Who made the head commit, as the commit says (a push itself is not recorded on a commit). */
export interface PrHeadCommitter {
  /**
   * The GitHub account of the commit's committer — or of its author when GitHub itself committed
   * (`web-flow`: web edits, merge/"Update branch" buttons, suggested changes). null when GitHub links the
   * email to no account.
   */
  login: string | null;
  /** The git committer email of the head commit; null when GitHub sent none. */
  committer_email: string | null;
}

export interface PrObservation {
  number: number;
  state: 'open' | 'closed' | 'merged';
  head_sha: string;
  head_branch: string;
  /** Every request of this observe was answered 304 Not Modified and nothing derived changed (trust). */
  unchanged: boolean;
  /** Check runs on head_sha (the latest per app and name), then the combined status's contexts. Empty unless open. */
  checks: PrCheck[];
  /** Submitted reviews, oldest first. Empty unless open. */
  reviews: PrReview[];
  /** Review comments and conversation comments (swarm's own status comment left out), oldest first. Empty unless open. */
  comments: PrComment[];
  head_pushed_by: PrHeadCommitter;
  /**
   * Verification after merge: the merged PR's `merge_commit_sha` (the merge commit, the squashed commit, or
   * for a rebase the commit the base was updated to), its base branch, GraphQL node id, number of commits,
   * and native auto-merge as enabled on it (null: off). Absent where the code host does not say.
   */
  merge_commit_sha?: string | null;
  base_branch?: string;
  node_id?: string;
  commits?: number;
  auto_merge?: { merge_method: string } | null;
}

/** Follows the pull requests of one repository with conditional requests. */
export interface PrWatcher {
  /** The PR as it is now. Throws TrackerError ('not_found' for a PR that does not exist here). */
  observe(prNumber: number): Promise<PrObservation>;
  /**
   * Standing limits of what can be watched with this token, in words an operator can act on (e.g. check runs
   * unreadable by a fine-grained token). Empty when nothing is missing.
   */
  notes?(): string[];
  /**
   * The failing part of a check's log for the prompt: the last `maxBytes` bytes (UTF-8) at most, starting
   * at a line boundary. Only call it for a failure that will be acted on: it downloads the log.
   */
  logExcerpt(check: PrCheck, maxBytes: number): Promise<string>;
}
