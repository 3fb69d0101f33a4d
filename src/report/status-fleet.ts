// The fleet part of the status snapshot (fleet mode, `state.url`): every daemon sharing the tickets (host,
// pid, heartbeat age, slots used of max) and every lease, as the daemon last saw them in the database.
// Pure, and as light as status.ts: no pg, no tracker code.
import type { FleetView } from '../core/views.js';
import type { ViewedState } from '../core/types.js';
import { dbDownMeaning } from '../core/views.js';

export interface FleetSnapshot {
  self: string;
  db: FleetView['db'];
  refreshed_at: string;
  daemons: { id: string; host: string; pid: number; heartbeat_age_s: number; running: number; max_concurrent: number; draining: boolean; stopped: boolean; self: boolean }[];
  leases: { key: string; ticket: string; holder: string; expires_in_s: number; agent_pid: number | null }[];
  /** This daemon's tickets whose lease the database has not confirmed lately: their publication waits. */
  unconfirmed: string[];
  /** While the database is unreachable: what that means here (dbDownMeaning), for every surface alike. */
  outage: string | null;
}

export function fleetSnapshot(state: ViewedState, now: number): FleetSnapshot | null {
  const f = state.fleet;
  if (!f) return null;
  const age = (iso: string) => Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const unconfirmed = (f.unconfirmed ?? []).map((k) => state.tickets[k]?.identifier ?? k);
  return {
    self: f.self,
    db: f.db,
    refreshed_at: f.refreshed_at,
    daemons: f.daemons.map((d) => ({ id: d.id, host: d.host, pid: d.pid, heartbeat_age_s: age(d.heartbeat_at), running: d.running, max_concurrent: d.max_concurrent, draining: d.draining, stopped: d.stopped, self: d.id === f.self })),
    leases: f.leases.map((l) => ({ key: l.key, ticket: state.tickets[l.key]?.identifier ?? l.key, holder: l.holder, expires_in_s: Math.round((Date.parse(l.expires_at) - now) / 1000), agent_pid: l.agent_pid })),
    unconfirmed,
    outage: f.db.status === 'ok' ? null : dbDownMeaning(unconfirmed),
  };
}

/** The fleet block of `swarm status`: one line per daemon, one per lease. */
export function renderFleet(f: FleetSnapshot, clip: (s: string) => string, bad: (s: string) => string): string[] {
  const out: string[] = [];
  // Wrapped, never clipped: what an outage means is the one thing on this screen that must be read whole.
  if (f.db.status !== 'ok') for (const l of wrap(`FLEET DATABASE UNREACHABLE since ${f.db.since}: ${f.outage ?? dbDownMeaning(f.unconfirmed)} (${f.db.error ?? 'no answer'})`, clip)) out.push(bad(l));
  const live = f.daemons.filter((d) => !d.stopped);
  out.push(`Fleet (${live.length} daemon(s), ${f.leases.length} lease(s))`);
  for (const d of f.daemons) {
    const state = d.stopped ? 'stopped' : `${d.running}/${d.max_concurrent} slots${d.draining ? ', draining' : ''}`;
    out.push(clip(`  ${d.self ? '*' : ' '} ${d.host} pid ${d.pid} · heartbeat ${d.heartbeat_age_s}s ago · ${state}`));
  }
  for (const l of f.leases) out.push(clip(`    ${l.ticket.padEnd(8)} held by ${l.holder}${l.agent_pid ? ` (agent ${l.agent_pid})` : ''} · expires in ${l.expires_in_s}s`));
  return out;
}

/** `text` in lines that `clip` leaves whole, broken between words. */
function wrap(text: string, clip: (s: string) => string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if (line !== '' && clip(next) !== next) {
      lines.push(line);
      line = `  ${word}`;
    } else {
      line = next;
    }
  }
  if (line !== '') lines.push(clip(line));
  return lines;
}
