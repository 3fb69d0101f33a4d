// Making sure test PostgreSQL servers do not outlive their test run. Each server lives in its own
// os.tmpdir()/swarm-pg-XXXXXX/ with an owner.json naming the test process (pid and kernel start time, so a
// reused pid is not mistaken for it). A process that exits without close() kills its servers in an 'exit'
// hook; a process killed outright leaves them behind, and the next startPostgres() — in any run — finds
// directories whose owner is gone, shuts their postmaster down and removes them.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SERVER_DIR_PREFIX = 'swarm-pg-';

export interface Owner {
  pid: number;
  pidStart: string | null;
}

/** The kernel's start time of `pid` (Linux), so a reused pid is not mistaken for the owner. */
export function pidStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerAlive(o: Owner): boolean {
  if (!alive(o.pid)) return false;
  const now = pidStart(o.pid);
  return o.pidStart === null || now === null || now === o.pidStart;
}

function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Immediate shutdown of the postmaster serving `dataDir`, if it is still that postmaster. */
function killPostmaster(dataDir: string, signal: NodeJS.Signals): number | null {
  const pid = postmasterPid(dataDir);
  if (pid === null || !alive(pid)) return null;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes(dataDir)) return null; // the pid was reused by something else
  } catch {
    // no /proc (macOS): trust postmaster.pid
  }
  try {
    process.kill(pid, signal);
  } catch {
    return null;
  }
  return pid;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Remove servers left behind by test processes that died without close(). */
export function sweepStaleServers(root: string = tmpdir()): void {
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((n) => n.startsWith(SERVER_DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(root, name);
    try {
      let stale: boolean;
      try {
        stale = !ownerAlive(JSON.parse(fs.readFileSync(join(dir, 'owner.json'), 'utf8')) as Owner);
      } catch {
        stale = Date.now() - fs.statSync(dir).mtimeMs > 60_000; // no owner file: only once clearly abandoned
      }
      if (!stale) continue;
      const data = join(dir, 'data');
      const pid = killPostmaster(data, 'SIGQUIT');
      for (let i = 0; pid !== null && alive(pid) && i < 50; i++) sleepSync(100);
      if (pid !== null && alive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // best effort: another process may be sweeping the same directory
    }
  }
}

const live = new Set<{ dir: string; data: string }>();
let exitHook = false;

/** Kill this server and remove its directory if the process exits before close(). */
export function killOnExit(entry: { dir: string; data: string }): () => void {
  live.add(entry);
  installExitHook();
  return () => live.delete(entry);
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const s of live) {
      killPostmaster(s.data, 'SIGQUIT');
      try {
        fs.rmSync(s.dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
      } catch {
        // the next run's sweep removes it
      }
    }
  });
}
