// The TCP proxy that fleet tests put between a daemon and PostgreSQL to simulate partitions and refusals,
// exercised with the real pg client against a real server.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { poolConfig } from '../../src/backend/postgres/connect.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let server: PostgresServer;
let dbUrl: string;
let proxy: TcpProxy | undefined;

beforeAll(async () => {
  server = await startPostgres();
  dbUrl = await server.createDatabase();
});
afterAll(async () => {
  await server?.close();
});
afterEach(async () => {
  await proxy?.close(); // also frees clients stuck behind a blackhole
  proxy = undefined;
});

/** A pg client through the proxy that gives up on a query after 2 s and on connecting after 1 s. */
function client(p: TcpProxy): pg.Client {
  const url = dbUrl.replace(`:${server.port}/`, `:${p.port}/`);
  const c = new pg.Client(poolConfig(url, {}, { queryTimeoutMs: 2_000, connectTimeoutMs: 1_000 }));
  c.on('error', () => {}); // a cut connection errors; the test looks at query results
  return c;
}

async function one(c: pg.Client): Promise<number> {
  return (await c.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n;
}

describe('startTcpProxy', () => {
  test('forwards a pg connection, and counts it', async () => {
    proxy = await startTcpProxy(server.port);
    const c = client(proxy);
    await c.connect();
    expect(await one(c)).toBe(1);
    expect(proxy.connections()).toBe(1);
    await c.end();
    await expect.poll(() => proxy!.connections()).toBe(0);
  });

  test("cut('blackhole'): a query on an open connection never answers, new connections hang; restore() serves new clients", async () => {
    proxy = await startTcpProxy(server.port);
    const before = client(proxy);
    await before.connect();
    expect(await one(before)).toBe(1);

    proxy.cut('blackhole');
    await expect(before.query('SELECT 1')).rejects.toThrow('Query read timeout');
    await expect(client(proxy).connect()).rejects.toThrow(/timeout/i);
    expect(proxy.connections()).toBe(2); // both sockets left open, as in a partition

    proxy.restore();
    const after = client(proxy);
    await after.connect();
    expect(await one(after)).toBe(1);
    await after.end();
  });

  test("cut('refuse'): open connections are reset and new ones fail at once; restore() serves new clients", async () => {
    proxy = await startTcpProxy(server.port);
    const before = client(proxy);
    await before.connect();
    proxy.cut('refuse');
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await expect(client(proxy).connect()).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(proxy.connections()).toBe(0);

    proxy.restore();
    const after = client(proxy);
    await after.connect();
    expect(await one(after)).toBe(1);
    await after.end();
  });
});
