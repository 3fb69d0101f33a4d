// The account and lane parts of the status snapshot: the Claude account this daemon shares with others
// (its name, the usage window's latest figures, the shared pause and canary, the daemons on it) and each
// waiting ticket's lane with the reason it waits. Pure, and as light as status.ts (type imports only).
import type { AccountRecord } from '../core/account-record.js';
import type { LaneName, WaitingTicket } from '../core/views.js';
import { pauseInForce } from '../core/pause.js';

export interface AccountSnapshot {
  name: string;
  /** `overage`: the account's answers come from paid extra usage (the window is spent; runs go on). */
  window: { status: string; utilization: number | null; type: string | null; resets_at: string | null; overage: boolean } | null;
  pause: { until: string; reason: string; limit_type: string | null; since: string; by: string; remaining_s: number } | null;
  /** Weekly limits scoped to one model family (seven_day_opus…): only attempts on that family wait. */
  model_limits: { family: string; until: string; reason: string; limit_type: string | null; by: string; remaining_s: number }[];
  canary: { pending: boolean; holder: string | null };
  members: { id: string; host: string; pid: number; repo: string; heartbeat_age_s: number }[];
}

/** The account as `swarm status` shows it; a window whose reset has passed is no longer shown. */
export function accountSnapshot(rec: AccountRecord, now: number): AccountSnapshot {
  const w = rec.window;
  const reset = w?.resets_at ? Date.parse(w.resets_at) : NaN;
  const until = rec.pause ? Date.parse(rec.pause.until) : NaN;
  return {
    name: rec.name,
    window: w && !(reset <= now) ? { status: w.status, utilization: w.utilization, type: w.type, resets_at: w.resets_at, overage: w.overage === true } : null,
    pause: rec.pause && until > now ? { ...rec.pause, remaining_s: Math.round((until - now) / 1000) } : null,
    model_limits: Object.entries(rec.model_limits ?? {})
      .filter(([, l]) => pauseInForce(l, now) !== null)
      .map(([family, l]) => ({ family, until: l.until, reason: l.reason, limit_type: l.limit_type, by: l.by, remaining_s: Math.round((Date.parse(l.until) - now) / 1000) }))
      .sort((a, b) => a.family.localeCompare(b.family)),
    canary: { pending: rec.canary.pending, holder: rec.canary.holder },
    members: Object.entries(rec.members)
      .map(([id, m]) => ({ id, host: m.host, pid: m.pid, repo: m.repo, heartbeat_age_s: Math.max(0, Math.round((now - Date.parse(m.heartbeat_at)) / 1000)) }))
      .sort((a, b) => a.id.localeCompare(b.id)),
  };
}

interface Look {
  /** Lines are fitted to this many columns. */
  width: number;
  bold: (s: string) => string;
  warn: (s: string) => string;
  dim: (s: string) => string;
  time: (iso: string) => string;
  dur: (s: number) => string;
}

/** The account block of `swarm status`. */
export function renderAccount(a: AccountSnapshot, look: Look): string[] {
  const out = [look.bold(fit(look.width, `Account ${a.name} · ${a.members.length} daemon(s)`))];
  const w = a.window;
  if (w?.overage) {
    // Paid extra usage carries the runs: not a stop (the CLI's own UI ignores the rejected status then).
    const line = `  window spent (${w.type ?? 'usage'} limit): runs go on paid extra usage${w.resets_at ? ` until it resets ${look.time(w.resets_at)}` : ''}`;
    out.push(look.warn(fit(look.width, line)));
  } else if (w) {
    const used = w.utilization === null ? 'usage not reported' : `${Math.round(w.utilization * 100)}% used`;
    const line = `  window ${used} (${[w.type, w.status].filter(Boolean).join(', ')})${w.resets_at ? ` · resets ${look.time(w.resets_at)}` : ''}`;
    out.push(w.status === 'allowed' ? fit(look.width, line) : look.warn(fit(look.width, line)));
  } else {
    out.push(look.dim('  window: no figures reported yet'));
  }
  if (a.pause) {
    out.push(look.warn(fit(look.width, `  PAUSED (${a.pause.limit_type ?? 'usage'} limit) until ${look.time(a.pause.until)} (${look.dur(a.pause.remaining_s)} left)`)));
    out.push(look.warn(fit(look.width, `    ${a.pause.by ? `${a.pause.by}: ` : ''}${a.pause.reason}`)));
  }
  for (const l of a.model_limits ?? []) {
    out.push(look.warn(fit(look.width, `  ${l.family} attempts wait (${l.limit_type ?? 'weekly'} limit); other models go on`)));
    out.push(look.warn(fit(look.width, `    until ${look.time(l.until)} (${look.dur(l.remaining_s)} left)${l.by ? `, hit by ${l.by}` : ''}`)));
  }
  if (a.canary.pending) out.push(fit(look.width, `  canary: ${a.canary.holder ? `running on ${a.canary.holder}; the others wait for it` : a.pause ? 'after the pause, one run goes first' : 'the next run goes first'}`));
  for (const m of a.members) out.push(look.dim(fit(look.width, `  ${m.host} pid ${m.pid} · ${m.repo || '-'} · heartbeat ${look.dur(m.heartbeat_age_s)} ago`)));
  return out;
}

/** The waiting list of `swarm status`: ticket, lane and why. */
export function renderWaiting(waiting: WaitingTicket[], look: Look): string[] {
  const out = [look.bold(`Waiting (${waiting.length})`)];
  if (waiting.length === 0) out.push(look.dim('  none'));
  for (const t of waiting) out.push(fit(look.width, `  ${t.ticket.padEnd(8)} ${cell(t.lane, 10)} ${t.waiting_because}`));
  return out;
}

/** One line within `width` columns: line breaks and tabs become spaces (columns keep their padding), clipped with "…". */
function fit(width: number, s: string): string {
  const flat = s.replace(/[^\S ]+/g, ' ');
  return flat.length > width ? flat.slice(0, Math.max(1, width - 1)) + '…' : flat;
}

function cell(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s + ' '.repeat(n - s.length);
}

/** What the daemon knows beyond its state file: the account record and the lanes of waiting tickets. */
export interface SnapshotExtra {
  account?: AccountRecord | null;
  /** Tickets that wait for their lane's turn, in queue order. */
  waiting?: WaitingTicket[];
  /** Lane (and reason, when it waits for more than its retry time) of tickets in the retry queue, by key. */
  lanes?: Record<string, { lane: LaneName; waiting_because?: string }>;
}

/** The snapshot fields `extra` adds; none when it has nothing (the snapshot stays as it was). */
export function extraParts(extra: SnapshotExtra, now: number): { account?: AccountSnapshot | null; waiting?: WaitingTicket[] } {
  const out: { account?: AccountSnapshot | null; waiting?: WaitingTicket[] } = {};
  if (extra.account !== undefined) out.account = extra.account === null ? null : accountSnapshot(extra.account, now);
  if (extra.waiting !== undefined) out.waiting = extra.waiting;
  return out;
}

/**
 * The extras the state itself carries: the account as the daemon last read it (or `account`, read more
 * freshly by the caller) and, while the daemon runs, its waiting tickets and the lanes of its retry queue.
 */
export function extraFromState(
  state: { account?: { record: AccountRecord } | null; queue?: { waiting: WaitingTicket[]; lanes: SnapshotExtra['lanes'] } | null },
  alive: boolean,
  account: AccountRecord | null = state.account?.record ?? null,
): SnapshotExtra {
  const extra: SnapshotExtra = {};
  if (account) extra.account = account;
  if (alive && state.queue) {
    extra.waiting = state.queue.waiting;
    extra.lanes = state.queue.lanes;
  }
  return extra;
}
