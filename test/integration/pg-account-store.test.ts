// Fleet mode's account store (PgAccountStore, swarm_accounts) against a real PostgreSQL started by the suite:
// three daemons' stores, each on its own pool (its own connections), update one account row at the same
// moments. The version check must make a loser re-read and re-apply its change, so no update is lost; and
// of three daemons asking for the canary after a limit at once, exactly one is granted it.
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPool } from '../../src/backend/postgres/connect.js';
import { migrate } from '../../src/backend/postgres/migrate.js';
import { FleetDb } from '../../src/backend/postgres/db.js';
import { PgAccountStore } from '../../src/backend/postgres/account-store.js';
import { claimCanary, withLimit, withMember } from '../../src/core/account-record.js';
import { runSql } from '../helpers/postgres.js';
import { usePostgres } from '../helpers/use-postgres.js';

const postgres = usePostgres();
const pools: pg.Pool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end().catch(() => {})));
});

async function stores(n: number, name: string): Promise<{ url: string; stores: PgAccountStore[] }> {
  const url = await postgres.server.createDatabase();
  const out: PgAccountStore[] = [];
  for (let i = 0; i < n; i++) {
    const pool = openPool(url);
    pools.push(pool);
    if (i === 0) await migrate(pool);
    out.push(new PgAccountStore(new FleetDb(pool), name));
  }
  return { url, stores: out };
}

const NOW = Date.parse('2026-12-03T12:00:00.000Z');

describe('PgAccountStore on a real PostgreSQL', () => {
  it('three daemons updating one account row at once: every update kept, the version counts them all', async () => {
    const { url, stores: [a, b, c] } = await stores(3, 'team');
    const N = 25;
    // Each daemon sends its own changes one at a time, in order (as SharedAccount does); the three race.
    const writer = async (s: PgAccountStore, id: string) => {
      for (let i = 0; i < N; i++) await s.update((r) => withMember(r, `${id}-${i}`, { host: id, pid: i, repo: 'o/r' }, NOW));
    };
    await Promise.all([writer(a!, 'd1'), writer(b!, 'd2'), writer(c!, 'd3')]);
    const rec = await a!.read();
    expect(Object.keys(rec.members)).toHaveLength(3 * N);
    const [row] = await runSql<{ version: string }>(url, "SELECT version FROM swarm_accounts WHERE name = 'team'");
    expect(Number(row!.version)).toBe(3 * N); // one row version per kept update: none overwrote another
  }, 60_000);

  it('after a limit, three daemons asking for the canary at once: exactly one holds it', async () => {
    const { stores: ss } = await stores(3, 'team');
    // The limit has ended: the canary is pending and nobody holds it yet.
    await ss[0]!.update((r) => withLimit(r, { until: new Date(NOW - 1000).toISOString(), reason: 'limit', limit_type: 'five_hour', by: 'd1' }, NOW - 5000));
    const granted = await Promise.all(ss.map(async (s, i) => {
      let got = false;
      await s.update((r) => {
        const c = claimCanary(withMember(r, `d${i + 1}`, { host: 'h', pid: i, repo: 'o/r' }, NOW), `d${i + 1}`, NOW);
        got = c.granted;
        return c.rec;
      });
      return got;
    }));
    expect(granted.filter(Boolean)).toHaveLength(1);
    const rec = await ss[1]!.read();
    expect(rec.canary.holder).toBe(`d${granted.indexOf(true) + 1}`);
  }, 60_000);
});
