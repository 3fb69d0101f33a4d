// The validated, defaulted configuration read from WORKFLOW.md front matter (SPEC §3).
// Keys mirror the YAML exactly (snake_case) so an error path like `agent.max_concurrent` reads the same
// in the file, in the docs and in code. Durations are already converted to milliseconds.
import type { DailyHours } from './hours.js';

export type { DailyHours };

export type TrackerKind = 'github' | 'linear' | 'local';

export interface McpServer {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface TrackerConfig {
  kind: TrackerKind;
  // shared
  labels: string[];
  exclude_labels: string[];
  api_url: string | null; // null → the kind's public default
  // github
  repo: string | null; // owner/name; null → derived from `git remote get-url origin`
  token: string | null; // null → GITHUB_TOKEN, GH_TOKEN, `gh auth token`
  running_label: string;
  review_label: string;
  failed_label: string;
  trusted_labelers_only: boolean;
  /** Space GitHub writes 1–3 s apart (GitHub's guidance against secondary limits); tests turn it off. */
  throttle_writes: boolean;
  /** Per-request timeout for the tracker's HTTP API in ms (`tracker.request_timeout`, default 30 s). */
  request_timeout: number;
  allowed_authors: string[];
  // linear
  api_key: string | null;
  team: string | null;
  project: string | null;
  states: string[];
  running_state: string;
  review_state: string;
  failed_state: string | null;
  /** Issues per candidates page (`tracker.page_size`, 1–250; absent → 50). Linear prices a page by its size. */
  page_size?: number;
  // local
  path: string;
}

export interface Config {
  tracker: TrackerConfig;
  polling: { interval: number };
  workspace: { root: string; base_branch: string | null; branch_prefix: string };
  hooks: {
    after_create: string;
    before_run: string;
    after_run: string;
    before_remove: string;
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
    /** The Claude account's name (shares its usage window and pause); null = derived from the agent's Claude configuration. */
    account: string | null;
    lanes: {
      urgent: { labels: string[] };
      background: { labels: string[]; hours: DailyHours | null; max_concurrent: number | null };
    };
    /** reserve: at or above this share of the usage window only urgent tickets start; null = off. */
    pacing: { reserve: number | null };
  };
  /** urgent_reserve_usd: the part of daily_usd only urgent tickets may spend (null = none). */
  budget: { daily_usd: number | null; urgent_reserve_usd: number | null };
  pr: {
    auto_open: boolean;
    draft: boolean;
    /** How often open PRs are checked for CI results and reviews (ms). */
    watch_interval: number;
    /** Follow-up attempts per ticket after its PR is opened, before needs_human_label. */
    max_followups: number;
    needs_human_label: string;
    /** At most this many bytes of a failed check's log go into the follow-up prompt. */
    log_excerpt_bytes: number;
  };
  server: { port: number | null; host: string };
  notify: { webhook_url: string | null };
  /** events_max_mb: rotate .swarm/events.jsonl past this size (one previous file kept); default 20. */
  /** lease_ttl (fleet mode): a claim whose holder stopped heartbeating this long may be taken over (ms). */
  state: { url: string | null; transcript_days: number; events_max_mb: number; lease_ttl: number };
}

/** What loading WORKFLOW.md yields: the config, the raw prompt template, and non-fatal warnings. */
export interface Workflow {
  path: string;
  config: Config;
  template: string;
  warnings: string[];
  /** Values of secrets read for swarm itself (tokens, keys, webhook URL): for redaction and env scrubbing. */
  secrets: string[];
}

