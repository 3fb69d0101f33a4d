// The validated, defaulted configuration read from WORKFLOW.md front matter.
// Keys mirror the YAML exactly (snake_case) so an error path like `agent.max_concurrent` reads the same
// in the file, in the docs and in code. Durations are already converted to milliseconds.
import type { DailyHours } from './hours.js';
import type { PublishMode, SandboxConfig } from './sandbox.js';

export type { DailyHours, PublishMode, SandboxConfig };

export type TrackerKind = 'github' | 'linear' | 'local';
/** Linear workspace roles (User.admin / owner → admin, guest, app; anyone else a member). */
export type TrustedRole = 'admin' | 'member' | 'guest' | 'app';

export interface McpServer {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The keys every tracker kind reads (labels and swarm's marks, trust, the HTTP client). */
interface TrackerCommon {
  labels: string[];
  exclude_labels: string[];
  api_url: string | null; // null → the kind's public default
  running_label: string;
  review_label: string;
  failed_label: string;
  trusted_labelers_only: boolean;
  /** Space GitHub writes 1–3 s apart (GitHub's guidance against secondary limits); tests turn it off. */
  throttle_writes: boolean;
  /** Per-request timeout for the tracker's HTTP API in ms (`tracker.request_timeout`, default 30 s). */
  request_timeout: number;
  /**
   * GitHub: account ids (digits) or logins (resolved to ids once); Linear: user ids or emails, never names.
   * Non-empty: only tickets written by these users are worked (Linear: they are also trusted whatever their role).
   */
  allowed_authors: string[];
  /** Claim an issue that has open sub-issues (`sub_issues_summary`); false (default): it waits for them. */
  claim_parents?: boolean;
  /** Linear: the workspace roles whose label applications, edits and comments are trusted (default admin, member). */
  trusted_roles: TrustedRole[];
}

/**
 * How swarm reaches the GitHub repository: the tracker itself (kind github), or the code host whose pull
 * requests a Linear team's tickets hand off to (kind linear).
 */
export interface GithubAccess {
  repo: string | null; // owner/name; null → derived from `git remote get-url origin`
  token: string | null; // null → GITHUB_TOKEN, GH_TOKEN, `gh auth token`
  /**
   * GitHub App authentication: the App's id (`tracker.app_id`) and private key (`tracker.private_key`: a
   * path to the .pem file, or `$ENV` holding the PEM text); installation tokens are minted and refreshed.
   * null → a token (tracker.token, tracker.token_command, GITHUB_TOKEN, GH_TOKEN, `gh auth token`).
   */
  app_id?: string | null;
  private_key?: string | null;
  /** The App's installation on the repository; null → found with GET /repos/{owner}/{repo}/installation. */
  installation_id?: number | null;
  /** A shell command printing a token (or JSON {token, expires_at}); run again before expiry and after a 401. */
  token_command?: string | null;
}

/** Linear's own keys: the team, its workflow states, and the poll's pages. */
export interface LinearKeys {
  api_key: string | null;
  team: string | null;
  project: string | null;
  states: string[];
  running_state: string;
  review_state: string;
  failed_state: string | null;
  /** Issues per candidates page (`tracker.page_size`, 1–250; absent → 50). Linear prices a page by its size. */
  page_size?: number;
  /**
   * Linear: a full listing of the candidates this often (ms, `tracker.full_sweep`, default 10m); polls in
   * between ask only for issues updated since the last poll.
   */
  full_sweep: number;
}

/** The local tracker's own key. */
export interface LocalKeys {
  /** The folder of ticket files (`tracker.path`, default .swarm/tickets). */
  path: string;
}

/** Another kind's keys: absent here (reading one gives undefined; narrow on `kind` to use it). */
type Absent<T> = { [K in keyof T]?: undefined };

export interface GithubTrackerConfig extends TrackerCommon, GithubAccess, Absent<LinearKeys>, Absent<LocalKeys> {
  kind: 'github';
}

export interface LinearTrackerConfig extends TrackerCommon, GithubAccess, LinearKeys, Absent<LocalKeys> {
  kind: 'linear';
}

export interface LocalTrackerConfig extends TrackerCommon, LocalKeys, Absent<GithubAccess>, Absent<LinearKeys> {
  kind: 'local';
}

/** `tracker:` — one shape per `tracker.kind`; narrow on `kind` to read a kind's own keys. */
export type TrackerConfig = GithubTrackerConfig | LinearTrackerConfig | LocalTrackerConfig;

export interface Config {
  tracker: TrackerConfig;
  polling: { interval: number };
  workspace: { root: string; base_branch: string | null; branch_prefix: string };
  hooks: {
    after_create: string;
    before_run: string;
    after_run: string;
    before_remove: string;
    /** After a swarm PR merged: shell in a clean checkout of the merge commit (e.g. a deploy); failure is red. */
    after_merge?: string;
    timeout: number;
  };
  agent: {
    command: string;
    max_concurrent: number;
    max_attempts: number;
    models: string[];
    max_turns: number;
    permission_mode: string;
    allowed_tools: string[];
    disallowed_tools: string[];
    mcp_servers: Record<string, McpServer>;
    append_system_prompt: string;
    env: Record<string, string>;
    timeout: number;
    stall_timeout: number;
    fast_fail: number;
    retry_backoff: number;
    max_retry_backoff: number;
    max_cost_usd: number | null;
    /**
     * Bytes of transcript kept per attempt (`agent.transcript_max`): its head and tail, the cut marked.
     * An agent printing more than TRANSCRIPT_HARD_FACTOR times this is killed (infrastructure, not counted).
     */
    transcript_max: number;
    /**
     * Paid extra usage (subscription overage) may carry runs past a spent usage window (default true). false:
     * a run that goes on extra usage is stopped and the account waits for the window's reset.
     */
    use_extra_usage: boolean;
    /**
     * A ticket the tracker took away (closed, unlabelled) and gave back is claimed again at most once per
     * this long (ms; `agent.reclaim_cooldown`, default RECLAIM_COOLDOWN_MS, filled in by the schema):
     * closing and reopening cannot restart paid runs.
     */
    reclaim_cooldown?: number;
    /** The Claude account's name (shares its usage window and pause); null = derived from the agent's Claude configuration. */
    account: string | null;
    lanes: {
      urgent: { labels: string[] };
      background: { labels: string[]; hours: DailyHours | null; max_concurrent: number | null };
    };
    /** reserve: at or above this share of the usage window only urgent tickets start; null = off. */
    pacing: { reserve: number | null };
    /** The OS sandbox around the whole agent process (on by default; `off` = unconfined). */
    sandbox: SandboxConfig;
  };
  /** urgent_reserve_usd: the part of daily_usd only urgent tickets may spend (null = none). */
  /**
   * timezone: the IANA zone a budget day (today's totals, budget.daily_usd) runs in; null: the machine's
   * local zone, or UTC in fleet mode, so every daemon of a fleet starts a new day at the same instant.
   */
  budget: { daily_usd: number | null; urgent_reserve_usd: number | null; timezone: string | null };
  pr: {
    /** Who pushes: `swarm` (the agent commits; swarm scans and pushes) or `agent` (it pushes with its own token). */
    publish: PublishMode;
    auto_open: boolean;
    draft: boolean;
    /** How often open PRs are checked for CI results and reviews (ms). */
    watch_interval: number;
    /** Follow-up attempts per ticket after its PR is opened, before needs_human_label. */
    max_followups: number;
    needs_human_label: string;
    /** At most this many bytes of a failed check's log go into the follow-up prompt. */
    log_excerpt_bytes: number;
    /**
     * Which failing checks start a follow-up: `required` (default) — the base branch's required checks
     * (branch protection and rulesets), every check when the branch requires none or swarm cannot read
     * which it requires; `all` — every check.
     */
    followup_checks?: 'required' | 'all';
    /** GitHub's native auto-merge on swarm's PRs (GraphQL enablePullRequestAutoMerge) with this method; off: never. */
    auto_merge?: AutoMergeMethod;
  };
  /** Verification after merge (verify.*); absent in hand-built configs: verifyConfig() gives the defaults. */
  verify?: VerifyConfig;
  /**
   * tls: PEM certificate chain and private key files (relative to the repository root) → HTTPS.
   * insecure: serve plain HTTP beyond loopback anyway (something else protects it).
   */
  /** public_url: the console's address as others reach it (links in notifications, `swarm dashboard`); null = the local URL. */
  server: { port: number | null; host: string; tls: { cert: string; key: string } | null; insecure: boolean; public_url: string | null };
  notify: { webhook_url: string | null; routes: NotifyRoute[] };
  /**
   * Webhook deliveries (`webhooks:`): signing secrets (null: that source is off), the public base URL the
   * hooks point at, how recent a verified delivery must be to count as healthy, and the poll interval while
   * they are (all durations in ms).
   */
  webhooks: { github_secret: string | null; linear_secret: string | null; public_url: string | null; healthy_within: number; poll_interval: number };
  /** events_max_mb: rotate .swarm/events.jsonl past this size (one previous file kept); default 20. */
  /** lease_ttl (fleet mode): a claim whose holder stopped heartbeating this long may be taken over (ms). */
  state: { url: string | null; transcript_days: number; events_max_mb: number; lease_ttl: number };
}

export type AutoMergeMethod = 'off' | 'merge' | 'squash' | 'rebase';

/** verify.*: what happens after one of swarm's PRs merged (see src/config/verify.ts for each default). */
export interface VerifyConfig {
  /** Which of the merge commit's checks count: the base branch's required ones (all when unknown), all, or none. */
  checks: 'required' | 'all' | 'none';
  /** How long to wait for the merge commit's checks to finish (ms). */
  checks_timeout: number;
  /** Shell run after `wait` (e.g. a health check); non-zero is red. "" = none. */
  command: string;
  /** Stabilisation wait before the command (ms). */
  wait: number;
  /** Further tries of a failing command. */
  retries: number;
  /** What to do with a red merge: open a revert PR, push the revert, only report it, or only record it. */
  revert: 'pr' | 'push' | 'report' | 'off';
  revert_draft: boolean;
  /** Linear: the state a reverted ticket goes back to (null: the first of tracker.states). */
  reopen_state: string | null;
  reverted_label: string;
  /** Reverts per ticket before a red merge is left to a human. */
  max_reverts: number;
  /** While the base branch is red: stop auto-merge on swarm's other PRs (merge), and new tickets too (dispatch), or nothing (off). */
  hold_while_red: 'dispatch' | 'merge' | 'off';
}
/** Names a notification route listens for (config/notify.ts maps them onto logged events). */
export type RouteEvent = 'needs_human' | 'failed' | 'reverted' | 'paused' | 'resumed' | 'pr_opened' | 'followup' | 'stopped';

export interface NotifyRoute {
  events: RouteEvent[];
  url: string;
  format: 'slack' | 'discord' | 'json';
}

/** agent.reclaim_cooldown's default: one hour. */
export const RECLAIM_COOLDOWN_MS = 60 * 60_000;

/** What loading WORKFLOW.md yields: the config, the raw prompt template, and non-fatal warnings. */
export interface Workflow {
  path: string;
  config: Config;
  template: string;
  warnings: string[];
  /** Values of secrets read for swarm itself (tokens, keys, webhook URL): for redaction and env scrubbing. */
  secrets: string[];
  /** The text it was read from (kept as the last good copy by the daemon). */
  source?: string;
}

