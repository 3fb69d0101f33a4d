// What `swarm state migrate` copies and how it lands on a database that may already hold a fleet: every
// ticket record (attempts, counted failures and so the model ladder, the retry queue, PRs, cost) as it is,
// and the scope (pause, canary, breaker, today's totals) merged into any scope row the fleet already has
// by the fold's own rules — a pause in force is never shortened, and today's spend is added once, never
// twice for a second copy of the same state.json. Pure; the report is what the command prints.
import type { SwarmState, TicketState } from '../../core/types.js';
import { applyScope, type Scope } from '../../core/fold.js';
import { parseScope } from './state-store.js';
import { pauseInForce } from '../../core/pause.js';

export interface ImportPlan {
  tickets: TicketState[];
  scope: Scope;
}

export function planImport(state: SwarmState): ImportPlan {
  const tickets = Object.values(state.tickets).sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
  return { tickets, scope: { pause: state.pause, canary: state.canary, breaker: state.breaker, daily: state.daily } };
}

/**
 * The scope row to write: ours alone on an empty database; else the database's with our pause folded in
 * (the longer one stays), the canary owed if either owes it, its breaker, and today's totals summed —
 * unless this state.json was copied before (then they are in already).
 */
export function mergeScope(existing: unknown | null, ours: Scope, copiedBefore: boolean, now: number): Scope {
  if (existing === null) return ours;
  const db = parseScope(existing, now);
  let out: Scope = { ...db, canary: db.canary || ours.canary };
  const p = ours.pause;
  if (p && pauseInForce(p, now)) {
    out = applyScope(out, { type: 'paused', at: new Date(now).toISOString(), kind: p.kind, reason: p.reason, until: p.until, limit_type: p.limit_type });
  }
  if (ours.daily.date > db.daily.date) out = { ...out, daily: ours.daily };
  else if (ours.daily.date === db.daily.date && !copiedBefore) out = { ...out, daily: sumDaily(db.daily, ours.daily) };
  return out;
}

function sumDaily(a: Scope['daily'], b: Scope['daily']): Scope['daily'] {
  const attempts = { ...a.attempts };
  for (const [k, v] of Object.entries(b.attempts)) attempts[k as keyof typeof attempts] = (attempts[k as keyof typeof attempts] ?? 0) + (v ?? 0);
  return {
    date: a.date,
    cost_usd: round(a.cost_usd + b.cost_usd),
    tokens: { input: a.tokens.input + b.tokens.input, output: a.tokens.output + b.tokens.output, cacheRead: a.tokens.cacheRead + b.tokens.cacheRead, cacheCreation: a.tokens.cacheCreation + b.tokens.cacheCreation },
    attempts,
    prs: a.prs + b.prs,
  };
}

/** The lines `swarm state migrate` prints about what it copied. */
export function describeImport(plan: ImportPlan, written: Scope, o: { scope: string; where: string; overwritten: string[]; scopeExisted: boolean; now: number }): string[] {
  const t = plan.tickets;
  const name = (x: TicketState) => x.identifier || x.key;
  const out = [`copied into ${o.where}, scope ${o.scope}:`];
  out.push(`  ${t.length} ticket record(s)${t.length ? ':' : ''}`);
  for (const x of t) {
    const attempts = x.attempts.length;
    const overwrote = o.overwritten.includes(x.key) ? ' (overwrote the database’s record)' : '';
    out.push(`    ${name(x).padEnd(8)} ${statusWords(x, o.now)} · ${attempts} attempt(s), ${x.failures} counted · $${x.cost_usd.toFixed(2)}${overwrote}`);
  }
  const queue = t.filter((x) => x.status === 'retry_wait').length;
  out.push(`  retry queue: ${queue} ticket(s)`);
  const p = written.pause;
  out.push(`  pause: ${p && pauseInForce(p, o.now) ? `${p.kind}, ${p.until ? `until ${p.until}` : 'until `swarm resume`'}` : 'none'}`);
  const d = written.daily;
  const n = Object.values(d.attempts).reduce((s, v) => s + (v ?? 0), 0);
  out.push(`  today (${d.date}): $${d.cost_usd.toFixed(2)}, ${n} attempt(s), ${d.prs} PR(s)${o.scopeExisted ? ' (the fleet’s figures with this clone’s merged in)' : ''}`);
  out.push(`  cost recorded on these tickets: $${t.reduce((s, x) => s + x.cost_usd, 0).toFixed(2)}`);
  return out;
}

function statusWords(t: TicketState, now: number): string {
  switch (t.status) {
    case 'retry_wait':
      return t.next_retry_at ? `retry due ${Date.parse(t.next_retry_at) <= now ? 'now' : t.next_retry_at}` : 'waiting for the pause to end';
    case 'review':
      return t.pr ? `in review (${t.pr.url})` : 'in review';
    default:
      return t.status;
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;
