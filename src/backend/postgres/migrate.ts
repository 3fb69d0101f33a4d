// Schema migrations for the shared Postgres state: `migrations/NNNN_name.sql` beside this module, applied
// in order, each in its own transaction, recorded in swarm_schema_migrations. Several daemons may start at
// once against one database, so the whole run holds a session advisory lock on one dedicated connection;
// the second daemon waits, then finds nothing left to do. A database migrated by a newer swarm is refused
// rather than written with an older idea of the schema.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { ConfigError, SwarmError } from '../../errors.js';

/**
 * The migrations folder, beside this module both as `src/backend/postgres/migrate.ts` (tests) and as
 * `dist/backend/postgres/migrate.js` (the build copies the .sql files there: scripts/copy-migrations.mjs).
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** The pg_advisory_lock key every swarm takes to migrate: the first 8 bytes of sha256('swarm:migrate'). */
export const MIGRATE_LOCK_KEY: bigint = createHash('sha256').update('swarm:migrate').digest().readBigInt64BE(0);

/** How long a migration run may wait for the lock, and how long one migration may run; default 2 min. */
const DEFAULT_TIMEOUT_MS = 120_000;

export interface Migration {
  version: number;
  name: string; // the file name without `.sql`, e.g. `0001_init`
  file: string;
}

export interface MigrateOptions {
  dir?: string;
  log?: (line: string) => void;
  /** The database's URL, for messages (redact it first); default: built from the pool's host, port and database. */
  displayUrl?: string;
  timeoutMs?: number;
}

export interface MigrateResult {
  applied: number[];
  current: number;
}

const FILE = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;

/** The migrations in `dir`, in version order. Any other `.sql` name is an error, not a silent skip. */
export function listMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new SwarmError('EMIGRATE', `cannot read the swarm migrations folder ${dir}: ${(e as Error).message}; reinstall swarm`);
  }
  const out: Migration[] = [];
  for (const name of names) {
    if (!name.endsWith('.sql')) continue;
    const m = FILE.exec(name);
    if (m === null) throw new SwarmError('EMIGRATE', `${join(dir, name)}: a migration must be named NNNN_name.sql (lowercase, digits, _)`);
    const version = Number(m[1]);
    if (version === 0) throw new SwarmError('EMIGRATE', `${join(dir, name)}: migration numbers start at 0001`);
    const twin = out.find((x) => x.version === version);
    if (twin !== undefined) throw new SwarmError('EMIGRATE', `${dir}: two migrations have number ${m[1]} (${twin.name}.sql and ${name})`);
    out.push({ version, name: name.slice(0, -'.sql'.length), file: join(dir, name) });
  }
  return out.sort((a, b) => a.version - b.version);
}

/** The newest schema version this build's migrations folder describes. */
export function knownSchemaVersion(dir: string = MIGRATIONS_DIR): number {
  return listMigrations(dir).reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * The newest schema version this build knows, read from the packaged migrations at import. 0 when the
 * folder is missing or malformed (a broken install); migrate() then reports the actual problem.
 */
export const KNOWN_SCHEMA_VERSION: number = (() => {
  try {
    return knownSchemaVersion();
  } catch {
    return 0;
  }
})();

function describe(pool: pg.Pool): string {
  const o = pool.options;
  const auth = o.user ? `${encodeURIComponent(o.user)}${o.password ? ':***' : ''}@` : '';
  return `postgres://${auth}${o.host ?? 'localhost'}:${o.port ?? 5432}/${o.database ?? ''}`;
}

/**
 * Apply every migration in `dir` that the database has not seen, oldest first. Safe to call from many
 * processes at once: they serialise on MIGRATE_LOCK_KEY and each migration is applied exactly once.
 */
export async function migrate(pool: pg.Pool, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = listMigrations(opts.dir);
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = opts.log ?? (() => {});
  // The server's statement_timeout cancels a stuck wait cleanly; pg's client-side query_timeout is only the
  // backstop for a dead network, so it is a little longer. (query_timeout per query is pg API, untyped.)
  const q = (text: string, values?: unknown[]) => ({ text, values, query_timeout: timeoutMs + 5_000 }) as pg.QueryConfig;

  const client = await pool.connect();
  // A connection error between queries would otherwise be an unhandled 'error' event on this client.
  const onClientError = () => {};
  client.on('error', onClientError);
  let locked = false;
  let broken: Error | undefined;
  try {
    await client.query(q(`SET statement_timeout = ${Math.round(timeoutMs)}`));
    await client.query(q('SELECT pg_advisory_lock($1::bigint)', [MIGRATE_LOCK_KEY.toString()]));
    locked = true;
    await client.query(
      q(`CREATE TABLE IF NOT EXISTS swarm_schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now())`),
    );
    const rows = (await client.query<{ version: number }>(q('SELECT version FROM swarm_schema_migrations'))).rows;
    const done = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...done);
    if (newest > known) {
      const where = opts.displayUrl ?? describe(pool);
      throw new ConfigError(
        `the database at ${where} has swarm schema version ${newest}, newer than this swarm knows (${known}): ` +
          'upgrade swarm on this machine, or point state.url at another database',
      );
    }

    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      const sql = readFileSync(m.file, 'utf8');
      try {
        await client.query(q('BEGIN'));
        await client.query(q(sql));
        await client.query(q('INSERT INTO swarm_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]));
        await client.query(q('COMMIT'));
      } catch (e) {
        await client.query(q('ROLLBACK')).catch(() => {});
        throw Object.assign(new SwarmError('EMIGRATE', `migration ${m.name}.sql failed and was rolled back: ${(e as Error).message}`), { cause: e });
      }
      applied.push(m.version);
      log(`applied migration ${m.name}`);
    }
    return { applied, current: Math.max(newest, ...applied) };
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    if (locked) {
      await client.query(q('SELECT pg_advisory_unlock($1::bigint)', [MIGRATE_LOCK_KEY.toString()])).catch((e: Error) => {
        broken ??= e;
      });
    }
    // Destroy rather than reuse the connection after any failure: it may still hold the lock (a client-side
    // timeout leaves the server's wait running) or the session statement_timeout set above.
    if (broken !== undefined) client.release(broken);
    else {
      await client.query(q('RESET statement_timeout')).then(
        () => client.release(),
        (e: Error) => client.release(e),
      );
    }
    client.removeListener('error', onClientError);
  }
}
