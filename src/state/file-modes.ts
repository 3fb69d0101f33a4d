// `.swarm/` holds other tickets' transcripts, the state, the events log, tokens and locks: only the
// operator's user may read any of it. At start-up the folder is made 0700 and every file swarm keeps there
// 0600 (runs/ all the way down), whatever umask created them; new files are created 0600 where they are
// written. Worktrees and local tickets under `.swarm/` are the operator's content and keep their modes
// (the 0700 folder already keeps other users out).
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Folders under `.swarm/` whose files are swarm's own records (tightened recursively). */
const RECORD_FOLDERS = new Set(['runs']);
/** Folders under `.swarm/` that are never swarm's records: left as they are. */
const CONTENT_FOLDERS = new Set(['worktrees', 'tickets']);

function tightenTree(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    if ((st.mode & 0o777) !== 0o700) chmodSync(path, 0o700);
    for (const name of readdirSync(path)) tightenTree(join(path, name));
  } else if (st.isFile() && (st.mode & 0o777) !== 0o600) {
    chmodSync(path, 0o600);
  }
}

export function tightenSwarmDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // Private folders of attempts that never ended (a crash): nothing in them is needed any more.
  rmSync(join(dir, 'agents'), { recursive: true, force: true });
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isFile() && (st.mode & 0o777) !== 0o600) chmodSync(p, 0o600);
    else if (st.isDirectory() && RECORD_FOLDERS.has(name)) tightenTree(p);
    else if (st.isDirectory() && !CONTENT_FOLDERS.has(name) && (st.mode & 0o777) !== 0o700) chmodSync(p, 0o700);
  }
}
