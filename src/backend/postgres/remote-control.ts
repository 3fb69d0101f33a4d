// `swarm pause|resume|retry|release` in a fleet clone whose own daemon is not running: the request goes to
// the fleet through the database. A pause or resume is folded into the shared scope row under its version
// check, so every daemon stops (or starts) claiming at its next poll and no daemon's own scope change is
// lost. A retry or release is passed, like a daemon passes it, to the live daemon holding the ticket — or,
// when nobody holds it, to whichever live daemon polls first (it takes the lease and applies it); with no
// daemon running anywhere the record is changed here, under a lease of this command's own, and the tracker
// is brought in line by the first daemon to start.
import { hostname } from 'node:os';
import type pg from 'pg';
import type { ControlAction, ControlAnswer } from '../../core/controls.js';
import { findTicketState } from '../../core/ticket-keys.js';
import { pauseControl, releaseControl, resumeControl, retryControl, type Control } from '../../core/controls.js';
import { processStartTime } from '../../agent/procs.js';
import { emptyState } from '../../state/empty-state.js';
import { applyScope } from '../../core/fold.js';
import { checkTicket } from '../../state/validate.js';
import type { SwarmState } from '../../core/types.js';
import type { Logger } from '../../log/logger.js';
import { FleetAdmin } from './admin-db.js';
import { FleetDb, type Me } from './db.js';
import { daemonId } from '../../fleet/identity.js';
import { parseScope } from './state-store.js';

export interface FleetControlOptions {
  pool: pg.Pool;
  scope: string;
  /** state.lease_ttl: a daemon silent for longer is not counted as running. */
  ttlMs: number;
  /** How long to wait for a daemon's answer to a retry or release. */
  waitMs: number;
  /** The database as shown in messages (password masked). */
  where: string;
  /** The clone's events.jsonl logger: the steps applied here are logged like a daemon logs them. */
  log: Logger;
  now?: () => number;
}

export async function fleetControl(action: ControlAction, o: FleetControlOptions): Promise<ControlAnswer> {
  const now = o.now ?? Date.now;
  const me: Me = { scope: o.scope, id: daemonId(hostname(), process.pid, processStartTime(process.pid)) };
  const db = new FleetDb(o.pool);
  if (action.kind === 'pause' || action.kind === 'resume') return scopeControl(action, db, me, o, now);
  return ticketControl(action, db, new FleetAdmin(o.pool), me, o, now);
}

async function scopeControl(action: Extract<ControlAction, { kind: 'pause' | 'resume' }>, db: FleetDb, me: Me, o: FleetControlOptions, now: () => number): Promise<ControlAnswer> {
  for (let round = 0; round < 8; round++) {
    const row = await db.readScope(me);
    const t = now();
    const state: SwarmState = { ...emptyState(t), ...(row ? parseScope(row.record, t) : {}) };
    const control = action.kind === 'pause' ? pauseControl(state, action.untilMs, t) : resumeControl(state, t);
    if (!control.step) return answer(control, o, 'nothing to change');
    const next = control.step.events.reduce((s, ev) => applyScope(s, ev), { pause: state.pause, canary: state.canary, breaker: state.breaker, daily: state.daily });
    if ((await db.writeScope(me, next, row ? Number(row.version) : 0)) !== null) {
      for (const ev of control.step.events) o.log.event(ev);
      return answer(control, o, `every daemon of ${o.scope} sees it at its next poll`);
    }
    // A daemon wrote the scope meanwhile: read it again and apply the request to what it wrote.
  }
  throw new Error(`the fleet scope ${o.scope} in ${o.where} kept changing under this request (8 tries); try again`);
}

async function ticketControl(action: Extract<ControlAction, { kind: 'retry' | 'release' }>, db: FleetDb, admin: FleetAdmin, me: Me, o: FleetControlOptions, now: () => number): Promise<ControlAnswer> {
  const state = emptyState(now());
  for (const row of await admin.tickets(o.scope)) {
    const ts = checkTicket(row.key, row.record);
    if (typeof ts !== 'string') state.tickets[row.key] = ts;
  }
  const ts = findTicketState(state, action.ticket);
  if (!ts) {
    return { ok: false, unknown: true, via: 'fleet', message: `ticket ${action.ticket} is not known to the fleet (scope ${o.scope} in ${o.where}): it was never claimed; nothing to ${action.kind}` };
  }
  const daemons = await admin.liveDaemons(o.scope, o.ttlMs);
  const lease = await admin.liveLease(o.scope, ts.key);
  if (lease || daemons.length > 0) {
    // A daemon holds it (or may take it): the one that does applies it at its next poll, tracker included.
    const id = await db.requestControl(me, ts.key, action.kind === 'retry' && action.force ? 'retry-force' : action.kind);
    const deadline = now() + o.waitMs;
    while (now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const done = await db.controlAnswer(id);
      if (done) {
        const r = (done.result ?? { ok: false, message: `daemon ${done.done_by} gave no answer` }) as { ok: boolean; message: string };
        return { ok: r.ok, message: `${r.message} (applied by daemon ${done.done_by})`, via: 'fleet' };
      }
    }
    const who = lease ? `daemon ${lease.holder}, which holds ${ts.identifier},` : `the running daemons (${daemons.map((d) => `${d.host} pid ${d.pid}`).join(', ')})`;
    return { ok: true, via: 'fleet', message: `asked ${who} to ${action.kind} it; no answer within ${Math.round(o.waitMs / 1000)}s, so it is applied at the next poll that gets to it` };
  }
  // Nobody runs: change the record here, under a lease of this command's own so no daemon starting now races it.
  if ((await db.acquire(me, ts.key, o.ttlMs)) === null) return { ok: false, via: 'fleet', message: `a daemon took ${ts.identifier} just now; try again` };
  try {
    const control = action.kind === 'retry' ? retryControl(state, ts.key, now(), { force: action.force === true }) : releaseControl(state, ts.key, now());
    if (control.step?.ticket) {
      const written = await db.writeTickets(me, [{ key: ts.key, record: control.step.ticket }]);
      if (written.length === 0) return { ok: false, via: 'fleet', message: `the lease on ${ts.identifier} was lost before the change was written; try again` };
      for (const ev of control.step.events) o.log.event(ev);
    }
    return answer(control, o, 'no daemon of the fleet is running: the tracker is brought in line when one starts');
  } finally {
    await db.release(me, ts.key);
  }
}

function answer(control: Control, o: FleetControlOptions, note: string): ControlAnswer {
  const r = control.result;
  return { ok: r.ok, via: 'fleet', message: r.ok ? `${r.message} — fleet-wide, written to ${o.where} (${note})` : r.message };
}
