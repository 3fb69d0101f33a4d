// Where a running daemon can be reached: its control socket (a Unix socket, HTTP on top) and, when
// `server.port` is set, its dashboard URL. The daemon records both in its report, `.swarm/daemon.json`
// (written as soon as the socket listens); clients read them there — only from the report of the lock's
// live holder — and fall back to the computed default path. Unix socket paths are limited to ~107 bytes, so
// a deep repository gets a short path under the temp dir, keyed by a hash of the repository path.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { liveReport } from '../report/daemon-report.js';

/** sun_path is 108 bytes on Linux (104 on macOS) including the NUL: stay well under both. */
export const MAX_SOCKET_PATH = 100;

export interface ControlRecord {
  pid: number;
  socket: string;
  /** Dashboard/API URL when server.port is set, else null. */
  url: string | null;
}

export function defaultSocketPath(repoDir: string, tmp = tmpdir(), uid = process.getuid?.() ?? 0): string {
  const inRepo = join(repoDir, '.swarm', 'control.sock');
  if (Buffer.byteLength(inRepo) <= MAX_SOCKET_PATH) return inRepo;
  const hash = createHash('sha256').update(repoDir).digest('hex').slice(0, 16);
  return join(tmp, `swarm-${uid}`, `${hash}.sock`);
}

/** Create the folder that holds a fallback socket privately (0700): only this user may connect. */
export function prepareSocketDir(socketPath: string, repoDir: string): void {
  const dir = dirname(socketPath);
  if (dir === join(repoDir, '.swarm')) mkdirSync(dir, { recursive: true });
  else mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Where the live daemon `holder` said it listens (its report), or null: no report of that pid, or no socket. */
export function readEndpoint(reportFile: string, holder: { pid: number } | null): ControlRecord | null {
  const r = liveReport(reportFile, holder);
  return r && r.socket !== null ? { pid: r.pid, socket: r.socket, url: r.url } : null;
}
