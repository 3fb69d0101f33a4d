// One pooled connection for a transaction of several statements. node-postgres leaves three things to the
// caller, each a leak or a crash when forgotten: an 'error' event on an idle checked-out client is
// unhandled unless listened for; a statement that throws leaves the transaction open on that connection;
// and a connection that failed must be destroyed, not handed back to the pool (`release(err)`).
// `fn` sends its own BEGIN and COMMIT (or ROLLBACK and returns early); a throw is rolled back here.
import type pg from 'pg';

export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const onError = () => {};
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (err) {
    broken = err as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
