// A fake `gh` executable for token tests: put `binDir` first on PATH. `gh auth token --hostname HOST` prints
// whatever token the test last set (exit 1 "not logged in" when none), and every call's argv is logged.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeGh {
  /** Folder holding the `gh` script: prepend it to PATH. */
  binDir: string;
  /** PATH with binDir first. */
  path: string;
  /** What `gh auth token` prints from now on (null: not logged in). */
  setToken(token: string | null): void;
  /** argv of every call so far, joined by spaces. */
  calls(): string[];
}

export function makeFakeGh(dir: string, token: string | null = null): FakeGh {
  const binDir = join(dir, 'fake-gh-bin');
  mkdirSync(binDir, { recursive: true });
  const tokenFile = join(dir, 'fake-gh-token');
  const log = join(dir, 'fake-gh-calls');
  const script = [
    '#!/bin/sh',
    `echo "$*" >> ${JSON.stringify(log)}`,
    'if [ "$1" = auth ] && [ "$2" = token ]; then',
    `  if [ -s ${JSON.stringify(tokenFile)} ]; then cat ${JSON.stringify(tokenFile)}; exit 0; fi`,
    '  echo "no oauth token found for host" >&2; exit 1',
    'fi',
    'echo "fake gh: unsupported: $*" >&2; exit 1',
    '',
  ].join('\n');
  writeFileSync(join(binDir, 'gh'), script);
  chmodSync(join(binDir, 'gh'), 0o755);
  const setToken = (t: string | null) => writeFileSync(tokenFile, t === null ? '' : `${t}\n`);
  setToken(token);
  return {
    binDir,
    path: `${binDir}:${process.env.PATH ?? ''}`,
    setToken,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}
