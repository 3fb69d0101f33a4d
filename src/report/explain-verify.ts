// `swarm explain`'s verification part: what verification after merge saw of the ticket's last merge (the
// checks, the command, the charge, the revert), the base branch as last seen, and what happens next while
// it is verifying or red. Pure.
import type { SwarmState, TicketState } from '../core/types.js';

export interface VerificationExplained {
  phase: string;
  merge_sha: string;
  pr_url: string;
  detail: string;
  charge: string;
  revert: string | null;
  checks: { name: string; conclusion: string }[];
  reverts: number;
  base: { branch: string; red: boolean; reason: string } | null;
}

const short = (sha: string) => sha.slice(0, 7);

export function verificationOf(ts: TicketState | undefined, state: SwarmState): VerificationExplained | null {
  const cur = ts?.verify?.current;
  if (!ts || !cur) return null;
  const b = state.base ?? null;
  return {
    phase: ts.status === 'verifying' ? 'verifying' : cur.phase === 'settled' ? cur.outcome ?? 'settled' : cur.phase,
    merge_sha: cur.merge_sha, pr_url: cur.pr_url, detail: ts.status === 'verifying' ? ts.last_event : cur.detail, charge: cur.charge_note,
    revert: cur.revert ? `${cur.revert.outcome}: ${cur.revert.pr_url ?? cur.revert.pushed_sha ?? cur.revert.detail}` : null,
    checks: cur.checks.map((c) => ({ name: c.name, conclusion: c.conclusion })), reverts: ts.verify?.reverts ?? 0,
    base: b ? { branch: b.branch, red: b.red, reason: b.reason } : null,
  };
}

export function verificationLines(v: VerificationExplained): string[] {
  const out = [`Verification of merge ${short(v.merge_sha)}${v.pr_url ? ` (${v.pr_url})` : ''}: ${v.phase} — ${v.detail.replace(/\s+/g, ' ')}`];
  for (const c of v.checks) out.push(`  failing check ${c.name} (${c.conclusion})`);
  if (v.charge) out.push(`  charge: ${v.charge}`);
  if (v.revert) out.push(`  revert: ${v.revert}`);
  if (v.reverts > 0) out.push(`  reverts of this ticket so far: ${v.reverts}`);
  if (v.base) out.push(`  base ${v.base.branch}: ${v.base.red ? 'RED' : 'green'}${v.base.reason ? ` (${v.base.reason.replace(/\s+/g, ' ')})` : ''}`);
  return out;
}

/** What happens next for a ticket under verification (null: the usual reading applies). */
export function verificationNext(ts: TicketState | undefined): string | null {
  const cur = ts?.verify?.current;
  if (!ts || !cur) return null;
  if (ts.status === 'verifying') return `verifying merge ${short(cur.merge_sha)} on ${cur.base} (${ts.last_event}); green → done, red → the merge is charged, reverted and tried again`;
  if (ts.status === 'red') return `its merge ${short(cur.merge_sha)} turned ${cur.base} red (${cur.detail}); ${cur.revert ? `revert: ${cur.revert.detail}; next: reopen or settle` : 'next: charge and revert (verify.revert)'}`;
  if (cur.phase === 'reopened' && cur.revert?.outcome === 'opened' && ts.status !== 'done' && ts.status !== 'failed' && ts.status !== 'running') {
    return `reverted (${cur.revert.pr_url}): the next attempt starts once that revert is merged into ${cur.base}, one step up the model ladder, with the evidence in its prompt`;
  }
  return null;
}
