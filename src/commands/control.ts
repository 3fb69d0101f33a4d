// `swarm pause [--for DURATION]`, `swarm resume`, `swarm retry <ticket>`, `swarm release <ticket>`: act on
// the running daemon through its control socket; with no daemon running here, act on the whole fleet
// through its database (fleet mode: WORKFLOW.md sets state.url), else on state.json under the lock.
import { parseDuration } from '../config/duration.js';
import { liveHolder, sendControl } from '../control/client.js';
import type { ControlAction, ControlAnswer } from '../core/controls.js';
import type { SwarmPaths } from '../state/paths.js';
import { cloneFleet, type CloneFleet } from '../fleet/settings.js';
import { Logger } from '../log/logger.js';
import { budgetZoneFor, setBudgetZone } from '../core/budget-day.js';
import type { IO } from './common.js';
import { commandContext } from './context.js';
import { UsageError } from '../errors.js';

export async function controlCommand(action: ControlAction, io: IO, now: () => number = Date.now, opts: { workflow?: string } = {}): Promise<number> {
  const ctx = commandContext(io, { workflow: opts.workflow });
  const paths = ctx.paths;
  const fleet = liveHolder(paths) ? null : await cloneFleet(ctx.repoDir, ctx.workflowPath, io.env);
  const res = fleet ? await viaFleet(fleet, paths, action, io, now) : await sendControl(ctx.repoDir, paths, action, now);
  const where = res.via === 'state' ? ' (no daemon running: state.json updated; it applies at the next `swarm start`)' : '';
  if (res.unknown) throw new UsageError(res.message);
  (res.ok ? io.stdout : io.stderr).write(`${res.ok ? '' : 'swarm: '}${res.message}${res.ok ? where : ''}\n`);
  return res.ok ? 0 : 1;
}

/** No daemon here, fleet mode: the request goes to the fleet's database (pg is loaded only now). */
async function viaFleet(fleet: CloneFleet, paths: SwarmPaths, action: ControlAction, io: IO, now: () => number): Promise<ControlAnswer> {
  const { openPool, redactedUrl } = await import('../backend/postgres/connect.js');
  const { migrate } = await import('../backend/postgres/migrate.js');
  const { fleetControl } = await import('../backend/postgres/remote-control.js');
  const where = redactedUrl(fleet.url);
  const cfg = fleet.workflow.config;
  setBudgetZone(budgetZoneFor(cfg)); // the scope row's "today" is the fleet's budget day
  const pool = openPool(fleet.url, io.env, { max: 2, onError: () => undefined });
  try {
    try {
      await migrate(pool, { displayUrl: where }); // a fleet no daemon has started yet still takes the request
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === 'ECONFIG' || e.code === 'EMIGRATE') throw e;
      throw new Error(`no daemon runs in this clone and the fleet database at ${where} does not answer (${e.message}): nothing was changed; check state.url and PostgreSQL, or start the daemon here`);
    }
    const log = new Logger({ eventsFile: paths.events, out: null, now });
    // A daemon answers at its next poll: wait about three of them, within reason for a command line.
    const waitMs = Math.min(60_000, Math.max(5_000, 3 * cfg.polling.interval));
    return await fleetControl(action, { pool, scope: fleet.scope, ttlMs: cfg.state.lease_ttl, waitMs, where, log, now });
  } finally {
    await pool.end().catch(() => undefined);
  }
}

export function pauseAction(opts: { for?: string }, now: number): ControlAction {
  if (opts.for === undefined) return { kind: 'pause', untilMs: null };
  let ms: number;
  try {
    ms = parseDuration(opts.for, '--for', 'the command line');
  } catch {
    throw new UsageError(`--for must be a duration like 30m, 2h or 1d (got "${opts.for}")`);
  }
  if (ms <= 0) throw new UsageError('--for must be longer than zero');
  return { kind: 'pause', untilMs: now + ms };
}
