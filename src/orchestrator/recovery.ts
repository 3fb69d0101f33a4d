// Restart recovery: attempts whose daemon died become `interrupted` (never counted), their orphaned
// process groups are killed, and claimed tickets are queued to resume at once — all through the
// lifecycle's `interrupt`, so the tracker is then brought in line like any other change. A PR opened
// while the daemon was down is caught by the dedup check before the next dispatch.
import { readdirSync, readFileSync } from 'node:fs';
import type { SwarmState } from '../core/types.js';
import type { Ledger } from '../state/ledger.js';
import { isGroupAlive, processStartTime, terminateGroup } from '../agent/procs.js';
import type { Logger } from '../log/logger.js';
import { rebuildFromEventFiles } from '../state/rebuild.js';
import { interrupt } from '../core/lifecycle.js';
import { unlessDiskFull } from '../util/atomic-file.js';

export async function recover(ledger: Ledger, now: number, log: Logger, ours: (key: string) => boolean = () => true, graceMs = 5000): Promise<number> {
  let interrupted = 0;
  for (const ts of Object.values(ledger.state.tickets)) {
    if (!ours(ts.key)) continue;
    const running = ts.attempts.filter((a) => a.outcome === 'running');
    for (const a of running) {
      if (a.pid !== null && orphanIsOurs(a.pid, a.pid_start)) {
        await terminateGroup(a.pid, graceMs);
        log.event({ type: 'orphan_killed', ticket: ts.identifier, pid: a.pid, found_by: 'state' });
      }
    }
    if (running.length > 0 || ts.status === 'running' || ts.status === 'claimed') {
      // On a full disk the change stays in memory and is written once there is room (the ledger pauses dispatch).
      await ledger.commit(interrupt(ts, 'the daemon stopped while this ticket was being worked on (not counted); resuming', now)).catch(unlessDiskFull);
      interrupted += running.length;
    }
  }
  if (interrupted > 0) log.event({ type: 'recovered', interrupted });
  return interrupted;
}

/**
 * Is the group led by `pid` still the agent we started? Same pid and same start time: yes. Leader gone
 * but its group alive (grandchildren): yes — Linux never hands out a pid that is still a group id.
 * A different process now owns the pid: no.
 */
export function orphanIsOurs(pid: number, start: string | null): boolean {
  const now = processStartTime(pid);
  if (now !== null) return start !== null && now === start;
  return isGroupAlive(pid);
}

/**
 * state.json was moved aside: rebuild ticket records (attempts, counted failures, handoffs, our claims)
 * and a still-running pause from events.jsonl, so a lost state file never resets attempt counts. The
 * tracker is re-read on the first poll; tickets with no events are simply new again.
 */
export function restoreFromEvents(state: SwarmState, eventsPath: string, now: number, log: Logger, worktreeFor?: (branch: string) => string): number {
  const rebuilt = rebuildFromEventFiles(eventsPath, { now, worktreeFor });
  for (const [key, ts] of Object.entries(rebuilt.tickets)) state.tickets[key] ??= ts;
  if (rebuilt.pause && !state.pause) state.pause = rebuilt.pause;
  const n = Object.keys(rebuilt.tickets).length;
  const counted = Object.values(rebuilt.tickets).reduce((s, t) => s + t.failures, 0);
  log.event({ type: 'state_rebuilt', tickets: n, events: rebuilt.events, counted_failures: counted, pause: rebuilt.pause?.kind ?? null, file: eventsPath });
  return n;
}

/**
 * Agent process groups a previous daemon left behind that the state file cannot name (state moved aside,
 * or a crash between spawn and the pid reaching disk): every process whose environment carries exactly
 * SWARM_REPO_ID=<this repository's id> was started by swarm for this repository — never matched by a
 * path prefix, which another repository sharing workspace.root (or a mere prefix of its name) would also
 * match. Only called while we hold the repository lock, before the first dispatch, so none of them can be
 * ours. Linux (/proc) only.
 */
export async function killStrayAgents(repoId: string, log: Logger, graceMs = 5000): Promise<number> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(repoId)) return 0;
  const wanted = `SWARM_REPO_ID=${repoId}`;
  const groups = new Set<number>();
  const own = ownGroup();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${p}/environ`, 'utf8');
      if (!env.split('\0').includes(wanted)) continue;
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const pgid = Number(fields[2]);
      if (Number.isInteger(pgid) && pgid > 1 && pgid !== process.pid && pgid !== own) groups.add(pgid);
    } catch {
      /* gone, or not ours to read */
    }
  }
  for (const pgid of groups) {
    await terminateGroup(pgid, graceMs);
    log.event({ type: 'orphan_killed', ticket: null, pid: pgid, found_by: 'environment' });
  }
  return groups.size;
}

function ownGroup(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return null;
  }
}
