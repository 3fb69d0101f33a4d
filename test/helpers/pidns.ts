// A daemon on "another machine with the same host name": `swarm start` in a PID namespace of its own
// (`unshare --pid --fork --mount-proc`, plus `--user --map-root-user` when not root), so its pids — and its
// agents' — mean nothing to the daemons outside, exactly as on another host; its host name is this one's.
// The namespace's pid 1 is a shell that starts the daemon and then sleeps: killing the daemon does not end
// the namespace (the kernel would kill every process in it, agents included, and hide what swarm does).
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { BIN, isAlive, startedDaemons, waitFor, type Daemon } from './daemon.js';

export interface NamespacedDaemon extends Daemon {
  /** The daemon's pid as seen from here (null until it has started). */
  hostPid(): number | null;
}

/** Whether this machine lets the tests make PID namespaces (root, or unprivileged user namespaces). */
export function pidNamespacesWork(): boolean {
  try {
    execFileSync('unshare', [...userFlags(), '--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function userFlags(): string[] {
  return process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
}

function stat(pid: number): string[] | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Children of `ppid` (from /proc, as seen from here). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    const f = stat(Number(p));
    if (f && Number(f[1]) === ppid) out.push(Number(p));
  }
  return out;
}

export function startInPidNamespace(project: { dir: string; env: Record<string, string> }, args: string[] = ['start']): NamespacedDaemon {
  const script = '"$@" & exec sleep 2147483647';
  const proc = spawn('unshare', [...userFlags(), '--pid', '--fork', '--mount-proc', '--kill-child', 'sh', '-c', script, 'sh', process.execPath, BIN, ...args], {
    cwd: project.dir, env: project.env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  let pid: number | null = null;
  /** unshare → (ns pid 1: sh, then sleep) → the daemon. */
  const findPid = (): number | null => {
    if (pid !== null) return pid;
    for (const init of childrenOf(proc.pid!)) {
      for (const c of childrenOf(init)) {
        try {
          if (fs.readFileSync(`/proc/${c}/cmdline`, 'utf8').includes(BIN)) pid = c;
        } catch {
          /* gone */
        }
      }
    }
    return pid;
  };
  let done = false;
  const exited = (async () => {
    await waitFor(() => findPid() !== null || proc.exitCode !== null, { timeoutMs: 60_000, intervalMs: 20, what: 'the namespaced daemon to start' });
    while (pid !== null && isAlive(pid)) await new Promise((r) => setTimeout(r, 25));
    done = true;
    return { code: null, signal: null };
  })();
  const signal = (sig: NodeJS.Signals) => {
    const p = findPid();
    if (p !== null && !done) process.kill(p, sig);
  };
  const daemon: NamespacedDaemon = {
    proc,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    exited,
    hostPid: findPid,
    async waitForOutput(re, timeoutMs = 30_000) {
      await waitFor(() => re.test(stdout) || proc.exitCode !== null, { timeoutMs, what: `daemon output ${re}` });
      const m = stdout.match(re);
      if (!m) throw new Error(`the namespaced daemon ended before printing ${re}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      return m;
    },
    kill(sig = 'SIGTERM') {
      signal(sig);
    },
    async stop() {
      if (!done) {
        signal('SIGCONT');
        signal('SIGTERM');
        const k = setTimeout(() => signal('SIGKILL'), 20_000);
        await exited.catch(() => undefined);
        clearTimeout(k);
      }
      // The namespace's init last: whatever is left in it dies with it.
      proc.kill('SIGKILL');
      await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r(null) : proc.once('exit', r)));
    },
  };
  startedDaemons.push(daemon);
  return daemon;
}
