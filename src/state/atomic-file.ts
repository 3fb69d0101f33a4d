// Replacing a file so that a crash at any instant leaves the old content or the new, never half of either:
// a complete temp file in the same folder (rename is atomic only within one filesystem), fsynced, renamed
// over the target, then the folder fsynced so the rename itself survives a power cut.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Write `text` to `tmp` (created exclusively, mode 0600), fsync, rename over `file`, fsync the folder. */
export function replaceFileAtomically(file: string, tmp: string, text: string): void {
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    unlinkQuiet(tmp);
    throw err;
  }
  fsyncDir(dirname(file));
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
