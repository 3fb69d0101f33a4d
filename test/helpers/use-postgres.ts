// One real PostgreSQL server per test file: started before the file's first test, closed after its last.
// Kept apart from postgres.ts, which the bench loads outside vitest.
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresServer } from './postgres.js';

export function usePostgres(): { readonly server: PostgresServer } {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('the PostgreSQL server is not started yet (use it inside a test or hook)');
      return server;
    },
  };
}
