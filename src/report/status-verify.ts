// The verification-after-merge part of the status snapshot: the base branch (red or green, what holds while
// it is red), each merged ticket's verification (verifying, red, reverted, verified, reported…), counts, and
// the cost per verified merge — every attempt, follow-up and re-attempt of the tickets that ended verified,
// per day. Pure, and as light as status.ts (type imports only).
import type { SwarmState, TicketState } from '../core/types.js';

export type VerifyListState = 'verifying' | 'red' | 'reverted' | 'verified' | 'reported' | 'recorded' | 'needs_human' | 'not_charged' | 'unverified';

export interface VerifiedCost {
  date: string;
  merges: number;
  cost_usd: number;
  per_merge_usd: number;
}

export interface VerificationSnapshot {
  base: { branch: string; red: boolean; since: string | null; reason: string; charged: string | null; head_sha: string | null; hold: string | null } | null;
  tickets: { ticket: string; key: string; state: VerifyListState; merge_sha: string; pr_url: string; detail: string; revert: string | null; at: string }[];
  /** Verifications by how they ended, over the tickets in the state. */
  results: { green: number; red: number; unverified: number };
  reverts: number;
  /** Newest day first, the last 7 days that had a verified merge. */
  cost_per_verified_merge: VerifiedCost[];
}

/** A local calendar day (the daily totals' days). */
function day(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function listState(t: TicketState): VerifyListState | null {
  const cur = t.verify?.current;
  if (!cur) return null;
  if (t.status === 'verifying') return 'verifying';
  if (t.status === 'red') return 'red';
  if (cur.phase === 'reopened' || cur.phase === 'reverted') return 'reverted';
  if (cur.phase === 'green') return 'verified';
  return cur.outcome ?? null;
}

export function verificationSnapshot(state: SwarmState, now: number): VerificationSnapshot {
  const tickets = Object.values(state.tickets);
  const b = state.base ?? null;
  const hold = b?.red && b.hold && b.hold !== 'off'
    ? b.hold === 'dispatch' ? 'no new ticket starts and auto-merge of swarm\'s PRs is off until it is green (verify.hold_while_red: dispatch)' : 'auto-merge of swarm\'s PRs is off until it is green (verify.hold_while_red: merge)'
    : null;
  const listed: VerificationSnapshot['tickets'] = [];
  for (const t of tickets) {
    const st = listState(t);
    const cur = t.verify?.current;
    if (!st || !cur) continue;
    const at = cur.ended_at ?? cur.started_at;
    // Settled ones are shown for a day; anything under way, or reverted and being tried again, always.
    const recent = now - Date.parse(at) < 24 * 3600_000;
    if (!recent && st !== 'verifying' && st !== 'red' && !(st === 'reverted' && t.status !== 'done' && t.status !== 'failed')) continue;
    const r = cur.revert;
    listed.push({
      ticket: t.identifier, key: t.key, state: st, merge_sha: cur.merge_sha, pr_url: cur.pr_url, at,
      detail: st === 'verifying' ? t.last_event : cur.detail, revert: r ? (r.pr_url ?? r.pushed_sha ?? r.detail) : null,
    });
  }
  listed.sort((a, b2) => b2.at.localeCompare(a.at));
  const results = { green: 0, red: 0, unverified: 0 };
  for (const t of tickets) for (const h of t.verify?.history ?? []) results[h.result]++;
  const costs = new Map<string, { merges: number; cost: number }>();
  for (const t of tickets) {
    const cur = t.verify?.current;
    if (t.status !== 'done' || cur?.phase !== 'green' || !cur.ended_at) continue;
    const d = day(Date.parse(cur.ended_at));
    const c = costs.get(d) ?? { merges: 0, cost: 0 };
    costs.set(d, { merges: c.merges + 1, cost: c.cost + t.cost_usd });
  }
  const cost_per_verified_merge = [...costs].sort(([a], [b2]) => b2.localeCompare(a)).slice(0, 7)
    .map(([date, c]) => ({ date, merges: c.merges, cost_usd: round(c.cost), per_merge_usd: round(c.cost / c.merges) }));
  return {
    base: b ? { branch: b.branch, red: b.red, since: b.since, reason: b.reason, charged: b.charged, head_sha: b.head_sha, hold } : null,
    tickets: listed.slice(0, 20),
    results,
    reverts: tickets.reduce((n, t) => n + (t.verify?.reverts ?? 0), 0),
    cost_per_verified_merge,
  };
}

export interface VerifyLook {
  width: number;
  bold: (s: string) => string;
  dim: (s: string) => string;
  warn: (s: string) => string;
  red: (s: string) => string;
  green: (s: string) => string;
  time: (iso: string) => string;
}

/** The base branch's red state as a pause-like banner (empty while it is green or unknown). */
export function renderBaseBanner(v: VerificationSnapshot, look: VerifyLook): string[] {
  const b = v.base;
  if (!b?.red) return [];
  const out = [look.red(look.bold(fit(look.width, '', `BASE ${b.branch} IS RED${b.since ? ` since ${look.time(b.since)}` : ''}${b.charged ? ` (charged: ${b.charged})` : ' (nothing of swarm\'s charged)'}`)))];
  for (const line of wrap(b.reason, look.width - 2)) out.push(look.red(`  ${line}`));
  if (b.hold) for (const line of wrap(`held: ${b.hold}`, look.width - 2)) out.push(look.warn(`  ${line}`));
  return out;
}

/** The "Verification" block of `swarm status`. */
export function renderVerification(v: VerificationSnapshot, look: VerifyLook): string[] {
  const today = v.cost_per_verified_merge[0];
  const head = `Verification after merge (${v.results.green} verified, ${v.results.red} red, ${v.reverts} revert${v.reverts === 1 ? '' : 's'})`;
  const out = [look.bold(head)];
  if (v.base && !v.base.red) out.push(look.dim(fit(look.width, '  ', `base ${v.base.branch}: ${v.base.reason || 'not read yet'}`)));
  for (const t of v.tickets) {
    const paint = t.state === 'verified' || t.state === 'not_charged' ? look.green : t.state === 'verifying' ? (s: string) => s : t.state === 'reverted' || t.state === 'reported' || t.state === 'recorded' ? look.warn : look.red;
    out.push(paint(fit(look.width, `  ${t.ticket.padEnd(8)} `, `${t.state} · merge ${t.merge_sha.slice(0, 7)}${t.revert ? ` · revert ${t.revert}` : ''}`)));
    out.push(look.dim(fit(look.width, '           ', t.detail)));
  }
  if (today) out.push(fit(look.width, '  ', `cost per verified merge ${today.date}: $${today.per_merge_usd.toFixed(2)} (${today.merges} merge${today.merges === 1 ? '' : 's'}, $${today.cost_usd.toFixed(2)} over all their attempts)`));
  return out;
}

const round = (n: number) => Math.round(n * 10000) / 10000;

function fit(width: number, prefix: string, text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const room = Math.max(1, width - prefix.length);
  return prefix + (flat.length > room ? `${flat.slice(0, room - 1)}…` : flat);
}

function wrap(s: string, n: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > n) { lines.push(line); line = ''; }
    line = line ? `${line} ${word}` : word.length > n ? `${word.slice(0, n - 1)}…` : word;
  }
  return line ? [...lines, line] : lines;
}
