// Owns the one outcome table: a finished run + handoff facts → Outcome. Rows are tried in order,
// first match wins. `claude -p` reports API failures as subtype "success" with is_error true, so no row
// trusts the exit code or the subtype alone; structured fields are checked before text patterns.
import { parseResetTime } from './reset-time.js';
import { TRANSCRIPT_HARD_FACTOR } from './transcript-cap.js';
import { authKindOf, authReason, isAuthKind } from '../core/auth-kinds.js';
import { startupFailure } from './startup-failure.js';
import { familyName, limitFamily } from '../core/limits.js';
import type { Classification, HandoffFacts, Outcome, RunResult, StreamEvent, StreamSummary } from './types.js';

type ResultEvent = Extract<StreamEvent, { type: 'result' }>;

export interface ClassifyOptions {
  /** agent.fast_fail in ms: an exit sooner than this, before any model turn, is infrastructure. */
  fastFailMs: number;
  /** Clock (epoch ms), for reading "resets 8:46am"-style text. */
  now: number;
}

export interface RuleContext {
  run: RunResult;
  handoff: HandoffFacts;
  opts: ClassifyOptions;
  s: StreamSummary;
  r: ResultEvent | null;
  /** The run ended with a result that is neither is_error nor an error subtype. */
  clean: boolean;
  /** Error codes of the final failure (synthetic `error`/`api_error`, result `api_error`/`api_error_type`). */
  codes: Set<string>;
  /** Error codes seen on api_retry lines (transient, but auth ones are decisive). */
  retryCodes: Set<string>;
  /** HTTP status of the final API failure, if any. */
  status: number | null;
  /** Human error text: synthetic line, result text, errors[], stderr tail. Only read when !clean. */
  text: string;
}

/** Extra facts a rule found while matching. */
type Hit = Partial<Pick<Classification, 'resetAt' | 'limitType'>>;

export interface Rule {
  name: string;
  outcome: Outcome;
  counted: boolean;
  when(ctx: RuleContext): boolean | Hit;
  reason(ctx: RuleContext, hit: Hit): string;
}

const AUTH_TEXT = /Invalid API key|Not logged in|Please run \/login|OAuth token revoked|Login expired|Failed to authenticate|Credit balance is too low/i;
const BILLING_TEXT = /Credit balance is too low/i;
const hasAuthKind = (set: Set<string>): boolean => [...set].some(isAuthKind);
const RATE_CODES = ['usage_limit_reached', 'rate_limit_error', 'rate_limit'];
const RATE_TEXT = /hit your\s+(?:[\w-]+\s+){0,2}limit|usage limit reached\|/i;
const INFRA_CODES = ['overloaded', 'overloaded_error', 'server_error', 'api_error', 'connection_failed', 'connection_error', 'timeout', 'request_timeout'];
const INFRA_TEXT = /API Error: Repeated 529|Overloaded|Internal server error|Connection refused|Connection error|ECONNREFUSED|ECONNRESET|Request timed out|socket hang up/i;
const MODEL_TEXT = /issue with the selected model/i;
const AGENT_SUBTYPES = new Set(['error_max_turns', 'error_max_budget_usd', 'error_during_execution']);

const hasAny = (set: Set<string>, list: string[]): boolean => list.some((c) => set.has(c));
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
/** Collapse to one line and cut, so a reason stays one sentence. */
const snippet = (s: string, max = 200): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};
/** The CLI's error texts run to several sentences; a reason quotes only the first. */
const firstSentence = (s: string): string => s.split(/(?<=[.!?])\s+/)[0] ?? '';
const lastLine = (s: string): string => {
  const lines = s.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? snippet(lines[lines.length - 1]!) : '';
};
/** resetsAt is epoch seconds in every CLI seen; accept ms too. */
const epochMs = (v: number | null | undefined): number | null => (v == null ? null : v < 1e12 ? v * 1000 : v);
const exitWords = (run: RunResult): string =>
  run.signal ? `signal ${run.signal}` : run.exitCode === null ? 'no exit code' : `exit code ${run.exitCode}`;
/** The auth kind behind a failed login: the final failure's code first, then the retries', then the billing text. */
const authKind = (c: RuleContext): string | null =>
  authKindOf(c.codes, c.retryCodes) ?? (BILLING_TEXT.test(c.text) ? 'billing_error' : null);

/** A zeroed `error_during_execution` result written before any model turn: Claude Code refused to start. */
const zeroed = (c: RuleContext): boolean =>
  c.r !== null && c.r.subtype === 'error_during_execution' && c.r.numTurns === 0 && c.r.totalCostUsd === 0 && !c.s.sawModelTurn;

function refusal(c: RuleContext): string {
  const r = c.r!;
  const reason = r.startupFailureReason!;
  const detail = snippet(firstSentence(r.errors[0] ?? '') || lastLine(c.run.stderrTail));
  const file = r.invalidConfigPath ? ` (${r.invalidConfigPath})` : '';
  return `Claude Code refused to start (${reason})${file}${detail ? `: ${detail}` : ''} — ${startupFailure(reason).fix}`;
}

function rateHit(c: RuleContext): Hit {
  // Killed because the run went on paid extra usage (agent.use_extra_usage: false): the window's own figures.
  const w = c.run.killedFor === 'limit' ? c.s.window : null;
  if (w) return { resetAt: epochMs(w.resetsAt), limitType: w.rateLimitType ?? 'unknown' };
  const parsed = parseResetTime(c.text, new Date(c.opts.now));
  const usageLimit = c.s.rateLimit !== null || c.codes.has('usage_limit_reached') || parsed.limitType !== null;
  let limitType = c.s.rateLimit?.rateLimitType ?? null;
  if (!limitType && parsed.limitType && parsed.limitType !== 'unknown') limitType = parsed.limitType;
  if (!limitType) limitType = usageLimit ? 'unknown' : 'api_key';
  return { resetAt: epochMs(c.s.rateLimit?.resetsAt) ?? parsed.resetAt, limitType };
}

function agentErrorReason(r: ResultEvent): string {
  const first = r.errors[0] ? snippet(r.errors[0]) : '';
  switch (r.subtype) {
    case 'error_max_turns': {
      const n = /\((\d+)\)/.exec(first)?.[1] ?? String(r.numTurns);
      return `hit max_turns (${n}) before finishing`;
    }
    case 'error_max_budget_usd': {
      const amount = /\(\$?([\d.]+)\)/.exec(first)?.[1];
      return `spent the --max-budget-usd budget${amount ? ` ($${amount})` : ''} before finishing`;
    }
    case 'error_during_execution':
      return `Claude Code failed during execution${first ? `: ${first}` : ''}`;
    default: {
      const what = r.subtype === 'success' ? `API error${r.apiErrorStatus ? ` ${r.apiErrorStatus}` : ''}` : r.subtype;
      const detail = snippet(r.result) || first;
      return `the run ended with an error (${what})${detail ? `: ${detail}` : ''}`;
    }
  }
}

export const RULES: readonly Rule[] = [
  {
    name: 'cancelled', outcome: 'cancelled', counted: false,
    when: (c) => c.run.killedFor === 'cancel' || c.run.killedFor === 'shutdown',
    reason: (c) => (c.run.killedFor === 'shutdown' ? 'interrupted by shutdown' : 'cancelled: the ticket was closed, unlabelled or excluded while running'),
  },
  {
    name: 'pr_exists', outcome: 'pr_opened', counted: false,
    when: (c) => c.handoff.prExists,
    reason: () => 'PR exists',
  },
  {
    // A runaway printer is a broken run, not a hard ticket: never counted (transcript-cap.ts).
    name: 'output_cap', outcome: 'infra_failed', counted: false,
    when: (c) => c.run.killedFor === 'output',
    reason: (c) => `killed: the agent printed more than ${TRANSCRIPT_HARD_FACTOR} × agent.transcript_max (${mb(c.s.bytes)} so far); its transcript keeps the head and the tail`,
  },
  {
    // A start-up refusal a person must fix (a broken config file, an organization refusing the login): a
    // pause like a dead login, with the fix. Never counted: the ticket is not at fault.
    name: 'startup_refused', outcome: 'auth_failed', counted: false,
    when: (c) => c.r?.startupFailureReason != null && startupFailure(c.r.startupFailureReason).operator,
    reason: refusal,
  },
  {
    name: 'startup_failure', outcome: 'infra_failed', counted: false,
    when: (c) => c.r?.startupFailureReason != null,
    reason: refusal,
  },
  {
    name: 'auth', outcome: 'auth_failed', counted: false,
    when: (c) =>
      c.run.killedFor === 'auth' ||
      (!c.clean && (hasAuthKind(c.retryCodes) || hasAuthKind(c.codes) || c.status === 401 || c.status === 403 || AUTH_TEXT.test(c.text))),
    reason: (c) => authReason(authKind(c)),
  },
  {
    name: 'rate_limit', outcome: 'rate_limited', counted: false,
    when: (c) =>
      c.run.killedFor === 'limit' ||
      (!c.clean && (c.s.rateLimit !== null || hasAny(c.codes, RATE_CODES) || c.status === 429 || RATE_TEXT.test(c.text)))
        ? rateHit(c)
        : false,
    reason: (c, hit) => {
      const until = hit.resetAt ? `until ${new Date(hit.resetAt).toISOString()}` : 'with no reset time given';
      if (hit.limitType === 'api_key') return `the API rate-limited the key (429) ${until}`;
      const family = limitFamily(hit.limitType);
      const what = family ? `weekly ${familyName(family)} limit reached (${hit.limitType}) ${until}: only ${familyName(family)} attempts wait` : `usage limit reached (${hit.limitType ?? 'unknown'}) ${until}`;
      return c.run.killedFor === 'limit' ? `${what}; stopped: the run went on paid extra usage and agent.use_extra_usage is false` : what;
    },
  },
  {
    name: 'timeout', outcome: 'timed_out', counted: true,
    when: (c) => c.run.killedFor === 'timeout',
    reason: (c) => `killed after ${Math.round(c.run.durationMs / 1000)}s: agent.timeout reached`,
  },
  {
    name: 'stall', outcome: 'stalled', counted: true,
    when: (c) => c.run.killedFor === 'stall',
    reason: (c) => `killed: no output for agent.stall_timeout${c.s.lastActivity ? ` (last: ${c.s.lastActivity})` : ''}`,
  },
  {
    name: 'spawn_error', outcome: 'infra_failed', counted: false,
    when: (c) => c.run.spawnError !== null,
    reason: (c) => `could not start Claude Code (${snippet(c.run.spawnError ?? '')}): check agent.command`,
  },
  {
    name: 'model_not_found', outcome: 'infra_failed', counted: false,
    when: (c) =>
      !c.clean && (c.codes.has('model_not_found') || c.retryCodes.has('model_not_found') || c.status === 404 || MODEL_TEXT.test(c.text)),
    reason: (c) => `the API does not know the model${c.s.model ? ` ${c.s.model}` : ''} (404): check agent.models in WORKFLOW.md`,
  },
  {
    name: 'startup_error', outcome: 'infra_failed', counted: false,
    when: (c) => c.r === null && !c.s.sawModelTurn,
    reason: (c) => {
      const why = lastLine(c.run.stderrTail);
      return `Claude Code exited (${exitWords(c.run)}) before starting${why ? `: ${why}` : ' and printed nothing on stderr'}`;
    },
  },
  {
    // The zeroed result of a refusal the CLI gave no reason for (and "nothing to resume", which the caller
    // turns into a fresh start): before any model turn, so not the ticket's fault.
    name: 'zeroed_result', outcome: 'infra_failed', counted: false,
    when: zeroed,
    reason: (c) => {
      const detail = snippet(firstSentence(c.r!.errors[0] ?? '') || lastLine(c.run.stderrTail));
      return `Claude Code stopped before any model turn (${exitWords(c.run)})${detail ? `: ${detail}` : ''}`;
    },
  },
  {
    name: 'api_unavailable', outcome: 'infra_failed', counted: false,
    when: (c) =>
      !c.clean &&
      ((c.status !== null && c.status >= 500) || hasAny(c.codes, INFRA_CODES) || INFRA_TEXT.test(c.text) ||
        (c.r?.isError === true && c.r.terminalReason === 'api_error' && c.status === null)),
    reason: (c) => {
      const detail = snippet(firstSentence(c.s.syntheticError?.text || c.r?.result || lastLine(c.run.stderrTail)));
      return `the Anthropic API was unavailable${c.status ? ` (${c.status})` : ''}${detail ? `: ${detail}` : ''}`;
    },
  },
  {
    name: 'fast_fail', outcome: 'infra_failed', counted: false,
    when: (c) => c.run.durationMs < c.opts.fastFailMs && !c.s.sawModelTurn && !(c.r && AGENT_SUBTYPES.has(c.r.subtype)),
    reason: (c) => {
      const detail = snippet(c.r?.result || lastLine(c.run.stderrTail));
      return `Claude Code exited after ${(c.run.durationMs / 1000).toFixed(1)}s before any model turn (${exitWords(c.run)})${detail ? `: ${detail}` : ''}`;
    },
  },
  {
    name: 'no_result', outcome: 'infra_failed', counted: false,
    when: (c) => c.r === null,
    reason: (c) => `Claude Code ended without a result line (${exitWords(c.run)}): it crashed or was killed from outside`,
  },
  {
    name: 'agent_error', outcome: 'agent_error', counted: true,
    when: (c) => c.r !== null && !c.clean,
    reason: (c) => agentErrorReason(c.r!),
  },
  {
    name: 'auto_open', outcome: 'pr_auto_opened', counted: false,
    when: (c) => c.handoff.commitsAhead > 0 && c.handoff.canAutoOpen,
    reason: (c) => `committed ${c.handoff.commitsAhead} commit(s) without opening a PR: swarm pushes the branch and opens it`,
  },
  {
    name: 'commits_without_pr', outcome: 'no_changes', counted: true,
    when: (c) => c.handoff.commitsAhead > 0,
    reason: (c) => `committed ${c.handoff.commitsAhead} commit(s) but opened no PR, and pr.auto_open is off`,
  },
  {
    name: 'no_changes', outcome: 'no_changes', counted: true,
    when: () => true,
    reason: (c) => {
      const denied = c.r?.permissionDenials ?? 0;
      return `finished without commits or a PR${denied ? ` (${denied} tool call(s) denied by permission_mode)` : ''}`;
    },
  },
];

export const RULE_NAMES: readonly string[] = RULES.map((r) => r.name);

export function buildContext(run: RunResult, handoff: HandoffFacts, opts: ClassifyOptions): RuleContext {
  const s = run.summary;
  const r = s.result;
  const syn = s.syntheticError;
  const codes = new Set<string>();
  for (const c of [syn?.error, syn?.apiError, r?.apiError, r?.apiErrorType]) if (c) codes.add(c);
  const retryCodes = new Set(s.apiRetries.map((a) => a.error));
  const clean = r !== null && !r.isError && r.subtype === 'success';
  const text = [syn?.text, r?.isError ? r.result : '', ...(r?.errors ?? []), run.stderrTail].filter(Boolean).join('\n');
  return { run, handoff, opts, s, r, clean, codes, retryCodes, status: r?.apiErrorStatus ?? syn?.apiErrorStatus ?? null, text };
}

/** Classify a finished run. Pure: the same inputs always give the same answer. */
export function classify(run: RunResult, handoff: HandoffFacts, opts: ClassifyOptions): Classification {
  const ctx = buildContext(run, handoff, opts);
  for (const rule of RULES) {
    const m = rule.when(ctx);
    if (m === false) continue;
    const hit: Hit = m === true ? {} : m;
    return {
      outcome: rule.outcome, counted: rule.counted, reason: rule.reason(ctx, hit),
      resetAt: hit.resetAt ?? null, limitType: hit.limitType ?? null, rule: rule.name,
    };
  }
  throw new Error('unreachable: the last rule always matches');
}
