// A pre-push guard for the agent's own git: it refuses a push that is not a fast-forward of the remote
// branch (a force-push over someone else's commits) or that deletes a remote branch. swarm itself never
// force-pushes (every push in src/ is a plain refspec, checked by a test); this covers the agent's shell,
// including `pr.publish: agent`, where the agent pushes with its own token.
//
// How it reaches the agent, whatever the repository's own hook setup: swarm writes the guard to
// `<root>/<repo-id>/.swarm-hooks/` (outside every worktree, so a sandboxed agent that may write only its
// worktree and the git data a commit needs cannot edit it) and points the agent's git at that folder
// through its environment (GIT_CONFIG_COUNT/KEY/VALUE: core.hooksPath, which outranks every config file —
// .git/config included — without touching any of them). The repository's own hooks still run: every hook
// the repository has gets a forwarding shim there, and pre-push runs the repository's after the guard.
// This is a seatbelt, not a wall: `git push --no-verify` skips every pre-push hook. The wall is on the
// server (branch protection refusing force-pushes); swarm stops for a human when a branch was rewritten.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { processEnv } from '../config/env.js';

export const GUARD_DIR = '.swarm-hooks';

/** Client-side hooks git may run in a worktree (githooks(5)): each gets a shim when the repository has it. */
const HOOKS = [
  'applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'pre-merge-commit', 'prepare-commit-msg', 'commit-msg',
  'post-commit', 'pre-rebase', 'post-checkout', 'post-merge', 'pre-auto-gc', 'post-rewrite', 'sendemail-validate', 'fsmonitor-watchman',
  'reference-transaction', 'post-index-change', 'push-to-checkout',
];

const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The guard script; `original` is the repository's own hooks folder (relative paths: from the worktree top). */
export function guardScript(original: string): string {
  return `#!/bin/sh
# Written by swarm before every attempt (do not edit: it is rewritten). Refuses pushes that are not a
# fast-forward of the remote branch, and deletions; then runs the repository's own pre-push hook.
status=0
input=$(cat)
nl='
'
saved=$IFS
IFS=$nl
for line in $input; do
  IFS=$saved
  set -- $line
  lsha=$2 rref=$3 rsha=$4
  case "$rsha" in *[!0]*) ;; *) IFS=$nl; continue ;; esac
  case "$lsha" in
    *[!0]*) ;;
    *) echo "swarm: refusing to delete $rref on the remote: swarm's agents never delete branches." >&2; status=1; IFS=$nl; continue ;;
  esac
  if ! git cat-file -e "$rsha^{commit}" 2>/dev/null || ! git merge-base --is-ancestor "$rsha" "$lsha" 2>/dev/null; then
    echo "swarm: refusing a non-fast-forward push to $rref: the remote has commits this branch does not (someone else changed it). Never force-push; stop and say so in your final message." >&2
    status=1
  fi
  IFS=$nl
done
IFS=$saved
[ "$status" -eq 0 ] || exit 1
orig=${sh(path.join(original, 'pre-push'))}
if [ -x "$orig" ]; then
  printf '%s\\n' "$input" | "$orig" "$@" || exit $?
fi
exit 0
`;
}

function shim(original: string, name: string): string {
  return `#!/bin/sh
# Written by swarm: forwards to the repository's own ${name} hook, when it has one.
h=${sh(path.join(original, name))}
[ -x "$h" ] || exit 0
exec "$h" "$@"
`;
}

/** The repository's own hooks folder, as its config says (core.hooksPath, else <common git dir>/hooks). */
export function repositoryHooksDir(repoDir: string, commonDir: string): string {
  try {
    const v = execFileSync('git', ['config', '--get', 'core.hooksPath'], { cwd: repoDir, encoding: 'utf8', env: { ...processEnv(), LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (v) return v.startsWith('~/') && processEnv().HOME ? path.join(processEnv().HOME!, v.slice(2)) : v;
  } catch {
    /* not set */
  }
  return path.join(commonDir, 'hooks');
}

/**
 * Write the guard (and shims for the repository's hooks) under `<home>/.swarm-hooks` and return the
 * environment that makes the agent's git use it, appended to any GIT_CONFIG_* entries in `env`.
 */
export function installPushGuard(home: string, repoDir: string, commonDir: string, env: Record<string, string | undefined>): Record<string, string> {
  const dir = path.join(home, GUARD_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const original = repositoryHooksDir(repoDir, commonDir);
  writeFileAtomic(path.join(dir, 'pre-push'), guardScript(original), { mode: 0o755 });
  const abs = path.isAbsolute(original) ? original : null;
  for (const name of HOOKS) {
    // A relative core.hooksPath is resolved in each worktree by git itself: forward to every hook name then.
    const present = abs === null || isExecutable(path.join(abs, name));
    const file = path.join(dir, name);
    if (present) writeFileAtomic(file, shim(original, name), { mode: 0o755 });
    else fs.rmSync(file, { force: true });
  }
  const n = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  return { GIT_CONFIG_COUNT: String(n + 1), [`GIT_CONFIG_KEY_${n}`]: 'core.hooksPath', [`GIT_CONFIG_VALUE_${n}`]: dir };
}

function isExecutable(f: string): boolean {
  try {
    fs.accessSync(f, fs.constants.X_OK);
    return fs.statSync(f).isFile();
  } catch {
    return false;
  }
}
