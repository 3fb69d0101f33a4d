// openPool() against a real PostgreSQL: settings reach the server, PGPASSWORD is used, and connections the
// server drops (a terminated backend, a server restart) reach onError instead of crashing the process.
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { openPool, type OpenPoolOptions } from '../../src/backend/postgres/connect.js';
import { runSql, startPostgres, type PostgresServer } from '../helpers/postgres.js';

let server: PostgresServer;
const pools: pg.Pool[] = [];

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.close();
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end().catch(() => {})));
});

function pool(url: string, opts: OpenPoolOptions = {}, env: Record<string, string> = {}): pg.Pool {
  const p = openPool(url, env, opts);
  pools.push(p);
  return p;
}

/** Terminate every backend of `db` opened by swarm, from an admin session. */
async function terminate(db: string): Promise<number> {
  const rows = await runSql<{ ok: boolean }>(
    server.adminUrl,
    "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'swarm'",
    [db],
  );
  return rows.length;
}

describe('openPool', () => {
  test('connects with application_name swarm and the statement timeout set on the server', async () => {
    const p = pool(await server.createDatabase());
    const { rows } = await p.query("SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS st");
    expect(rows[0]).toEqual({ app: 'swarm', st: '10s' });
  });

  test('takes the password from PGPASSWORD when the URL has none', async () => {
    const url = (await server.createDatabase()).replace(`:${encodeURIComponent(server.password)}@`, '@');
    expect(url).not.toContain(encodeURIComponent(server.password));
    const p = pool(url, {}, { PGPASSWORD: server.password });
    expect((await p.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  test('the statement timeout cancels a long query on the server', async () => {
    const p = pool(await server.createDatabase(), { statementTimeoutMs: 200 });
    await expect(p.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
  });

  test('an idle pooled client dropped by the server goes to onError, and the pool recovers', async () => {
    const errors: Error[] = [];
    const url = await server.createDatabase();
    const p = pool(url, { onError: (e) => errors.push(e) });
    await p.query('SELECT 1'); // leaves one idle client
    expect(await terminate(url.split('/').pop()!)).toBe(1);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]!.message).toMatch(/terminat/);
    expect((await p.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  test('a checked-out client dropped between queries goes to onError once, not to an unhandled error', async () => {
    const errors: Error[] = [];
    const url = await server.createDatabase();
    const p = pool(url, { onError: (e) => errors.push(e) });
    const client = await p.connect(); // held, as the store will hold one for a session advisory lock
    await client.query('SELECT 1');
    await terminate(url.split('/').pop()!);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    expect(errors).toHaveLength(1);
    expect((await p.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });

  test('survives a server outage: queries fail while it is down and work once it is back', async () => {
    const errors: Error[] = [];
    const url = await server.createDatabase();
    const p = pool(url, { onError: (e) => errors.push(e), connectTimeoutMs: 2_000 });
    await p.query('SELECT 1');
    await server.stop();
    try {
      await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1)); // the idle client was cut
      await expect(p.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await server.start();
    }
    expect((await p.query('SELECT 4 AS four')).rows).toEqual([{ four: 4 }]);
  });
});
