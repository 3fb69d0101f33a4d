// The verification part of a ticket's one sticky comment: a headline for a merged ticket (verifying, red,
// verified, reported…) and the evidence — what verification saw, who was charged, the revert, the failing
// checks' log excerpts and the command's output. CI text is a stranger's words: it goes inside code fences
// longer than any backtick run in it (so it can never close the fence), and the tracker wrapper masks
// secrets in the whole comment. Pure.
import type { TicketState } from './types.js';
import type { VerifyRun } from './verify-record.js';

const short = (sha: string) => sha.slice(0, 7);

/** `text` in a code fence that nothing inside can close. */
export function fenced(text: string, info = 'text'): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${info}\n${text.replace(/\s+$/, '')}\n${ticks}`;
}

/** A headline for a merged ticket, or null to keep the status's own. */
export function verifyHeadline(ts: TicketState): string | null {
  const cur = ts.verify?.current ?? null;
  if (ts.status === 'verifying') return '🔎 Pull request merged — verifying the base branch';
  if (ts.status === 'red') return '🔴 Merged, but the base branch went red';
  if (ts.status !== 'done' || !cur) return null;
  if (cur.phase === 'green') return '✅ Pull request merged and verified';
  switch (cur.outcome) {
    case 'reported': return '🔴 Merged, and the base branch went red — reported only, nothing was reverted (verify.revert: report)';
    case 'recorded': return '🔴 Merged, and the base branch went red — recorded only (verify.revert: off)';
    case 'needs_human': return '✋ Merged, and the base branch went red — a human is needed';
    case 'not_charged': return '✅ Pull request merged (the base branch is red, but not because of this merge)';
    case 'unverified': return '✅ Pull request merged (not verified)';
    default: return null;
  }
}

/** The evidence lines (empty while nothing is known yet). */
export function verifyLines(ts: TicketState): string[] {
  const v = ts.verify;
  const cur = v?.current ?? null;
  const lines: string[] = [];
  if (cur && cur.phase === 'verifying') lines.push(`Verifying merge \`${short(cur.merge_sha)}\` of PR #${cur.pr_number}: ${oneLine(ts.last_event)}`);
  if (cur && cur.phase === 'green') lines.push(`Verified merge \`${short(cur.merge_sha)}\`: ${oneLine(cur.detail)}`);
  if (cur && cur.phase !== 'verifying' && cur.phase !== 'green') lines.push(...evidence(cur));
  else if (v?.evidence && v.evidence.merge_sha && cur?.merge_sha !== v.evidence.merge_sha) lines.push(`Re-attempt after the revert of merge \`${short(v.evidence.merge_sha)}\`${v.evidence.revert_pr ? ` (${v.evidence.revert_pr})` : ''}.`);
  if (v && v.reverts > 0) lines.push(`Reverts so far: ${v.reverts}`);
  return lines;
}

function evidence(cur: VerifyRun): string[] {
  const out = [`Merge \`${short(cur.merge_sha)}\` of PR #${cur.pr_number} turned the base branch red: ${oneLine(cur.detail)}`];
  if (cur.charge_note) out.push(`Charge: ${oneLine(cur.charge_note)}`);
  const r = cur.revert;
  if (r) out.push(r.pr_url ? `Revert: ${r.pr_url} — ${oneLine(r.detail)}` : `Revert: ${oneLine(r.detail)}`);
  if (cur.phase === 'reopened') out.push('Reopened: swarm tries again one step up the model ladder, with this evidence in the prompt.');
  for (const c of cur.checks) out.push('', `Failing check (${c.conclusion || 'failed'}):`, fenced(`${c.name}\n${c.log_excerpt ? `--- end of its log ---\n${c.log_excerpt}` : ''}`));
  if (cur.hook_output) out.push('', 'hooks.after_merge output (end):', fenced(cur.hook_output));
  if (cur.command_output) out.push('', 'verify.command output (end):', fenced(cur.command_output));
  return out;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}…` : flat;
}
