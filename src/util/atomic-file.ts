// The one way swarm replaces a file (state.json, account records, locks, tokens, control records, ticket
// files), so that a crash or a full disk at any instant leaves the old content or the new, never half of
// either: the whole text goes to a temp file in the same folder (rename is atomic only within one
// filesystem) — looping on short writes, which is how a full disk or `ulimit -f` first shows itself —
// then it is fsynced, read back and compared, renamed over the target, and the folder fsynced so the
// rename itself survives a power cut. A full disk (ENOSPC, EFBIG, EDQUOT) is raised as DiskFullError
// with the old file untouched and the temp file gone; callers turn it into the `disk full` pause.
//
// Also here: appendLine(), the matching rule for append-only logs (events.jsonl): a line goes in whole or
// not at all — a short write is cut back off, so a later line never lands glued to half of this one.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SwarmError } from '../errors.js';

/** errno codes that mean "no room to write": a full disk, the file-size limit, a quota. */
const DISK_FULL_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);

/** The disk (or the process's file-size limit, or a quota) has no room for a write; nothing was replaced. */
export class DiskFullError extends SwarmError {
  constructor(
    readonly file: string,
    /** ENOSPC, EFBIG or EDQUOT. */
    readonly errno: string,
    message?: string,
  ) {
    super('EDISKFULL', message ?? `disk full: could not write ${file} (${errno}); the previous version was kept`, 1);
  }
}

/** Whether `err` says the disk had no room (a DiskFullError, or a raw ENOSPC/EFBIG/EDQUOT). */
export function isDiskFull(err: unknown): boolean {
  return err instanceof DiskFullError || DISK_FULL_CODES.has(errCode(err) ?? '');
}

/** For a `.catch()` where a full disk is already handled elsewhere (the ledger's disk-full pause): rethrows anything else. */
export function unlessDiskFull(err: unknown): void {
  if (!isDiskFull(err)) throw err;
}

export interface AtomicWriteOptions {
  /** Mode of the new file (before umask). Default 0o600: swarm's files are the operator's alone. */
  mode?: number;
}

/**
 * Replace `file` with `data`: temp file `<file>.<pid>.<hex>.tmp` (created exclusively), every byte written,
 * fsynced, read back and compared, renamed over `file`, folder fsynced. On any failure the temp file is
 * removed and `file` is left as it was; a full disk throws DiskFullError.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx+', opts.mode ?? 0o600); // read-write: verify() reads it back
    writeAll(fd, buf);
    fsyncSync(fd);
    verify(fd, buf, tmp);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) closeQuiet(fd);
    try {
      unlinkQuiet(tmp);
    } catch {
      /* the original error is the one to report */
    }
    throw asDiskFull(err, file);
  }
  fsyncDir(dirname(file));
}

/** Write every byte of `buf` at the fd's position, looping on short writes (a full disk writes part first). */
export function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    off += n;
  }
}

/** Read the fd back from the start and compare with what was meant to be written. */
function verify(fd: number, want: Buffer, tmp: string): void {
  const size = fstatSync(fd).size;
  if (size !== want.length) throw Object.assign(new Error(`${tmp} holds ${size} bytes after writing ${want.length}`), { code: 'EIO' });
  const got = Buffer.alloc(Math.min(want.length, 1 << 20));
  for (let pos = 0; pos < want.length; ) {
    const n = readSync(fd, got, 0, Math.min(got.length, want.length - pos), pos);
    if (n <= 0 || !got.subarray(0, n).equals(want.subarray(pos, pos + n))) {
      throw Object.assign(new Error(`${tmp} does not read back what was written`), { code: 'EIO' });
    }
    pos += n;
  }
}

/**
 * Append one line (a trailing newline is added) to the file open for appending at `fd`: all of it or
 * none. A short write is cut off again (ftruncate to the size before), so the next line starts on a
 * line of its own. Returns normally when written; throws (DiskFullError for a full disk) when not —
 * `torn` is set on the error when the partial bytes could not be removed either (the caller then starts
 * its next line with a newline of its own).
 */
export function appendLine(fd: number, file: string, line: string): void {
  const buf = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8');
  const before = fstatSync(fd).size;
  try {
    writeAll(fd, buf);
  } catch (err) {
    let torn = false;
    try {
      if (fstatSync(fd).size !== before) ftruncateSync(fd, before);
    } catch {
      torn = true;
    }
    throw Object.assign(asDiskFull(err, file, `disk full: could not append to ${file}`) as Error, { torn });
  }
}

/** Whether the file at `fd` ends with a newline (or is empty): a torn last line means the next append needs one first. */
export function endsWithNewline(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return true;
  const b = Buffer.alloc(1);
  return readSync(fd, b, 0, 1, size - 1) === 1 && b[0] === 0x0a;
}

function asDiskFull(err: unknown, file: string, what?: string): unknown {
  if (err instanceof DiskFullError) return err;
  const code = errCode(err);
  if (!code || !DISK_FULL_CODES.has(code)) return err;
  return new DiskFullError(file, code, what ? `${what} (${code})` : undefined);
}

export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // not openable as a file on this platform (Windows)
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errCode(err) ?? '')) throw err;
  } finally {
    closeSync(fd);
  }
}

function closeQuiet(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

export function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw err;
  }
}

export function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

const TEMP = /\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Temp files writeFileAtomic() left in `dir` when its writer was killed between creating and renaming one
 * (`<file>.<pid>.<hex>.tmp` whose pid no longer runs): removed; returns their names. A live writer's are
 * left alone (another daemon may be mid-write; this process's own writes are synchronous).
 */
export function removeOrphanTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || pidRuns(Number(m[1]))) continue;
    unlinkQuiet(join(dir, name));
    removed.push(name);
  }
  return removed;
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
