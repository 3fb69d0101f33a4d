// Status snapshot → text for a terminal (pure). The snapshot itself is status-snapshot.ts (re-exported
// here, so `swarm status`, `/api/v1/state` and the dashboard keep one import); this file is the human table.
import type { Snapshot } from './status-snapshot.js';
import { renderFleet } from './status-fleet.js';
import { renderWatched } from './status-watch.js';
import { renderAccount, renderWaiting } from './status-account.js';
import { terminalSafe } from '../util/terminal.js';
import { renderBaseBanner, renderVerification } from './status-verify.js';
import { renderWebhooks } from './status-webhooks.js';

export { buildSnapshot, type Snapshot } from './status-snapshot.js';

export interface Paint {
  /** This paint emits SGR colour codes (terminalSafe keeps those, and only those). */
  readonly sgr?: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export const plain: Paint = { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };

/** A heartbeat older than this means the daemon is probably hung (it beats every 5 s). */
export const STALE_HEARTBEAT_S = 30;

/** Human table, readable in 80 columns (every line fits `width`, except a ticket id longer than the line allows: ids are never cut). */
export function renderStatus(s: Snapshot, p: Paint = plain, width = 80): string {
  const out: string[] = [];
  const d = s.daemon;
  // One id column for every section, as wide as the longest id shown: an id is never cut.
  const idw = Math.max(8, ...[...s.running, ...s.retry_queue, ...s.recent, ...s.failed, ...s.untrusted, ...s.other].map((r) => r.ticket.length));
  const id = (t: string) => t.padEnd(idw);
  const under = ' '.repeat(idw + 3);
  const rest = (used: number) => Math.max(20, width - used);
  if (d.running) {
    const hb = d.heartbeat_age_s === null ? 'no heartbeat' : `heartbeat ${dur(d.heartbeat_age_s)} ago`;
    const stale = d.heartbeat_age_s !== null && d.heartbeat_age_s > STALE_HEARTBEAT_S;
    const up = d.started_at ? ` · up ${dur(Math.max(0, Math.round((Date.parse(s.generated_at) - Date.parse(d.started_at)) / 1000)))}` : '';
    out.push(`${p.bold('swarm')} daemon pid ${d.pid} · ${stale ? p.red(`${hb} (stale: hung?)`) : hb}${up}`);
    if (d.draining) out.push(p.yellow('DRAINING: no new work; running agents finish (signal again to stop them)'));
    if (d.sandbox === 'unconfined') out.push(p.red(clip('UNCONFINED: agent.sandbox is off; agents run with your files, logins and network', width)));
  } else {
    out.push(`${p.bold('swarm')} daemon ${p.dim('not running')}`);
    if (s.running.length > 0) out.push(p.yellow(clip(`state shows ${s.running.length} claimed ticket(s); the next \`swarm start\` recovers them`, width)));
  }
  // Messages that carry their fix are wrapped, never cut.
  if (d.config_error) for (const line of wrap(`config error (running on the last good config): ${d.config_error}`, width)) out.push(p.red(line));
  if (d.tracker_error) {
    out.push(p.red(p.bold(clip(`TRACKER REFUSES THE POLL since ${shortTime(d.tracker_error.since)} (not retried)`, width))));
    for (const line of wrap(d.tracker_error.message, width - 2)) out.push(p.red(`  ${line}`));
  }
  for (const w of d.warnings ?? []) {
    // The warning carries the fix: wrapped, not clipped.
    const [first, ...rest] = wrap(`warning: ${w}`, width - 2);
    out.push(p.yellow(first ?? ''), ...rest.map((l) => p.yellow(`  ${l}`)));
  }
  if (s.pause) {
    const until = s.pause.until ? `until ${shortTime(s.pause.until)} (${dur(s.pause.remaining_s ?? 0)} left)` : s.pause.kind === 'disk_full' ? 'until there is room to write again' : 'until `swarm resume`';
    const kind = s.pause.kind === 'disk_full' ? 'disk full' : s.pause.kind;
    out.push(p.yellow(p.bold(clip(`PAUSED (${kind}${s.pause.limit_type ? `, ${s.pause.limit_type}` : ''}) ${until}`, width))));
    // The reason carries the fix (a login to renew, a config file to repair, a permission to grant): wrapped, not clipped.
    for (const line of wrap(s.pause.reason, width - 2)) out.push(p.yellow(`  ${line}`));
  }

  const vlook = { width, bold: p.bold, dim: p.dim, warn: p.yellow, red: p.red, green: p.green, time: shortTime };
  // A red base holds work like a pause: shown with the pauses, with its reason.
  if (s.verification) out.push(...renderBaseBanner(s.verification, vlook));
  if (s.webhooks) out.push(...renderWebhooks(s.webhooks, { warn: p.yellow, dur, time: shortTime, clip: (x) => clip(x, width) }));
  if (s.fleet) out.push('', ...renderFleet(s.fleet, (x) => clip(x, width), (x) => p.red(p.bold(x))));
  const look = { width, bold: p.bold, warn: p.yellow, dim: p.dim, time: shortTime, dur };
  if (s.account) out.push('', ...renderAccount(s.account, look));

  out.push('');
  const cap = d.max_concurrent ? ` of ${d.max_concurrent}` : '';
  out.push(p.bold(`Running (${s.running.length}${cap})`));
  if (s.running.length === 0) out.push(p.dim('  none'));
  for (const r of s.running) {
    const cols = `  ${id(r.ticket)} ${cell(r.model.replace(/^claude-/, '') || '-', 8)} ${cell(r.model ? dur(r.elapsed_s) : 'starting', 8)} ${cell(`$${r.cost_usd.toFixed(2)}`, 7)} `;
    out.push(cols + clip(r.title, rest(cols.length)));
    out.push(p.dim(`${under}${clip(`${attemptWords(r.attempt, r.failures, r.max_attempts)} · ${r.last_event || 'no agent output yet'}`, rest(under.length))}`));
  }

  out.push('');
  out.push(p.bold(`Retry queue (${s.retry_queue.length})`));
  if (s.retry_queue.length === 0) out.push(p.dim('  none'));
  for (const r of s.retry_queue) {
    const due = r.due_in_s === null ? 'after pause' : r.due_in_s === 0 ? 'due now' : `in ${dur(r.due_in_s)}`;
    const cols = `  ${id(r.ticket)} ${cell(due, 11)} `;
    out.push(cols + clip(`${r.failures} failure(s) · ${r.reason || 'waiting'}`, rest(cols.length)));
    if (r.lane) out.push(p.dim(`${under}${clip(`${r.lane} lane${r.waiting_because ? ` · then waits: ${r.waiting_because}` : ''}`, rest(under.length))}`));
    if (r.last_words) out.push(...lastWordsLines(r.last_words, under, width, p));
  }
  if (s.waiting) out.push('', ...renderWaiting(s.waiting, look));

  if (s.watched.length > 0) out.push('', ...renderWatched(s.watched, width, look));
  const v = s.verification;
  if (v && (v.tickets.length > 0 || v.reverts > 0 || v.results.green + v.results.red > 0)) out.push('', ...renderVerification(v, vlook));

  out.push('');
  out.push(p.bold(`Recently finished (${s.recent.length})`));
  if (s.recent.length === 0) out.push(p.dim('  none'));
  for (const r of s.recent) {
    const cols = `  ${id(r.ticket)} `;
    out.push(cols + p.green(clip(r.pr_url ?? `handed off (${r.outcome || 'branch'})`, rest(cols.length))));
    out.push(p.dim(`${under}${clip(`${r.title} · ${r.attempts} attempt(s) · $${r.cost_usd.toFixed(2)}`, rest(under.length))}`));
  }

  if (s.failed.length > 0) {
    out.push('');
    out.push(p.bold(p.red(`Failed (${s.failed.length})`)) + p.dim(' — `swarm retry <ticket>` to try again'));
    for (const f of s.failed) {
      const cols = `  ${id(f.ticket)} `;
      wrap(`${f.failures} failures · ${f.reason}`, rest(cols.length)).forEach((line, i) => out.push((i === 0 ? cols : under) + p.red(line)));
      out.push(p.dim(`${under}${clip(f.title, rest(under.length))}`));
      if (f.last_words) out.push(...lastWordsLines(f.last_words, under, width, p));
    }
  }
  if (s.untrusted.length > 0) {
    out.push('');
    out.push(p.bold(p.yellow(`Held as untrusted (${s.untrusted.length})`)) + p.dim(' — not worked on until a trusted user acts'));
    for (const u of s.untrusted) {
      const cols = `  ${id(u.ticket)} `;
      wrap(u.reason, rest(cols.length)).forEach((line, i) => out.push((i === 0 ? cols : under) + p.yellow(line)));
      for (const line of wrap(`fix: ${u.fix}`, rest(under.length))) out.push(p.dim(`${under}${line}`));
    }
  }
  if (s.other.length > 0) {
    out.push('');
    out.push(p.bold(`Other (${s.other.length})`));
    for (const o of s.other) out.push(`  ${id(o.ticket)} ${clip(`${o.status} · ${o.last_event || o.title}`, rest(idw + 3))}`);
  }

  out.push('');
  const t = s.totals;
  const tokens = t.tokens.input + t.tokens.output + t.tokens.cacheRead + t.tokens.cacheCreation;
  const byOutcome = Object.entries(t.attempts).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  out.push(clip(`Today ${t.date}: $${t.cost_usd.toFixed(2)} · ${fmtNum(tokens)} tokens · ${t.prs} PR(s)`, width));
  out.push(clip(`Attempts today: ${byOutcome}`, width));
  return terminalSafe(out.join('\n') + '\n', p.sgr);
}

/**
 * Attempts as they happened: "attempt 5 · 1 of 3 failures used". The attempt number counts every run (an
 * auth pause or an interrupted run included), so it can pass max_attempts; only counted failures use it up.
 */
export function attemptWords(attempt: number, failures: number, maxAttempts: number): string {
  return `attempt ${attempt} · ${failures} of ${maxAttempts} failures used`;
}

/** The agent's own last words, quoted, at most three lines. */
function lastWordsLines(words: string, indent: string, width: number, p: Paint): string[] {
  const lines = wrap(`last words: “${words}”`, Math.max(20, width - indent.length));
  const shown = lines.length > 3 ? [...lines.slice(0, 2), clip(`${lines[2]!} …`, Math.max(20, width - indent.length))] : lines;
  return shown.map((l) => p.dim(`${indent}${l}`));
}

/** "2025-03-01T14:05:09.000Z" → "2025-03-01 14:05 UTC" (deterministic: no local time zone). */
export function shortTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** A fixed-width column: padded, or clipped with an ellipsis. */
function cell(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s + ' '.repeat(n - s.length);
}

function id(s: string): string { return s; }
/** Words onto lines of at most `n` characters; a word longer than a line (a URL) is broken, never cut. */
function wrap(s: string, n: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of s.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > n) { lines.push(line); line = ''; }
    while (!line && word.length > n) { lines.push(word.slice(0, n)); word = word.slice(n); }
    line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}
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
