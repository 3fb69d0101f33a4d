// Process-group primitives: identify a process across restarts (pid + start time, so a recycled pid is never
// mistaken for our agent), test whether a group still has live members, and terminate a whole group
// (TERM, then KILL after a grace) so tool grandchildren (test runners, `sleep`, dev servers) die with the agent.

import { readFileSync, readdirSync } from 'node:fs';

/** Fields after the `(comm)` field of /proc/<pid>/stat; comm may itself contain spaces and parens. */
function statFields(pid: number | string): string[] | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // fields[0] is field 3 (state), fields[2] is field 5 (pgrp), fields[19] is field 22 (starttime).
  return text.slice(close + 2).trim().split(' ');
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); null off Linux or if gone. */
export function processStartTime(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const fields = statFields(pid);
  return fields?.[19] ?? null;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** The process group `pid` belongs to (field 5 of its /proc stat); null when it cannot be read. */
export function groupOf(pid: number | 'self'): number | null {
  const g = Number(statFields(pid)?.[2]);
  return Number.isInteger(g) && g > 0 ? g : null;
}

/** Whether a live (non-zombie) process is in group `pgid`, by /proc alone (whoever's it is). */
export function groupHasLiveMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const f = statFields(name);
    if (f && Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') return true;
  }
  return false;
}

/** Process groups 0 and 1 (and negatives) would mean "our own group" / "everything": never signal those. */
function validPgid(pgid: number): boolean {
  return Number.isInteger(pgid) && pgid > 1;
}

/**
 * Whether any live (non-zombie) process is in group `pgid`. kill(-pgid, 0) alone also counts zombies, which
 * never go away when the reaper (PID 1 in some containers) does not reap them; on Linux /proc settles it.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!validPgid(pgid)) return false;
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if (errCode(err) === 'ESRCH') return false;
    if (errCode(err) !== 'EPERM') return false;
    // EPERM: the group exists but is not ours to signal.
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill(0)
  }
  const wanted = String(pgid);
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const f = statFields(name);
    if (f && f[2] === wanted && f[0] !== 'Z' && f[0] !== 'X') return true;
  }
  return false;
}

/** True when `pid` is alive and is the same process that was recorded with start time `start`. */
export function isSameProcess(pid: number, start: string | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (start === null) {
    // No start time recorded (not Linux): the best we can say is that the pid exists.
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return errCode(err) === 'EPERM';
    }
  }
  const fields = statFields(pid);
  return fields !== null && fields[0] !== 'Z' && fields[19] === start;
}

/** Signal a whole process group. A group that is already gone is not an error. Returns whether it was sent. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!validPgid(pgid)) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (errCode(err) === 'ESRCH') return false;
    throw err;
  }
}

export interface TerminateOptions {
  /** Poll interval while waiting for the group to die. */
  pollMs?: number;
  /** How long to keep waiting after SIGKILL before giving up (a D-state process can outlive KILL briefly). */
  afterKillMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * SIGTERM the group, wait until it is gone, SIGKILL after `graceMs`, and resolve once the group is gone or
 * `afterKillMs` after the KILL (bounded: never hangs). Resolves to true when the group is gone.
 */
export async function terminateGroup(pgid: number, graceMs: number, opts: TerminateOptions = {}): Promise<boolean> {
  if (!validPgid(pgid)) return true;
  const pollMs = opts.pollMs ?? 50;
  const afterKillMs = opts.afterKillMs ?? 5000;
  if (!isGroupAlive(pgid)) return true;
  killGroup(pgid, 'SIGTERM');
  const termDeadline = Date.now() + Math.max(0, graceMs);
  while (Date.now() < termDeadline) {
    await sleep(Math.min(pollMs, Math.max(1, termDeadline - Date.now())));
    if (!isGroupAlive(pgid)) return true;
  }
  killGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + afterKillMs;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    if (Date.now() >= killDeadline) return false;
    await sleep(pollMs);
  }
}
