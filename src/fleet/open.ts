// Joining the fleet at start-up (`state.url` set): open the pool, apply the migrations under their advisory
// lock (refusing a database newer than this swarm), register this daemon, read the whole shared picture,
// and adopt what a predecessor on this host left newer in the local journal than in the database (a crash
// between the journal write and the push). Only `swarm start` loads this module (and pg).
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { FileStateStore } from '../state/file-store.js';
import type { SwarmState, TicketState } from '../core/types.js';
import { processStartTime } from '../agent/procs.js';
import { openPool, redactedUrl } from '../state/pg/connect.js';
import { migrate } from '../state/pg/migrate.js';
import { FleetDb, type Me } from './db.js';
import { PgCoordinator } from './pg-coordinator.js';
import { daemonId, newInstanceId, placeOfThisProcess } from './identity.js';
import { PgStateStore } from './pg-store.js';

export interface Fleet {
  coordinator: PgCoordinator;
  store: PgStateStore;
  db: FleetDb;
  pool: pg.Pool;
}

export interface OpenFleetOptions {
  url: string;
  env: Record<string, string | undefined>;
  config: Config;
  /** The tracker scope these daemons share, e.g. "github:acme/widgets". */
  scope: string;
  repoDir: string;
  journal: FileStateStore;
  log: Logger;
  live: () => { running: number; max_concurrent: number; draining: boolean };
  account?: string | null;
}

/** Connection attempts at start-up before giving up with a clear error (the database may be starting too). */
const START_TRIES = 3;

export async function openFleet(o: OpenFleetOptions): Promise<Fleet> {
  const pool = openPool(o.url, o.env, { onError: (err) => o.log.debug(`fleet database: ${err.message}`) });
  for (let i = 1; ; i++) {
    try {
      const { applied, current } = await migrate(pool, { displayUrl: redactedUrl(o.url) });
      if (applied.length > 0) o.log.info(`fleet database ${redactedUrl(o.url)}: applied migration(s) ${applied.join(', ')} (schema ${current})`);
      break;
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === 'ECONFIG' || i >= START_TRIES) {
        await pool.end().catch(() => undefined);
        throw e.code === 'ECONFIG' ? e : new Error(`cannot reach the fleet database at ${redactedUrl(o.url)} (${e.message}): check state.url and that PostgreSQL is running`);
      }
      await new Promise((r) => setTimeout(r, 500 * 2 ** i));
    }
  }
  const db = new FleetDb(pool);
  const pidStart = processStartTime(process.pid);
  // Never the hostname alone: a random instance id, and where it runs (for local process checks).
  const instance = newInstanceId();
  const place = placeOfThisProcess();
  // host:pid:start:instance — a swarm of the previous schema still reads host, pid and start time from it.
  const me: Me = { scope: o.scope, id: daemonId(hostname(), process.pid, `${pidStart ?? '-'}:${instance}`), account: o.account ?? null };
  const coordinator = new PgCoordinator({ db, me, place, ttlMs: o.config.state.lease_ttl, log: o.log, live: o.live });
  const store = new PgStateStore(o.journal, db, me, {
    owns: (k) => coordinator.owns(k),
    lost: (keys) => {
      o.log.warn(`the database refused writes for ${keys.join(', ')}: another daemon holds them now`);
      coordinator.lose(keys);
    },
    failed: (err) => o.log.debug(`fleet push deferred: ${err.message}`),
  });
  coordinator.store = store;
  await db.register(me, { host: hostname(), pid: process.pid, pid_start: pidStart, started_at: new Date().toISOString(), max_concurrent: o.config.agent.max_concurrent, repo_dir: o.repoDir, account: o.account ?? null, instance, place });
  return { coordinator, store, db, pool };
}

/**
 * After the first snapshot: records the journal holds newer than the database (a crash between this
 * host's journal write and its push) are taken back — their lease was held by a predecessor here, so
 * it is free at once — and sent again. Returns the keys adopted.
 */
export async function adoptNewer(fleet: Fleet, state: SwarmState, journal: Record<string, TicketState>): Promise<string[]> {
  const adopted: string[] = [];
  for (const [key, mine] of Object.entries(journal)) {
    const db = state.tickets[key];
    if (db && db.rev >= mine.rev) continue;
    if ((await fleet.coordinator.acquire(key)) === null) continue;
    state.tickets[key] = mine;
    fleet.store.mark(key);
    adopted.push(key);
  }
  if (adopted.length > 0) await fleet.store.flush();
  return adopted;
}

export { fleetScope } from './scope.js';
