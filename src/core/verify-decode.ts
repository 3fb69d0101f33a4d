// Decoders for the verification events of `.swarm/events.jsonl`, for the rebuild of a lost state.json: one
// per type in a Record (a verification event added to the union without one does not compile), each
// lenient — what a torn or older line lacks gets its default — except the merge commit every one of them
// is about: a line without a well-formed one is unusable and skipped (folding it would end the ticket's
// real verification run for a merge that does not exist).
import type { VerifyEvent } from './events.js';
import { isRedReason, isRevertMode, isRevertOutcome, isSettleOutcome, parseChecks } from './verify-record.js';
import { num, str } from '../util/json.js';

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
