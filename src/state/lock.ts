// One daemon per repository: `.swarm/daemon.lock` holds {pid, pid_start, started_at, heartbeat_at}.
// Created with O_EXCL so two starts cannot both win; a lock whose process is gone (or whose pid was
// reused by another process, detected through the recorded start time) is stale and taken over.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { processStartTime } from '../agent/procs.js';
import { writeAll, writeFileAtomic } from '../util/atomic-file.js';

export interface LockInfo {
  pid: number;
  pid_start: string | null;
  started_at: string;
  heartbeat_at: string;
  workflow: string;
}

export type LockResult = { ok: true; stale: LockInfo | null } | { ok: false; holder: LockInfo };

export function readLock(file: string): LockInfo | null {
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof raw?.pid !== 'number') return null;
    return raw as LockInfo;
  } catch {
    return null;
  }
}

/** Whether the process that wrote this lock is still the same live process. */
export function lockAlive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (info.pid_start === null) return true;
  return processStartTime(info.pid) === info.pid_start;
}

export function acquireLock(file: string, workflow: string, now: number): LockResult {
  mkdirSync(dirname(file), { recursive: true });
  const info: LockInfo = {
    pid: process.pid,
    pid_start: processStartTime(process.pid),
    started_at: new Date(now).toISOString(),
    heartbeat_at: new Date(now).toISOString(),
    workflow,
  };
  for (let i = 0; i < 3; i++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeAll(fd, Buffer.from(JSON.stringify(info)));
      } finally {
        closeSync(fd);
      }
      return { ok: true, stale: null };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readLock(file);
    if (holder && holder.pid !== process.pid && lockAlive(holder)) return { ok: false, holder };
    // Stale (or unreadable, e.g. a crash between create and write): remove and retry.
    try {
      unlinkSync(file);
    } catch {
      /* another starter removed it first */
    }
    if (i === 0 && holder) return acquireAfterStale(file, workflow, now, holder);
  }
  const holder = readLock(file);
  return holder ? { ok: false, holder } : { ok: true, stale: null };
}

function acquireAfterStale(file: string, workflow: string, now: number, stale: LockInfo): LockResult {
  const res = acquireLock(file, workflow, now);
  return res.ok ? { ok: true, stale } : res;
}

export function heartbeat(file: string, now: number): void {
  const info = readLock(file);
  if (!info || info.pid !== process.pid) return;
  info.heartbeat_at = new Date(now).toISOString();
  try {
    writeFileAtomic(file, JSON.stringify(info));
  } catch {
    // A full disk: the lock keeps its last heartbeat (it is judged by pid and start time, not by age).
  }
}

export function releaseLock(file: string): void {
  const info = readLock(file);
  if (info && info.pid === process.pid) {
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
}
