// Small waits for tests that assert what a daemon did NOT do: a free port to configure before it starts,
// and "nothing more happened for a while" (a counter that stopped moving).
import { createServer } from 'node:net';
import { waitFor } from './daemon.js';

/** A port free on 127.0.0.1 right now (for server.port before the daemon starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once `count()` has not changed for `ms` (e.g. a fake server's request log). */
export async function untilStill(count: () => number, what: string, ms = 500, timeoutMs = 20_000): Promise<void> {
  let seen = -1;
  await waitFor(async () => {
    await new Promise((r) => setTimeout(r, ms));
    const now = count();
    const still = now === seen;
    seen = now;
    return still;
  }, { timeoutMs, what });
}
