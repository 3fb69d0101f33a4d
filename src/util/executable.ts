// Finding a program the way a shell would: on PATH, or by a path relative to a base folder.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Path of an executable named on PATH or by path (relative to `base`), or null. */
export function findExecutable(command: string, env: Record<string, string | undefined>, base: string): string | null {
  const candidates = command.includes('/') ? [isAbsolute(command) ? command : resolve(base, command)] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return null;
}
