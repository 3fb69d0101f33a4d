// The verification events of `.swarm/events.jsonl` (part of the union in events.ts) and their decoders, for
// the rebuild of a lost state.json: one
// per type in a Record (a verification event added to the union without one does not compile), each
// lenient — what a torn or older line lacks gets its default — except the merge commit every one of them
// is about: a line without a well-formed one is unusable and skipped (folding it would end the ticket's
// real verification run for a merge that does not exist).
import { isRedReason, isRevertMode, isRevertOutcome, isSettleOutcome, parseChecks, type RedReason, type RevertMode, type RevertOutcome, type SettleOutcome, type VerifyCheck } from './verify-record.js';
import { num, str } from '../util/json.js';

/** A ticket event's head: when, which ticket (as events.ts's ticket events carry it). */
interface T {
  at: string;
  ticket: string;
  key: string;
}

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

type Raw = Record<string, unknown>;
type Head = { at: string; ticket: string; key: string };

const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

const DECODERS: { [K in VerifyEvent['type']]: (r: Raw, t: Head) => Extract<VerifyEvent, { type: K }> | null } = {
  verify_started: (r, t) => (str(r.merge_sha) ? { ...t, type: 'verify_started', pr: str(r.pr), number: num(r.number), merge_sha: str(r.merge_sha), base: str(r.base), head_sha: str(r.head_sha), commits: num(r.commits) } : null),
  verified: (r, t) => ({ ...t, type: 'verified', merge_sha: str(r.merge_sha), detail: str(r.detail) }),
  verify_red: (r, t) => ({
    ...t, type: 'verify_red', merge_sha: str(r.merge_sha), reason: isRedReason(r.reason) ? r.reason : 'checks', detail: str(r.detail), checks: parseChecks(r.checks),
    command_output: str(r.command_output), hook_output: str(r.hook_output), charged: r.charged === true, charge_note: str(r.charge_note),
  }),
  reverted: (r, t) => ({
    ...t, type: 'reverted', merge_sha: str(r.merge_sha), mode: isRevertMode(r.mode) ? r.mode : 'pr', outcome: isRevertOutcome(r.outcome) ? r.outcome : 'failed',
    branch: str(r.branch), pr: strOrNull(r.pr), number: typeof r.number === 'number' ? r.number : null, pushed_sha: strOrNull(r.pushed_sha), detail: str(r.detail),
  }),
  reopened: (r, t) => (str(r.branch) ? { ...t, type: 'reopened', merge_sha: str(r.merge_sha), reason: str(r.reason), branch: str(r.branch), worktree: str(r.worktree), label: str(r.label) } : null),
  verify_settled: (r, t) => ({ ...t, type: 'verify_settled', merge_sha: str(r.merge_sha), outcome: isSettleOutcome(r.outcome) ? r.outcome : 'unverified', detail: str(r.detail) }),
};

const SHA = /^[0-9a-f]{40,64}$/;

/** A logged verification event (null: not one, or unusable). */
export function decodeVerifyEvent(r: Raw & { type: string }, t: Head | null): VerifyEvent | null {
  if (t === null || !Object.hasOwn(DECODERS, r.type) || typeof r.merge_sha !== 'string' || !SHA.test(r.merge_sha)) return null;
  return DECODERS[r.type as VerifyEvent['type']](r, t) as VerifyEvent | null;
}
