// Types shared by the stream parser, the runner and the classifier.

/** Typed view of one stream-json line. Unknown types are kept as `other` (never an error). */
export type StreamEvent =
  | { type: 'init'; sessionId: string; model: string; version: string; raw: Record<string, unknown> }
  | { type: 'assistant'; model: string; text: string; toolUses: { name: string; input: unknown }[]; synthetic: boolean;
      /** Synthetic error lines: top-level `error`, `api_error_status`, `api_error`. */
      error: string | null; apiErrorStatus: number | null; apiError: string | null; resetsAt: number | null;
      raw: Record<string, unknown> }
  | { type: 'user'; toolResults: { content: string; isError: boolean }[]; raw: Record<string, unknown> }
  | { type: 'api_retry'; attempt: number; retryDelayMs: number; errorStatus: number | null; error: string; raw: Record<string, unknown> }
  | { type: 'rate_limit'; status: string; resetsAt: number | null; rateLimitType: string | null;
      /** Share of the usage window used (a fraction), from the event or its own window's entry; null when absent. */
      utilization: number | null;
      /** Paid extra usage: its status (allowed | allowed_warning | rejected), and whether this answer is served from it. */
      overageStatus: string | null; isUsingOverage: boolean; raw: Record<string, unknown> }
  | { type: 'result'; subtype: string; isError: boolean; result: string; numTurns: number; durationMs: number;
      totalCostUsd: number; usage: TokenUsage; modelUsage: Record<string, { costUSD: number } & Partial<TokenUsage>>;
      terminalReason: string | null; apiErrorStatus: number | null; apiErrorType: string | null; apiError: string | null;
      errors: string[]; permissionDenials: number; sessionId: string;
      /** Why Claude Code refused to start (the zeroed result it writes before exiting), and the config file it names. */
      startupFailureReason: string | null; invalidConfigPath: string | null; raw: Record<string, unknown> }
  | { type: 'other'; name: string; raw: Record<string, unknown> };

export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
}

/** Everything the classifier needs from a stream, accumulated line by line in O(1) memory. */
export interface StreamSummary {
  sessionId: string | null;
  model: string | null;
  /** A real (non-synthetic) assistant message was seen: the model took at least one turn. */
  sawModelTurn: boolean;
  lines: number;
  bytes: number;
  badLines: number;
  /** Last text said by the assistant (trimmed to a few KB): the agent's final word for retries. */
  lastText: string;
  apiRetries: { errorStatus: number | null; error: string }[];
  /** Newest rate_limit_event whose status was "rejected" and that was not served from paid extra usage. */
  rateLimit: { resetsAt: number | null; rateLimitType: string | null } | null;
  /**
   * Newest rate_limit_event of any status: the account's usage-window figures (resetsAt in epoch seconds).
   * `overage`: the answer was served from paid extra usage (`isUsingOverage`): the window is spent, the run goes on.
   */
  window: { status: string; utilization: number | null; rateLimitType: string | null; resetsAt: number | null; overage?: boolean } | null;
  /** The synthetic assistant error line, if any. */
  syntheticError: { error: string | null; apiErrorStatus: number | null; apiError: string | null; text: string } | null;
  result: Extract<StreamEvent, { type: 'result' }> | null;
  /** Last event in words, for `swarm status` ("Bash: npm test", "thinking", "result"). */
  lastActivity: string;
}

/**
 * Why the runner killed the process (null: it exited by itself). `limit`: the run went on paid extra usage
 * and agent.use_extra_usage is false. `output`: it printed past the transcript's hard cap.
 */
export type KillReason = 'timeout' | 'stall' | 'cancel' | 'auth' | 'shutdown' | 'limit' | 'output';

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  killedFor: KillReason | null;
  durationMs: number;
  summary: StreamSummary;
  /** Last ~4 KB of stderr (startup errors are printed there, with no result line). */
  stderrTail: string;
  /** The command could not be started at all (ENOENT, EACCES). */
  spawnError: string | null;
  /** The gate refused to start it (why); nothing was spawned. */
  held: string | null;
}

export type Outcome =
  | 'pr_opened'
  | 'pr_auto_opened'
  | 'rate_limited'
  | 'auth_failed'
  | 'infra_failed'
  | 'timed_out'
  | 'stalled'
  | 'no_changes'
  | 'agent_error'
  | 'cancelled';

/** Facts gathered after the run, from the code host and git (never the agent's word). */
export interface HandoffFacts {
  /** A PR for the branch exists (found through the API). */
  prExists: boolean;
  /** Commits on the branch ahead of the base. */
  commitsAhead: number;
  /** pr.auto_open is on (or the tracker hands off by branch): commits ahead may be handed off by swarm. */
  canAutoOpen: boolean;
}

export interface Classification {
  outcome: Outcome;
  /** Counts as an attempt (raises the model, moves toward max_attempts). */
  counted: boolean;
  /** One sentence for status, the sticky comment and the retry prompt. */
  reason: string;
  /** rate_limited: when the limit resets (epoch ms); null if unknown. */
  resetAt: number | null;
  /** rate_limited: five_hour | seven_day | api_key | … */
  limitType: string | null;
  /** Which table row matched (for tests and `swarm explain`). */
  rule: string;
  /** A counted failure no retry can fix (swarm refused to publish a secret): the ticket fails at once. */
  final?: boolean;
}

/** A process to start: what the runner spawns, and what a transform (supervisor, sandbox) rewrites. */
export interface SpawnSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Everything the runner needs to start one attempt. argv is built by args.ts from config. */
export interface RunRequest {
  command: string;
  args: string[];
  cwd: string;
  /** The complete environment for the child (already scrubbed of swarm's secrets). */
  env: Record<string, string>;
  /** Written to stdin, then stdin is closed (with an inbox: the first stream-json message). Never on argv. */
  prompt: string;
  /**
   * Operator messages into the live session (args must carry `--input-format stream-json
   * --replay-user-messages`): the prompt goes in as the first message and stdin stays open until the
   * inbox closes it (see inbox.ts).
   */
  inbox?: RunInbox;
  /** Raw stream is appended here (.swarm/runs/<ticket>/<attempt>.jsonl); directory created if missing. */
  runFile: string;
  /**
   * agent.transcript_max in bytes: the run file keeps this much (head and tail, the cut marked), and an agent
   * printing more than TRANSCRIPT_HARD_FACTOR times it is killed (`killedFor: 'output'`). Absent: no cap.
   */
  transcriptMax?: number | null;
  /** Secret values masked in the run file (complete lines are redacted before they are written). */
  secrets?: readonly string[];
  timeoutMs: number;
  stallTimeoutMs: number;
  /** TERM → KILL grace (default 10 s). */
  killGraceMs?: number;
  /** Called once the process is spawned (pid = process group id, pidStart from /proc). */
  onSpawn?: (pid: number, pidStart: string | null) => void;
  /** Called for each parsed event (status "last event", early kill decisions live in the caller). */
  onEvent?: (ev: StreamEvent, summary: StreamSummary) => void;
  /** Abort → kill the group with the given reason (cancel, shutdown, auth). */
  signal?: AbortSignal;
  /**
   * Asked in the same synchronous step that spawns the process, after everything else is ready: null to
   * start, or the reason not to (a pause began meanwhile). The caller records the attempt's start inside it.
   */
  gate?: () => string | null;
  /**
   * Run the agent under the supervisor (lifeline.ts), which stops its group when this daemon dies or
   * freezes. Absent: the agent is spawned directly (in-process tests).
   */
  lifeline?: Lifeline;
}

/** How the agent's supervisor (lifeline.ts) watches the daemon: silence past graceMs stops the agent. */
export interface Lifeline {
  /** How the supervisor is run: perl with swarm-supervisor.pl where perl is found, else node with supervisor.js. */
  program?: string[];
  /** Silence from the daemon longer than this (ms) means it is frozen: the agent is stopped. */
  graceMs: number;
  /** How long the agent's group has between TERM and KILL when the supervisor stops it (ms). */
  killGraceMs: number;
  /** How often the daemon writes its heartbeat byte (ms); well under graceMs. */
  beatMs: number;
}

/** What the runner does with an operator's inbox (inbox.ts): open it on the agent's stdin, show it the stream, close it. */
export interface RunInbox {
  open(stdin: import('node:stream').Writable, prompt: string): void;
  observe(ev: StreamEvent): void;
  close(): void;
}
