// Daemon side of the control channel: the API router served on a Unix socket (HTTP over the socket); the
// caller publishes where it listens (the daemon's report, `.swarm/daemon.json`) through `listening`. The socket is created 0600 (and a
// fallback one lives in a 0700 folder), so only this user can pause, resume, retry or release.
import { chmodSync, rmSync } from 'node:fs';
import type { DaemonHandle } from '../server/api.js';
import { closeServer, createApiServer } from '../server/http.js';
import { defaultSocketPath, prepareSocketDir } from './endpoint.js';

export interface ControlSocket {
  socket: string;
  close(): Promise<void>;
}

/** Call only while holding the daemon lock: a socket file left by a crashed daemon is removed first. */
export async function startControlSocket(opts: { repoDir: string; handle: DaemonHandle; listening: (socket: string | null) => void; onError?: (msg: string) => void }): Promise<ControlSocket> {
  const socket = defaultSocketPath(opts.repoDir);
  prepareSocketDir(socket, opts.repoDir);
  rmSync(socket, { force: true });
  const server = createApiServer(opts.handle, null, opts.onError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  chmodSync(socket, 0o600);
  server.on('error', (err) => opts.onError?.(`control socket: ${err.message}`));
  opts.listening(socket);
  let closed = false;
  return {
    socket,
    async close() {
      if (closed) return;
      closed = true;
      opts.listening(null);
      await closeServer(server);
      rmSync(socket, { force: true });
    },
  };
}
