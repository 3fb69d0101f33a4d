// The lifecycle steps of verification after merge (each folded by verify-fold.ts, committed by the ledger
// before anything is done on the tracker, the code host or git): merged → verifying → verified, or red →
// reverted → reopened / settled. Pure: records in, a Step out.
import type { TicketState } from './types.js';
import type { VerifyEvent } from './verify-decode.js';
import type { RedReason, RevertMode, RevertOutcome, SettleOutcome, VerifyCheck } from './verify-record.js';
import { ticketStep, type Step } from './step.js';

type Fields<K extends VerifyEvent['type']> = Omit<Extract<VerifyEvent, { type: K }>, 'type' | 'at' | 'ticket' | 'key'>;

const step = <K extends VerifyEvent['type']>(ts: TicketState, type: K, fields: Fields<K>, now: number): Step =>
  ticketStep(ts, ts.key, [{ type, ticket: ts.identifier, key: ts.key, ...fields } as never], now);

/** The ticket's PR merged as `merge_sha`: verification starts (the PR's follow-ups end). */
export function verifyStarted(ts: TicketState, f: { pr: string; number: number; merge_sha: string; base: string; head_sha: string; commits: number }, now: number): Step {
  return step(ts, 'verify_started', f, now);
}

export function verified(ts: TicketState, mergeSha: string, detail: string, now: number): Step {
  return step(ts, 'verified', { merge_sha: mergeSha, detail }, now);
}

export function verifyRed(
  ts: TicketState,
  f: { merge_sha: string; reason: RedReason; detail: string; checks: VerifyCheck[]; command_output: string; hook_output: string; charged: boolean; charge_note: string },
  now: number,
): Step {
  return step(ts, 'verify_red', f, now);
}

export function reverted(
  ts: TicketState,
  f: { merge_sha: string; mode: RevertMode; outcome: RevertOutcome; branch: string; pr: string | null; number: number | null; pushed_sha: string | null; detail: string },
  now: number,
): Step {
  return step(ts, 'reverted', f, now);
}

/** Reverted: reopen the ticket and try again on `branch`, a counted failure (it fails outright when none is left). */
export function reopened(ts: TicketState, f: { merge_sha: string; reason: string; branch: string; worktree: string; label: string }, maxAttempts: number, now: number): Step {
  const drafts = [{ type: 'reopened' as const, ticket: ts.identifier, key: ts.key, ...f }];
  const failures = ts.failures + 1;
  const out = ticketStep(ts, ts.key, drafts, now);
  if (failures < maxAttempts) return out;
  // The ladder is exhausted: reopened on the tracker (the change is not on the base any more), and failed.
  return ticketStep(ts, ts.key, [...drafts, { type: 'ticket_failed', ticket: ts.identifier, key: ts.key, reason: `its merge was reverted and no attempt is left (agent.max_attempts ${maxAttempts})`, failures }], now);
}

export function verifySettled(ts: TicketState, mergeSha: string, outcome: SettleOutcome, detail: string, now: number): Step {
  return step(ts, 'verify_settled', { merge_sha: mergeSha, outcome, detail }, now);
}
