// How each verification event changes a ticket's record — the fold's share for verification after merge
// (fold.ts calls it, on a copy it already made; the revision is bumped there). Live steps and the events
// log rebuild go through this same code.
import type { VerifyEvent } from './verify-decode.js';
import type { TicketState } from './types.js';
import { emptyFollowup } from './followup-record.js';
import { emptyVerify, VERIFY_HISTORY_MAX, type VerifyHistory, type VerifyRun, type VerifyState } from './verify-record.js';

const v = (t: TicketState): VerifyState => t.verify ?? emptyVerify();
const short = (sha: string) => sha.slice(0, 7);

/** The run this event belongs to (a blank one for a log whose verify_started was rotated away). */
function run(t: TicketState, sha: string, at: string): VerifyRun {
  const cur = v(t).current;
  if (cur && cur.merge_sha === sha) return { ...cur };
  return {
    merge_sha: sha, pr_number: t.pr?.number ?? 0, pr_url: t.pr?.url ?? '', base: '', head_sha: '', commits: 0, started_at: at, phase: 'verifying', reason: null, detail: '',
    checks: [], command_output: '', hook_output: '', charged: false, charge_note: '', revert: null, outcome: null, ended_at: null,
  };
}

function ended(t: TicketState, current: VerifyRun, entry: VerifyHistory | null, extra: Partial<VerifyState> = {}): void {
  const was = v(t);
  const history = entry ? [...was.history.filter((h) => h.merge_sha !== entry.merge_sha), entry].slice(-VERIFY_HISTORY_MAX) : was.history;
  t.verify = { ...was, current, history, ...extra };
}

export function applyVerify(t: TicketState, ev: VerifyEvent): void {
  const cleared = { next_retry_at: null, retry_reason: null };
  switch (ev.type) {
    case 'verify_started': {
      const current: VerifyRun = { ...run({ ...t, verify: null }, ev.merge_sha, ev.at), pr_number: ev.number, pr_url: ev.pr, base: ev.base, head_sha: ev.head_sha, commits: ev.commits };
      // The evidence of an earlier revert was for the attempts that led here; this merge is verified afresh.
      t.verify = { ...v(t), current, evidence: null, reopen_rev: 0 };
      t.followup = { ...(t.followup ?? emptyFollowup()), pending: null, stopped: { why: 'merged', detail: ev.pr, at: ev.at } };
      Object.assign(t, { status: 'verifying', pr: { number: ev.number, url: ev.pr }, ...cleared, last_event: `merged as ${short(ev.merge_sha)}: verifying ${ev.base}` });
      return;
    }
    case 'verified': {
      const current = { ...run(t, ev.merge_sha, ev.at), phase: 'green' as const, detail: ev.detail, ended_at: ev.at };
      ended(t, current, { merge_sha: ev.merge_sha, result: 'green', at: ev.at, reverted: false });
      Object.assign(t, { status: 'done', ...cleared, last_event: `verified: ${ev.detail}` });
      return;
    }
    case 'verify_red': {
      const current: VerifyRun = {
        ...run(t, ev.merge_sha, ev.at), phase: 'red', reason: ev.reason, detail: ev.detail, checks: ev.checks.map((c) => ({ ...c })),
        command_output: ev.command_output, hook_output: ev.hook_output, charged: ev.charged, charge_note: ev.charge_note,
      };
      t.verify = { ...v(t), current };
      Object.assign(t, { status: 'red', ...cleared, last_event: `red after merge ${short(ev.merge_sha)}: ${ev.detail}` });
      return;
    }
    case 'reverted': {
      const done = ev.outcome === 'opened' || ev.outcome === 'pushed';
      const current: VerifyRun = {
        ...run(t, ev.merge_sha, ev.at), phase: done ? 'reverted' : v(t).current?.phase ?? 'red',
        revert: { mode: ev.mode, outcome: ev.outcome, branch: ev.branch, pr_number: ev.number, pr_url: ev.pr, pushed_sha: ev.pushed_sha, detail: ev.detail },
      };
      t.verify = { ...v(t), current, reverts: v(t).reverts + (done ? 1 : 0) };
      t.last_event = ev.detail;
      return;
    }
    case 'reopened': {
      const cur = run(t, ev.merge_sha, ev.at);
      const current: VerifyRun = { ...cur, phase: 'reopened', ended_at: ev.at };
      const evidence = { merge_sha: ev.merge_sha, revert_pr: cur.revert?.pr_url ?? cur.revert?.pushed_sha ?? '', checks: cur.checks.map((c) => ({ ...c })), command_output: cur.command_output };
      // Reopened on the tracker until it confirms this very revision (fold.ts sets rev to the next one).
      ended(t, current, { merge_sha: ev.merge_sha, result: 'red', at: ev.at, reverted: true }, { evidence, reopen_rev: t.rev + 1 });
      // A counted failure: the re-attempt runs one step up the model ladder, on a branch of its own.
      Object.assign(t, {
        // hold: null — released by swarm for its re-attempt, never an operator's hold.
        status: 'released', cleared: true, failures: t.failures + 1, branch: ev.branch, worktree: ev.worktree, pr: null, followup: null, hold: null, ...cleared,
        last_event: `reopened: ${ev.reason}`,
      });
      return;
    }
    case 'verify_settled': {
      const current: VerifyRun = { ...run(t, ev.merge_sha, ev.at), phase: 'settled', outcome: ev.outcome, ended_at: ev.at };
      const result = ev.outcome === 'unverified' ? 'unverified' : 'red';
      ended(t, current, { merge_sha: ev.merge_sha, result, at: ev.at, reverted: false });
      Object.assign(t, { status: 'done', ...cleared, last_event: ev.detail });
      return;
    }
  }
}
