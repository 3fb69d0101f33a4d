// Verification after merge, as recorded: a ticket's current (or last) verification with what it saw, the
// charge, the revert and how it ended; reverts so far; the evidence a re-attempt's prompt carries; and the
// base branch as the daemon last saw it. Read leniently from untrusted JSON (state.json, a fleet row): a
// malformed part reads as its default, never discarding the ticket.
export type RedReason = 'hook' | 'checks' | 'command';
export type RevertMode = 'pr' | 'push' | 'report' | 'off';
/**
 * opened / pushed: reverted (a PR, or a push to the base); reported / recorded: verify.revert report / off;
 * conflict: git could not revert cleanly; refused: pushing to a protected base; not_ours: the commits are
 * not the ones swarm's PR merged; max_reverts: verify.max_reverts reached; failed: something else went wrong.
 */
export type RevertOutcome = 'opened' | 'pushed' | 'reported' | 'recorded' | 'conflict' | 'refused' | 'not_ours' | 'max_reverts' | 'failed';
/** How a verification that did not end green (or reverted and reopened) ended. */
export type SettleOutcome = 'reported' | 'recorded' | 'not_charged' | 'unverified' | 'needs_human';
/** How a verification ended: green, red (charged or not), or unverified (it could not be verified). */
export type VerifyResult = 'green' | 'red' | 'unverified';
export type VerifyPhase = 'verifying' | 'green' | 'red' | 'reverted' | 'reopened' | 'settled';

/** A check as the evidence shows it (CI text: untrusted). */
export interface VerifyCheck {
  name: string;
  conclusion: string;
  log_excerpt: string;
}

export interface RevertRecord {
  mode: RevertMode;
  outcome: RevertOutcome;
  branch: string;
  pr_number: number | null;
  pr_url: string | null;
  pushed_sha: string | null;
  detail: string;
}

export interface VerifyRun {
  merge_sha: string;
  pr_number: number;
  pr_url: string;
  base: string;
  /** The PR's head when it merged, and how many commits it had (a rebase merge is reverted as a range). */
  head_sha: string;
  commits: number;
  started_at: string;
  phase: VerifyPhase;
  reason: RedReason | null;
  /** What verification saw, in one sentence (explain, status, the sticky comment). */
  detail: string;
  checks: VerifyCheck[];
  command_output: string;
  hook_output: string;
  /** This merge was charged with the red base (only then is it reverted). */
  charged: boolean;
  charge_note: string;
  revert: RevertRecord | null;
  outcome: SettleOutcome | null;
  ended_at: string | null;
}

/** The template's `verification` (a re-attempt after a revert): empty strings and lists otherwise. */
export interface VerificationEvidence {
  merge_sha: string;
  revert_pr: string;
  checks: VerifyCheck[];
  command_output: string;
}

export interface VerifyHistory {
  merge_sha: string;
  result: VerifyResult;
  at: string;
  reverted: boolean;
}

export interface VerifyState {
  current: VerifyRun | null;
  /** Reverts of this ticket's merges so far (bounded by verify.max_reverts). */
  reverts: number;
  /** Every verification that ended (newest last, capped). */
  history: VerifyHistory[];
  /** What the next attempt's prompt shows (set when the ticket is reopened after a revert). */
  evidence: VerificationEvidence | null;
  /** The tracker reopens the ticket until it confirmed a revision at least this one (0: nothing to reopen). */
  reopen_rev: number;
}

export interface BaseView {
  branch: string;
  head_sha: string | null;
  red: boolean;
  /** When it turned red, the commit it was red at, and what made it red. */
  since: string | null;
  red_sha: string | null;
  red_by: RedReason | null;
  /** One sentence: why it is red (or that it is green), and who was charged. */
  reason: string;
  /** The ticket charged with it, or null (nothing of swarm's). */
  charged: string | null;
  /** The newest commit known green. */
  green_sha: string | null;
  checked_at: string | null;
  /** verify.hold_while_red as configured when this was written (for status, which reads no WORKFLOW.md). */
  hold?: 'dispatch' | 'merge' | 'off';
}

export const VERIFY_HISTORY_MAX = 20;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : 0);
const intOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const oneOf = <T extends string>(v: unknown, values: readonly T[]): T | null => (values.includes(v as T) ? (v as T) : null);

const RESULTS: readonly VerifyResult[] = ['green', 'red', 'unverified'];
const PHASES: readonly VerifyPhase[] = ['verifying', 'green', 'red', 'reverted', 'reopened', 'settled'];
const REASONS: readonly RedReason[] = ['hook', 'checks', 'command'];
const MODES: readonly RevertMode[] = ['pr', 'push', 'report', 'off'];
const OUTCOMES: readonly RevertOutcome[] = ['opened', 'pushed', 'reported', 'recorded', 'conflict', 'refused', 'not_ours', 'max_reverts', 'failed'];
const SETTLED: readonly SettleOutcome[] = ['reported', 'recorded', 'not_charged', 'unverified', 'needs_human'];

export function emptyVerify(): VerifyState {
  return { current: null, reverts: 0, history: [], evidence: null, reopen_rev: 0 };
}

export function parseChecks(v: unknown): VerifyCheck[] {
  return (Array.isArray(v) ? v : []).filter(isObj).map((c) => ({ name: str(c.name), conclusion: str(c.conclusion), log_excerpt: str(c.log_excerpt) }));
}

export function parseVerify(raw: unknown): VerifyState | null {
  if (!isObj(raw)) return null;
  const e = isObj(raw.evidence) ? raw.evidence : null;
  return {
    current: parseRun(raw.current),
    reverts: int(raw.reverts),
    history: (Array.isArray(raw.history) ? raw.history : []).filter(isObj).map((h) => ({
      merge_sha: str(h.merge_sha), result: oneOf(h.result, RESULTS) ?? 'red', at: str(h.at), reverted: h.reverted === true,
    })).slice(-VERIFY_HISTORY_MAX),
    evidence: e ? { merge_sha: str(e.merge_sha), revert_pr: str(e.revert_pr), checks: parseChecks(e.checks), command_output: str(e.command_output) } : null,
    reopen_rev: int(raw.reopen_rev),
  };
}

function parseRun(raw: unknown): VerifyRun | null {
  if (!isObj(raw) || typeof raw.merge_sha !== 'string') return null;
  const r = isObj(raw.revert) ? raw.revert : null;
  return {
    merge_sha: raw.merge_sha, pr_number: int(raw.pr_number), pr_url: str(raw.pr_url), base: str(raw.base), head_sha: str(raw.head_sha), commits: int(raw.commits), started_at: str(raw.started_at),
    phase: oneOf(raw.phase, PHASES) ?? 'verifying', reason: oneOf(raw.reason, REASONS), detail: str(raw.detail), checks: parseChecks(raw.checks),
    command_output: str(raw.command_output), hook_output: str(raw.hook_output), charged: raw.charged === true, charge_note: str(raw.charge_note),
    revert: r ? {
      mode: oneOf(r.mode, MODES) ?? 'pr', outcome: oneOf(r.outcome, OUTCOMES) ?? 'failed', branch: str(r.branch), pr_number: intOrNull(r.pr_number),
      pr_url: strOrNull(r.pr_url), pushed_sha: strOrNull(r.pushed_sha), detail: str(r.detail),
    } : null,
    outcome: oneOf(raw.outcome, SETTLED), ended_at: strOrNull(raw.ended_at),
  };
}

export function parseBase(raw: unknown): BaseView | null {
  if (!isObj(raw) || typeof raw.branch !== 'string') return null;
  return {
    branch: raw.branch, head_sha: strOrNull(raw.head_sha), red: raw.red === true, since: strOrNull(raw.since), red_sha: strOrNull(raw.red_sha),
    red_by: oneOf(raw.red_by, REASONS), reason: str(raw.reason), charged: strOrNull(raw.charged), green_sha: strOrNull(raw.green_sha), checked_at: strOrNull(raw.checked_at),
    ...(raw.hold === 'dispatch' || raw.hold === 'merge' || raw.hold === 'off' ? { hold: raw.hold } : {}),
  };
}

export const isRevertOutcome = (v: unknown): v is RevertOutcome => OUTCOMES.includes(v as RevertOutcome);
export const isSettleOutcome = (v: unknown): v is SettleOutcome => SETTLED.includes(v as SettleOutcome);
export const isRedReason = (v: unknown): v is RedReason => REASONS.includes(v as RedReason);
export const isRevertMode = (v: unknown): v is RevertMode => MODES.includes(v as RevertMode);
