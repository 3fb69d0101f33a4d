// The PostgreSQL backend (`state.url` set): open the pool, apply the migrations under their advisory lock
// (refusing a database newer than this swarm), register this daemon, read the whole shared picture, and
// adopt what a predecessor on this host left newer in the local journal than in the database (a crash
// between the journal write and the push). Only `swarm start` loads this module (and pg), through
// ../open.ts.
import { hostname } from 'node:os';
import type { Config } from '../../config/types.js';
import type { SwarmState, TicketState } from '../../core/types.js';
import { processStartTime } from '../../agent/procs.js';
import { daemonId, newInstanceId, placeOfThisProcess } from '../../fleet/identity.js';
import { fleetScope } from '../../fleet/scope.js';
import type { Backend, OpenBackendOptions } from '../types.js';
import { openPool, redactedUrl } from './connect.js';
import { migrate } from './migrate.js';
import { FleetDb, type Me } from './db.js';
import { PgLeases } from './leases.js';
import { PgStateStore } from './state-store.js';
import { PgControlRelay } from './control-relay.js';
import { PgFleetView } from './fleet-view.js';
import { PgAccountStore } from './account-store.js';

/** Connection attempts at start-up before giving up with a clear error (the database may be starting too). */
const START_TRIES = 3;

export async function openPostgres(config: Config, o: OpenBackendOptions & { url: string }): Promise<Backend> {
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
  const me: Me = { scope: fleetScope(config, o.repoSlug), id: daemonId(hostname(), process.pid, `${pidStart ?? '-'}:${instance}`), account: o.account ?? null };
  const leases = new PgLeases({ db, me, place, ttlMs: config.state.lease_ttl, log: o.log, live: o.live });
  const store = new PgStateStore(o.journal, db, me, {
    owns: (k) => leases.owns(k),
    lost: (keys) => {
      o.log.warn(`the database refused writes for ${keys.join(', ')}: another daemon holds them now`);
      leases.lose(keys);
    },
    failed: (err) => o.log.debug(`fleet push deferred: ${err.message}`),
  });
  leases.store = store;
  await db.register(me, { host: hostname(), pid: process.pid, pid_start: pidStart, started_at: new Date().toISOString(), max_concurrent: config.agent.max_concurrent, repo_dir: o.repoDir, account: o.account ?? null, instance, place });
  const controls = new PgControlRelay(db, me, leases);
  const journal = { ...o.state.tickets };
  try {
    await leases.start(o.state);
    await adoptNewer(leases, store, o.state, journal);
  } catch (err) {
    await leases.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw err;
  }
  return {
    kind: 'postgres',
    store,
    leases,
    controls,
    view: new PgFleetView(leases),
    accounts: (name) => {
      const account = new PgAccountStore(db, name);
      leases.onSnapshot((snap) => account.absorb(snap.account ?? null)); // each poll's snapshot carries its row
      return { store: account, file: null, where: 'the fleet database' };
    },
    now: () => leases.dbNow(),
    leaseTtl: config.state.lease_ttl,
    hintBus: async (onError) => {
      // LISTEN/NOTIFY on a connection of its own.
      const { PgWebhookBus } = await import('./webhook-bus.js');
      const bus = new PgWebhookBus({ url: o.url, env: o.env, pool, scope: me.scope, onError });
      await bus.start();
      return bus;
    },
    close: async () => {
      await leases.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

/**
 * After the first snapshot: records the journal holds newer than the database (a crash between this
 * host's journal write and its push) are taken back — their lease was held by a predecessor here, so
 * it is free at once — and sent again. Returns the keys adopted.
 */
async function adoptNewer(leases: PgLeases, store: PgStateStore, state: SwarmState, journal: Record<string, TicketState>): Promise<string[]> {
  const adopted: string[] = [];
  for (const [key, mine] of Object.entries(journal)) {
    const db = state.tickets[key];
    if (db && db.rev >= mine.rev) continue;
    if ((await leases.acquire(key)) === null) continue;
    state.tickets[key] = mine;
    store.mark(key);
    adopted.push(key);
  }
  if (adopted.length > 0) await store.flush();
  return adopted;
}
