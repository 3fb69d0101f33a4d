// A small JSON record shared by several processes on one machine (e.g. one per Claude account, under
// $XDG_STATE_HOME/swarm/accounts/<name>.json, read and updated by every daemon that uses that account).
// This file owns the whole on-disk protocol for such a record: lock-free reads, locked read-modify-write
// updates, atomic replacement, and the lock file with its stale-lock recovery.
//
// Why it is built this way: Node has no flock(2), and a long-lived daemon must not hold a lock (it would
// starve the others and outlive its purpose), so every update() takes a short-lived lock built from the
// primitives the kernel makes atomic: O_CREAT|O_EXCL creation (exactly one creator wins) and rename(2)
// (a reader sees the old file or the new one, never half of either). The record is always replaced with a
// complete, fsynced temp file renamed over it, so read() needs no lock and a crash at any instant leaves
// either the previous or the next version on disk.
//
// Lock protocol, on `<file>.lock`, holding {pid, pid_start, host, at, nonce}:
// - Acquire: open(lock, 'wx'). If it exists, look at it: a holder on this host whose pid is gone, or whose
//   pid now belongs to another process (its /proc start time differs), is dead, and its lock is stale. Only
//   when liveness cannot be determined (another host, no start time, unreadable or still-empty lock) does
//   age decide: older than staleLockMs is stale. A live holder is waited for with a short randomized
//   backoff (1–3 ms, growing to ~25 ms) until lockTimeoutMs, then ELOCKED.
// - Breaking a stale lock, race-free. The danger is the classic check-then-delete race: A and B both see
//   stale lock L; A deletes L and takes the lock; B then deletes A's live lock believing it is L, and both
//   "hold" it. So deleting is never done on what one merely saw. Every lock instance has an identity (its
//   random nonce, or inode+mtime when the content is unreadable), and to delete instance X a process must
//   first create, with O_EXCL, the claim file `<file>.lock.break-<X>`. Exactly one process can hold the
//   claim for X. Holding it, it re-reads the lock and deletes it only if it is still instance X and still
//   stale. Between that re-read and the unlink, X cannot be replaced: the only ones who ever remove X are
//   its holder (dead) and the holder of X's claim (us, alone). Anyone else who saw X and comes later either
//   fails to create the claim, or (once we dropped it) creates it, re-reads, finds another instance and
//   deletes nothing. A claim whose own creator died (killed within those microseconds) is itself broken by
//   the same rule, with a claim on the claim's identity, so a crash never wedges the record. (The one case
//   this cannot cover is inherent to time-based staleness: a holder judged by age that is in fact alive,
//   stopped for staleLockMs and resuming at that very moment; updates hold the lock for milliseconds.)
// - Release (finally, so an exception inside fn never leaves the lock behind): delete the lock only if it
//   still carries our nonce.
// Temp files of writers killed mid-write (`<file>.<pid>.<hex>.tmp`, pid gone) are swept under the lock.
// Calling update() on the same file from inside fn deadlocks until ELOCKED: fn must be plain computation.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSameProcess, processStartTime } from '../agent/procs.js';
import { errCode, unlinkQuiet, writeAll, writeFileAtomic } from '../util/atomic-file.js';

export interface LockedJsonFileOptions<T> {
  /** Validate and default: called on the JSON on disk, or on undefined when the file is missing or unreadable. */
  parse: (raw: unknown) => T;
  /** How long update() waits for a live holder before throwing ELOCKED. Default 5000. */
  lockTimeoutMs?: number;
  /** Age after which a lock whose holder's liveness cannot be determined is treated as abandoned. Default 10000. */
  staleLockMs?: number;
  /** Clock for the timeout and for lock age (compared with the lock file's mtime). Default Date.now. */
  now?: () => number;
}

/** What is written in a lock (and in a claim on a stale lock). */
export interface LockHolder {
  pid: number;
  pid_start: string | null;
  host: string;
  at: string;
  nonce: string;
}

/** A lock or claim file as observed once: which instance it is and who wrote it (null when unreadable). */
interface Seen {
  identity: string;
  holder: Partial<LockHolder> | null;
  mtimeMs: number;
}

type Liveness = 'live' | 'dead' | 'unknown';

const OWN_START = processStartTime(process.pid);
const HOST = hostname();
const MAX_CLAIM_DEPTH = 3;

export class LockedJsonFile<T> {
  readonly lockFile: string;
  private readonly parse: (raw: unknown) => T;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;
  private readonly now: () => number;
  private swept = false;

  constructor(
    readonly file: string,
    opts: LockedJsonFileOptions<T>,
  ) {
    this.lockFile = `${file}.lock`;
    this.parse = opts.parse;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 5000;
    this.staleLockMs = opts.staleLockMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** The current record, without locking; a missing, corrupt or invalid file yields parse(undefined). */
  read(): T {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return this.parse(undefined);
    }
    try {
      return this.parse(raw);
    } catch {
      return this.parse(undefined);
    }
  }

  /** Read-modify-write under the lock. fn returning undefined means "no change": nothing is written. */
  async update(fn: (current: T) => T | undefined): Promise<T> {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const me = await this.acquire();
    try {
      if (!this.swept) this.sweepTempFiles();
      const current = this.read();
      const next = fn(current);
      if (next === undefined) return current;
      this.writeAtomically(next);
      return next;
    } finally {
      this.release(me);
    }
  }

  private async acquire(): Promise<LockHolder> {
    const me: LockHolder = { pid: process.pid, pid_start: OWN_START, host: HOST, at: '', nonce: nonce() };
    const deadline = this.now() + this.lockTimeoutMs;
    let delay = 1 + Math.random() * 2;
    for (;;) {
      me.at = new Date(this.now()).toISOString();
      if (this.tryCreate(this.lockFile, me)) return me;
      const seen = inspect(this.lockFile);
      if (seen === null) continue; // released between our attempt and our look: try again at once
      if (this.isStale(seen) && this.breakStale(this.lockFile, seen, 0)) continue;
      if (this.now() >= deadline) throw lockedError(this.lockFile, seen, this.lockTimeoutMs);
      await sleep(delay);
      delay = Math.min(25, delay * 1.5) * (0.75 + Math.random() * 0.5);
    }
  }

  /** O_EXCL create with our holder record; false when the file already exists. */
  private tryCreate(path: string, me: LockHolder): boolean {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      const code = errCode(err);
      if (code === 'EEXIST') return false;
      if (code !== 'ENOENT') throw err;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 }); // the folder was removed under us
      return this.tryCreate(path, me);
    }
    try {
      writeAll(fd, Buffer.from(JSON.stringify(me)));
    } catch (err) {
      closeSync(fd);
      unlinkQuiet(path);
      throw err;
    }
    closeSync(fd);
    return true;
  }

  /**
   * Remove the stale instance `seen` of `path` (the lock, or a claim), race-free as explained at the top:
   * only the holder of the O_EXCL claim on that instance may delete it, after re-checking it is still there.
   * Returns true when the caller should retry at once (the instance is gone), false to back off.
   */
  private breakStale(path: string, seen: Seen, depth: number): boolean {
    const claim = `${this.lockFile}.break-${seen.identity}`;
    const me: LockHolder = { pid: process.pid, pid_start: OWN_START, host: HOST, at: new Date(this.now()).toISOString(), nonce: nonce() };
    if (!this.tryCreate(claim, me)) {
      // Someone else is breaking this instance right now, or died doing so: then break their claim.
      const other = inspect(claim);
      if (other === null) return true;
      return depth < MAX_CLAIM_DEPTH && this.isStale(other) && this.breakStale(claim, other, depth + 1);
    }
    try {
      const again = inspect(path);
      if (again !== null && again.identity === seen.identity && this.isStale(again)) unlinkQuiet(path);
      return true;
    } finally {
      unlinkQuiet(claim);
    }
  }

  private isStale(seen: Seen): boolean {
    const verdict = seen.holder ? liveness(seen.holder) : 'unknown';
    if (verdict !== 'unknown') return verdict === 'dead';
    return this.now() - seen.mtimeMs > this.staleLockMs;
  }

  private release(me: LockHolder): void {
    // Ours unless it was broken by age while we were stalled for staleLockMs; then it is someone else's.
    if (inspect(this.lockFile)?.holder?.nonce === me.nonce) unlinkQuiet(this.lockFile);
  }

  /** Replaced atomically; its temp file (`<file>.<pid>.<hex>.tmp`) is named so sweepTempFiles() can tell its writer. */
  private writeAtomically(value: T): void {
    writeFileAtomic(this.file, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Under the lock, once per instance: remove temp files left by writers that were killed mid-write. */
  private sweepTempFiles(): void {
    this.swept = true;
    const prefix = `${basename(this.file)}.`;
    let names: string[];
    try {
      names = readdirSync(dirname(this.file));
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const m = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length));
      if (m && liveness({ pid: Number(m[1]), pid_start: null, host: HOST }) === 'dead') unlinkQuiet(join(dirname(this.file), name));
    }
  }
}

/** The lock or claim at `path` as it is now; null when there is none. */
function inspect(path: string): Seen | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return null;
    throw err;
  }
  let text: string;
  let st: Stats;
  try {
    st = fstatSync(fd);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let holder: Partial<LockHolder> | null = null;
  try {
    const raw: unknown = JSON.parse(text);
    if (raw && typeof raw === 'object' && typeof (raw as LockHolder).pid === 'number') holder = raw as Partial<LockHolder>;
  } catch {
    /* empty (creator between open and write, or killed there) or garbage: judged by age */
  }
  const n = holder?.nonce;
  const identity = typeof n === 'string' && /^[0-9a-f]{8,64}$/.test(n) ? n : `i${st.ino}-${Math.trunc(st.mtimeMs)}`;
  return { identity, holder, mtimeMs: st.mtimeMs };
}

/** Whether the writer of a lock is still running: decidable only for a process on this host. */
function liveness(holder: Partial<LockHolder>): Liveness {
  const pid = holder.pid;
  if (holder.host !== HOST || typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return 'unknown';
  if (typeof holder.pid_start === 'string' && OWN_START !== null) return isSameProcess(pid, holder.pid_start) ? 'live' : 'dead';
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errCode(err) === 'ESRCH') return 'dead';
  }
  return 'unknown'; // the pid exists, but without a start time we cannot tell whether it is the same process
}

function lockedError(lockFile: string, seen: Seen, timeoutMs: number): Error {
  const who = typeof seen.holder?.pid === 'number' ? `pid ${seen.holder.pid}${seen.holder.host && seen.holder.host !== HOST ? ` on ${seen.holder.host}` : ''}` : 'an unknown process (the lock file is unreadable)';
  const err = new Error(
    `${lockFile} is held by ${who} and was not released within ${timeoutMs} ms; if that process is stuck, stop it (a lock left by a process that exited is removed automatically).`,
  ) as Error & { code: string; holder: Partial<LockHolder> | null };
  err.code = 'ELOCKED';
  err.holder = seen.holder;
  return err;
}

function nonce(): string {
  return randomBytes(8).toString('hex');
}
