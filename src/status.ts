// State → status snapshot → text or JSON (pure). `swarm status`, `/api/v1/state` and the dashboard all
// read this one snapshot, so they always agree. Deliberately imports nothing heavy (no Octokit, Linear
// SDK or nunjucks): `swarm status` must start fast.
import type { AttemptOutcome, PauseState, SwarmState, TicketState } from './state/types.js';
import type { LockInfo } from './state/lock.js';

export interface Snapshot {
  generated_at: string;
  daemon: { running: boolean; pid: number | null; started_at: string | null; heartbeat_age_s: number | null; draining: boolean; config_error: string | null };
  pause: (PauseState & { remaining_s: number | null }) | null;
  running: { ticket: string; key: string; title: string; model: string; attempt: number; max_attempts: number; failures: number; elapsed_s: number; last_event: string; cost_usd: number; branch: string }[];
  retry_queue: { ticket: string; key: string; title: string; due_at: string | null; due_in_s: number | null; reason: string; failures: number; next_model_hint: string }[];
  recent: { ticket: string; key: string; title: string; pr_url: string | null; at: string; cost_usd: number; attempts: number }[];
  failed: { ticket: string; key: string; title: string; failures: number; reason: string }[];
  totals: { date: string; cost_usd: number; tokens: SwarmState['daily']['tokens']; prs: number; attempts: Partial<Record<AttemptOutcome, number>>; tickets: number };
}

export function buildSnapshot(state: SwarmState, lock: { info: LockInfo; alive: boolean } | null, now: number): Snapshot {
  const tickets = Object.values(state.tickets);
  const maxAttempts = state.daemon?.max_attempts ?? 3;
  const alive = lock?.alive === true;
  const hb = alive ? Date.parse(lock!.info.heartbeat_at) : NaN;
  const lastAttempt = (t: TicketState) => t.attempts[t.attempts.length - 1];
  return {
    generated_at: new Date(now).toISOString(),
    daemon: {
      running: alive,
      pid: alive ? lock!.info.pid : null,
      started_at: alive ? lock!.info.started_at : null,
      heartbeat_age_s: Number.isFinite(hb) ? Math.max(0, Math.round((now - hb) / 1000)) : null,
      draining: alive && state.daemon?.draining === true,
      config_error: alive ? (state.daemon?.config_error ?? null) : null,
    },
    pause: state.pause && (state.pause.until === null || Date.parse(state.pause.until) > now)
      ? { ...state.pause, remaining_s: state.pause.until === null ? null : Math.round((Date.parse(state.pause.until) - now) / 1000) }
      : null,
    running: tickets
      .filter((t) => t.status === 'running' || t.status === 'claimed')
      .map((t) => {
        const a = lastAttempt(t);
        const live = a?.outcome === 'running';
        return {
          ticket: t.identifier,
          key: t.key,
          title: t.title,
          model: live ? a!.model : '',
          attempt: live ? a!.number : t.attempts.length + 1,
          max_attempts: maxAttempts,
          failures: t.failures,
          elapsed_s: live ? Math.round((now - Date.parse(a!.started_at)) / 1000) : 0,
          last_event: t.last_event,
          cost_usd: round(t.cost_usd),
          branch: t.branch,
        };
      }),
    retry_queue: tickets
      .filter((t) => t.status === 'retry_wait')
      .map((t) => ({
        ticket: t.identifier,
        key: t.key,
        title: t.title,
        due_at: t.next_retry_at,
        due_in_s: t.next_retry_at ? Math.max(0, Math.round((Date.parse(t.next_retry_at) - now) / 1000)) : null,
        reason: t.retry_reason ?? '',
        failures: t.failures,
        next_model_hint: '',
      }))
      .sort((a, b) => (a.due_at ?? '').localeCompare(b.due_at ?? '')),
    recent: tickets
      .filter((t) => t.status === 'review')
      .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
      .slice(0, 10)
      .map((t) => ({ ticket: t.identifier, key: t.key, title: t.title, pr_url: t.pr?.url ?? null, at: t.updated_at, cost_usd: round(t.cost_usd), attempts: t.attempts.length })),
    failed: tickets
      .filter((t) => t.status === 'failed')
      .map((t) => ({ ticket: t.identifier, key: t.key, title: t.title, failures: t.failures, reason: lastAttempt(t)?.reason ?? '' })),
    totals: { date: state.daily.date, cost_usd: round(state.daily.cost_usd), tokens: state.daily.tokens, prs: state.daily.prs, attempts: state.daily.attempts, tickets: tickets.length },
  };
}

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export const plain: Paint = { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };

/** Human table, readable in 80 columns. */
export function renderStatus(s: Snapshot, p: Paint = plain, width = 80): string {
  const out: string[] = [];
  const d = s.daemon;
  if (d.running) out.push(`${p.bold('swarm')} daemon pid ${d.pid}, heartbeat ${d.heartbeat_age_s ?? '?'}s ago${d.draining ? p.yellow(' — draining (no new work)') : ''}`);
  else out.push(`${p.bold('swarm')} daemon ${p.dim('not running')}`);
  if (d.config_error) out.push(p.red(`config error (running on the last good config): ${d.config_error}`));
  if (s.pause) {
    const until = s.pause.until ? `until ${s.pause.until} (${dur(s.pause.remaining_s ?? 0)} left)` : 'until `swarm resume`';
    out.push(p.yellow(`PAUSED (${s.pause.kind}${s.pause.limit_type ? `, ${s.pause.limit_type}` : ''}) ${until}`));
    out.push(p.yellow(`  ${clip(s.pause.reason, width - 2)}`));
  }
  out.push('');
  out.push(p.bold(`Running (${s.running.length})`));
  if (s.running.length === 0) out.push(p.dim('  none'));
  for (const r of s.running) {
    out.push(`  ${pad(r.ticket, 8)} ${pad(r.model || '-', 7)} ${pad(`${r.attempt}/${r.max_attempts}`, 5)} ${pad(dur(r.elapsed_s), 7)} ${pad(`$${r.cost_usd.toFixed(2)}`, 7)} ${clip(r.title, width - 41)}`);
    out.push(p.dim(`           ${clip(r.last_event, width - 11)}`));
  }
  out.push('');
  out.push(p.bold(`Retry queue (${s.retry_queue.length})`));
  if (s.retry_queue.length === 0) out.push(p.dim('  none'));
  for (const r of s.retry_queue) out.push(`  ${pad(r.ticket, 8)} ${pad(r.due_in_s === null ? 'paused' : `in ${dur(r.due_in_s)}`, 10)} ${clip(r.reason, width - 22)}`);
  out.push('');
  out.push(p.bold(`Recently finished (${s.recent.length})`));
  if (s.recent.length === 0) out.push(p.dim('  none'));
  for (const r of s.recent) out.push(`  ${pad(r.ticket, 8)} ${p.green(clip(r.pr_url ?? 'handed off', width - 11))}`);
  if (s.failed.length > 0) {
    out.push('');
    out.push(p.bold(p.red(`Failed (${s.failed.length})`)));
    for (const f of s.failed) out.push(`  ${pad(f.ticket, 8)} ${p.red(clip(`${f.failures} failures: ${f.reason}`, width - 11))}`);
  }
  out.push('');
  const t = s.totals;
  const tokens = t.tokens.input + t.tokens.output + t.tokens.cacheRead + t.tokens.cacheCreation;
  const byOutcome = Object.entries(t.attempts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  out.push(`Today ${t.date}: $${t.cost_usd.toFixed(2)}, ${fmtNum(tokens)} tokens, ${t.prs} PRs`);
  out.push(clip(`Attempts: ${byOutcome}`, width));
  return out.join('\n') + '\n';
}

function id(s: string): string { return s; }
const round = (n: number) => Math.round(n * 10000) / 10000;
function pad(s: string, n: number): string { return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length); }
function clip(s: string, n: number): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > n ? flat.slice(0, Math.max(1, n - 1)) + '…' : flat;
}
export function dur(sec: number): string {
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${String(sec % 60).padStart(2, '0')}s`;
  return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
}
function fmtNum(n: number): string { return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n); }
