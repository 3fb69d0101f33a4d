// Where a running daemon can be reached: its control socket (a Unix socket, HTTP on top) and, when
// `server.port` is set, its dashboard URL. The daemon records both in `.swarm/control.json`; clients read
// that record and fall back to the computed default path. Unix socket paths are limited to ~107 bytes, so
// a deep repository gets a short path under the temp dir, keyed by a hash of the repository path.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';

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

export function readControlRecord(file: string): ControlRecord | null {
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<ControlRecord>;
    if (typeof raw.pid !== 'number' || typeof raw.socket !== 'string') return null;
    return { pid: raw.pid, socket: raw.socket, url: typeof raw.url === 'string' ? raw.url : null };
  } catch {
    return null;
  }
}

export function writeControlRecord(file: string, rec: ControlRecord): void {
  writeFileAtomic(file, JSON.stringify(rec) + '\n');
}

export function removeControlRecord(file: string, pid = process.pid): void {
  const rec = readControlRecord(file);
  if (rec && rec.pid === pid) rmSync(file, { force: true });
}
