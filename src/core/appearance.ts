// What the tracker should show for a ticket record: the ONE mapping from status to swarm's mark (labels /
// Linear state) and the ONE status comment per ticket (identified by STICKY_MARKER, edited in place).
// Tracker.show() applies it; nothing else decides what a status looks like on the tracker. Pure.
import { STICKY_MARKER, type Appearance, type Mark } from '../tracker/types.js';
import type { TicketState } from './types.js';
import { verifyHeadline, verifyLines } from './verify-sticky.js';

const MARKS: Record<TicketState['status'], Mark> = {
  claimed: 'running',
  running: 'running',
  retry_wait: 'running', // still ours: the claim stays while it waits
  review: 'review',
  failed: 'failed',
  released: 'released',
  done: 'review', // merged or closed: the handoff mark stays as it was
  verifying: 'review', // merged: the handoff mark stays while the base is verified
  red: 'review',
};

export function appearanceOf(ts: TicketState, maxAttempts: number): Appearance {
  const mark = ts.status === 'released' && ts.cleared ? 'cleared' : MARKS[ts.status];
  const stop = ts.followup?.stopped?.why;
  const needsHuman = (ts.status === 'review' && (stop === 'needs_human' || stop === 'human_push'))
    || (ts.status === 'done' && ts.verify?.current?.outcome === 'needs_human')
    || (ts.status === 'failed' && stop === 'diverged');
  // Reverted after a merge: reopened (GitHub: the issue; Linear: verify.reopen_state) until the tracker confirmed it.
  const reopen = ts.verify != null && ts.verify.reopen_rev > 0 && ts.synced_rev < ts.verify.reopen_rev;
  const reverted = (ts.verify?.reverts ?? 0) > 0;
  return {
    mark, needsHuman, sticky: renderSticky(ts, maxAttempts), pr: ts.pr ? { ...ts.pr, state: 'open', branch: ts.branch } : null, note: noteOf(ts),
    ...(reopen ? { reopen } : {}), ...(reverted ? { reverted } : {}),
  };
}

/** Status in a few words and, when the last finished attempt failed or changed nothing, the agent's last words. */
function noteOf(ts: TicketState): NonNullable<Appearance['note']> {
  const a = [...ts.attempts].reverse().find((x) => x.outcome !== 'running' && x.outcome !== 'interrupted');
  const failedRun = a !== undefined && !a.outcome.startsWith('pr_') && a.outcome !== 'cancelled' && a.summary.trim() !== '';
  const status = ts.status === 'released' && ts.cleared ? 'cleared for a retry' : `${ts.status}${a ? ` after attempt ${a.number} (${a.outcome})` : ''}`;
  return { status, last_words: failedRun && ts.status !== 'review' && ts.status !== 'done' ? a!.summary.trim() : null };
}

const HEADLINE: Record<TicketState['status'], string> = {
  claimed: '🟡 Claimed by swarm — preparing a workspace',
  running: '🔵 An agent is working on this',
  retry_wait: '🟠 Waiting to retry',
  review: '🟢 Pull request opened — ready for review',
  failed: '🔴 swarm gave up on this ticket',
  released: '⚪ Released by swarm',
  done: '✅ Done',
  verifying: '🔎 Pull request merged — verifying the base branch',
  red: '🔴 Merged, but the base branch went red',
};

export function renderSticky(ts: TicketState, maxAttempts: number): string {
  const f = ts.followup;
  const following = f?.pending && (ts.status === 'claimed' || ts.status === 'running' || ts.status === 'retry_wait') ? f.pending : null;
  const headline = following
    ? `🔵 Following up on the pull request (round ${following.round}: ${following.kind === 'ci' ? 'failing checks' : 'changes requested'})`
    : verifyHeadline(ts) ?? (ts.status === 'done' && f?.stopped ? (f.stopped.why === 'merged' ? '✅ Pull request merged' : '⚪ Pull request closed without merging')
      : ts.status === 'failed' && f?.stopped?.why === 'diverged' ? '✋ Stopped for a human: the branch was changed by someone else' : HEADLINE[ts.status]);
  const lines = [STICKY_MARKER, `**swarm** · ${headline}`, ''];
  lines.push(`Branch: \`${ts.branch}\``);
  if (ts.pr) lines.push(`Pull request: ${ts.pr.url}`);
  if (f && f.rounds > 0) lines.push(`Follow-ups: ${f.rounds}`);
  if (ts.status === 'review' && f?.stopped && (f.stopped.why === 'needs_human' || f.stopped.why === 'human_push')) {
    lines.push(`Needs a human: ${oneLine(f.stopped.detail)} — no more follow-ups until the needs-human label is removed.`);
  }
  const verification = verifyLines(ts);
  if (verification.length > 0) lines.push('', ...verification, '');
  if (ts.status === 'retry_wait' && ts.next_retry_at) lines.push(`Next attempt after ${ts.next_retry_at} (${oneLine(ts.retry_reason ?? 'backoff')})`);
  if (ts.status === 'failed' && f?.stopped?.why === 'diverged') lines.push(`Needs a human: ${oneLine(f.stopped.detail)}`);
  else if (ts.status === 'failed') lines.push(`${ts.failures} counted failures (max_attempts ${maxAttempts}). Remove the failed label or run \`swarm retry ${ts.key}\` to try again.`);
  if (ts.attempts.length > 0) {
    lines.push('', '| # | model | outcome | counted | reason |', '|---|---|---|---|---|');
    for (const a of ts.attempts) {
      lines.push(`| ${a.number} | ${a.model} | ${a.outcome} | ${a.counted ? 'yes' : 'no'} | ${oneLine(a.reason).replace(/\|/g, '\\|')} |`);
    }
  }
  if (ts.cost_usd > 0) lines.push('', `Cost so far: $${ts.cost_usd.toFixed(2)}`);
  return lines.join('\n');
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? flat.slice(0, 197) + '…' : flat;
}
